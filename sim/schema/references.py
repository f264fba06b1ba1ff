"""Cross-reference checks that a single model cannot make on its own."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter, eq

from .exercise import Exercise
from .scenario import Scenario

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str]
"""A field path inside the scenario and what is wrong there."""


def dotted(loc: Loc) -> str:
    """A field path as people write it: dependencies[3].supplier."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _duplicates(
    field: str, ids: list[str], what: str, distinct: int | None = None, attribute: str = "id"
) -> list[Finding]:
    """Findings for the ids repeated in `ids` (of which `distinct` differ, if known)."""
    if (len(set(ids)) if distinct is None else distinct) == len(ids):
        return []
    seen: set[str] = set()
    findings: list[Finding] = []
    for i, key in enumerate(ids):
        if key in seen:
            findings.append(
                ((field, i, attribute), f"duplicate {what} '{key}': an earlier entry has it")
            )
        seen.add(key)
    return findings


BLOCKS_BY_FIELD = {
    "assets": {"assets", "campaigns", "events", "exercise"},
    "dependencies": {"dependencies"},
    "campaigns": {"campaigns"},
    "network": {"defenders"},
    "cbms": {"defenders"},
    "events": {"events"},
    "disruptions": {"disruptions"},
    "exercise": {"exercise"},
    "parameters": set(),
    "severity_scheme": set(),
    "duration_hours": set(),
    "start": set(),
    "name": set(),
    "description": set(),
}
"""The checks a change to each top-level field calls for (a changed country list, or any
field not named here, calls for all of them). Ids cannot change through variants."""

REFERRING_FIELDS = {"assets": {"country", "sector"}, "dependencies": {"supplier", "dependent"}}
"""The fields of assets and dependencies that checks read besides ids (campaign targeting
reads sectors): entries overridden in nothing else leave every check's outcome as it was."""


def check_references(scenario: Scenario, changed: Iterable[str] | None = None) -> list[Finding]:
    """Every id that is referred to exists, ids are unique, and no asset depends on itself;
    with `changed` (the top-level fields a variant overrides), only what those can break.

    Fast on the common, valid case: whole columns are compared as sets first, and rows are
    only visited to locate a problem that was found.
    """
    blocks = {b for field in changed or () for b in BLOCKS_BY_FIELD.get(field, {"all"})}
    if changed is None or "all" in blocks:
        blocks = {"countries", *(b for bs in BLOCKS_BY_FIELD.values() for b in bs)}
    countries = {c.id for c in scenario.countries}
    needs_assets = blocks - {"countries", "defenders"}  # the others read the asset ids
    asset_ids = list(map(attrgetter("id"), scenario.assets)) if needs_assets else []
    assets = set(asset_ids)
    findings: list[Finding] = []
    if "countries" in blocks:
        findings += _duplicates("countries", [c.id for c in scenario.countries], "country id")
    if "assets" in blocks:
        findings += _duplicates("assets", asset_ids, "asset id", len(assets))
        countries_of = list(map(attrgetter("country"), scenario.assets))
        findings += _unknown("assets", "country", countries_of, countries)
    if "dependencies" in blocks:
        findings += _dependency_findings(scenario, assets)
    if "campaigns" in blocks:
        findings += _campaign_findings(scenario, countries, assets)
    if "defenders" in blocks:
        findings += _defender_findings(scenario, countries)
    if "events" in blocks:
        findings += _event_findings(scenario, countries, assets)
    if "disruptions" in blocks:
        disrupted = [d.asset for d in scenario.disruptions]
        findings += _unknown("disruptions", "asset", disrupted, assets)
    if "exercise" in blocks and scenario.exercise is not None:
        with_csirt = {c.id for c in scenario.countries if c.csirt is not None}
        findings += _exercise_findings(scenario.exercise, countries, assets, with_csirt)
        findings += _trigger_findings(scenario, countries, assets)
    return findings


def _dependency_findings(scenario: Scenario, assets: set[str]) -> list[Finding]:
    suppliers = list(map(attrgetter("supplier"), scenario.dependencies))
    dependents = list(map(attrgetter("dependent"), scenario.dependencies))
    findings = _unknown("dependencies", "supplier", suppliers, assets)
    findings += _unknown("dependencies", "dependent", dependents, assets)
    if any(map(eq, suppliers, dependents)):
        findings += [
            (("dependencies", i, "dependent"), "an asset cannot depend on itself")
            for i, (supplier, dependent) in enumerate(zip(suppliers, dependents, strict=True))
            if supplier == dependent
        ]
    pairs = zip(suppliers, dependents, strict=True)
    if len(set(map(hash, pairs))) < len(suppliers):  # distinct hashes: distinct pairs
        first: dict[tuple[str, str], int] = {}
        for i, pair in enumerate(zip(suppliers, dependents, strict=True)):
            if pair in first:
                findings.append(
                    (
                        ("dependencies", i),
                        f"duplicate dependency {pair[0]}->{pair[1]}: an earlier entry links the "
                        "same pair; combine them into one with the total strength",
                    )
                )
            first.setdefault(pair, i)
    return findings


def _event_findings(scenario: Scenario, countries: set[str], assets: set[str]) -> list[Finding]:
    findings = _duplicates("events", [e.id for e in scenario.events], "event id")
    for i, event in enumerate(scenario.events):
        if event.country not in countries:
            findings.append((("events", i, "country"), f"unknown country '{event.country}'"))
        findings += [
            (("events", i, "venue_assets", k), f"unknown asset '{a}'")
            for k, a in enumerate(event.venue_assets)
            if a not in assets
        ]
    return findings


def _exercise_findings(
    exercise: Exercise, countries: set[str], assets: set[str], with_csirt: set[str]
) -> list[Finding]:
    """Teams, objectives, injects and decision points refer to things that exist (and help
    is asked only of countries with a CSIRT)."""
    teams = {t.id for t in exercise.teams}
    objectives = {o.id for o in exercise.objectives}
    where = ("exercise",)
    findings = _duplicates("exercise.teams", [t.id for t in exercise.teams], "team id")
    findings += _duplicates(
        "exercise.objectives", [o.id for o in exercise.objectives], "objective id"
    )
    points = [d.id for d in exercise.decision_points]
    findings += _duplicates("exercise.decision_points", points, "decision point id")
    sequences = [str(i.sequence) for i in exercise.injects]
    findings += _duplicates("exercise.injects", sequences, "inject sequence", attribute="sequence")
    refs: list[tuple[tuple[str | int, ...], str | None, set[str], str]] = []
    lonely: list[Finding] = []
    refs += [
        (("teams", i, "country"), t.country, countries, "country")
        for i, t in enumerate(exercise.teams)
    ]
    refs += [
        (("objectives", i, "team"), o.team, teams, "team")
        for i, o in enumerate(exercise.objectives)
    ]
    refs += [(("roster", i, "team"), p.team, teams, "team") for i, p in enumerate(exercise.roster)]
    refs += [
        (("injects", i, "objective"), j.objective, objectives, "objective")
        for i, j in enumerate(exercise.injects)
    ]
    for i, point in enumerate(exercise.decision_points):
        at = ("decision_points", i)
        refs.append(((*at, "team"), point.team, teams, "team"))
        for k, option in enumerate(point.options):
            for a, action in enumerate(option.actions):
                place = (*at, "options", k, "actions", a)
                helper = getattr(action, "helper", None)
                if helper in countries and helper not in with_csirt:
                    lonely.append(((*where, *place, "from"), f"'{helper}' has no CSIRT to lend"))
                asking = action.country if helper is not None else None
                if asking in countries and asking not in with_csirt:
                    lonely.append(
                        (
                            (*where, *place, "country"),
                            f"'{asking}' has no CSIRT to take analysts in",
                        )
                    )
                for field in ("country", "helper", "asset"):
                    value = getattr(action, field, None)
                    kind = "asset" if field == "asset" else "country"
                    name = "from" if field == "helper" else field
                    refs.append(
                        ((*place, name), value, assets if kind == "asset" else countries, kind)
                    )
                for n, country in enumerate(getattr(action, "to", ())):
                    refs.append(((*place, "to", n), country, countries, "country"))
                for n, asset in enumerate(getattr(action, "assets", ())):
                    refs.append(((*place, "assets", n), asset, assets, "asset"))
    findings += [
        ((*where, *loc), f"unknown {kind} '{value}'")
        for loc, value, known, kind in refs
        if value is not None and value not in known
    ]
    return findings + lonely


def _trigger_findings(scenario: Scenario, countries: set[str], assets: set[str]) -> list[Finding]:
    """Each trigger of an inject or decision point names things that exist."""
    assert scenario.exercise is not None
    campaigns = {c.id for c in scenario.campaigns}
    windows = {e.id: {w.name for w in e.windows} for e in scenario.events}
    placed = [
        (("exercise", "injects", i, field), getattr(inject, field))
        for i, inject in enumerate(scenario.exercise.injects)
        for field in ("when", "premise")
    ] + [
        (("exercise", "decision_points", i, "when"), point.when)
        for i, point in enumerate(scenario.exercise.decision_points)
    ]
    findings: list[Finding] = []
    for at, trigger in placed:
        if trigger is None:
            continue
        checks = [
            ("country", trigger.country, countries, "country"),
            ("asset_down", trigger.asset_down, assets, "asset"),
            ("window_opens", trigger.window_opens, set(windows), "major event"),
        ] + [(f, getattr(trigger, f), campaigns, "campaign") for f in CAMPAIGN_FACTS]
        findings += [
            ((*at, field), f"unknown {kind} '{value}'")
            for field, value, known, kind in checks
            if value is not None and value not in known
        ]
        named = windows.get(trigger.window_opens or "", set())
        if (
            trigger.window is not None
            and trigger.window_opens in windows
            and trigger.window not in named
        ):
            findings.append(
                ((*at, "window"), f"no window '{trigger.window}' in {trigger.window_opens}")
            )
    return findings


CAMPAIGN_FACTS = ("campaign_reached", "campaign_detected", "campaign_impact")
"""Trigger facts that name a campaign."""


def check_schedule(scenario: Scenario) -> list[Finding]:
    """Nothing is scheduled to start after the scenario ends (a likely typo). Variants are
    exempt: one that shortens the horizon simply cuts what comes later."""
    late = f"starts after the scenario ends at hour {scenario.duration_hours:g}"
    findings: list[Finding] = [
        ((field, i, "start_hours"), late)
        for field in ("disruptions", "campaigns")
        for i, item in enumerate(getattr(scenario, field))
        if item.start_hours >= scenario.duration_hours
    ]
    if scenario.exercise is not None:
        end = scenario.duration_hours
        stop = scenario.exercise.end_hours
        if stop is not None and stop > end:
            findings.append((("exercise", "end_hours"), late.replace("starts", "ends")))
        end = min(end, stop or end)
        which = "scenario" if stop is None else "exercise"
        late = f"falls due after the {which} ends at hour {end:g}"
        findings += [
            (("exercise", "injects", i, "time_hours"), late)
            for i, inject in enumerate(scenario.exercise.injects)
            if inject.time_hours >= end
        ]
        findings += [
            (("exercise", "decision_points", i, "at_hours"), late)
            for i, point in enumerate(scenario.exercise.decision_points)
            if point.at_hours is not None and point.at_hours >= end
        ]
    return findings


def _campaign_findings(scenario: Scenario, countries: set[str], assets: set[str]) -> list[Finding]:
    findings = _duplicates("campaigns", [c.id for c in scenario.campaigns], "campaign id")
    for i, campaign in enumerate(scenario.campaigns):
        aim = campaign.targeting
        for field, refs, known in (
            ("targeting.countries", aim.countries, countries),
            ("targeting.assets", aim.assets, assets),
            ("indicators_known_by", campaign.indicators_known_by, countries),
        ):
            what = "asset" if field == "targeting.assets" else "country"
            findings += [
                (("campaigns", i, *field.split("."), k), f"unknown {what} '{ref}'")
                for k, ref in enumerate(refs)
                if ref not in known
            ]
        if campaign.infrastructure_in is not None and campaign.infrastructure_in not in countries:
            findings.append(
                (
                    ("campaigns", i, "infrastructure_in"),
                    f"unknown country '{campaign.infrastructure_in}'",
                )
            )
        matching = any(
            (not aim.countries or a.country in aim.countries)
            and (not aim.sectors or a.sector in aim.sectors)
            for a in scenario.assets
        )
        if not aim.assets and not matching:
            findings.append((("campaigns", i, "targeting"), "no asset matches this targeting"))
    return findings


def _defender_findings(scenario: Scenario, countries: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    if scenario.network is not None:
        members = list(scenario.network.members)
        findings += _unknown("network", "members", members, countries, what="country")
        findings += [
            (("network", "members", i), f"'{m}' is listed twice")
            for i, m in enumerate(members)
            if m in members[:i]
        ]
    for name in type(scenario.cbms).model_fields:
        adopters = list(getattr(scenario.cbms, name))
        findings += _unknown("cbms", name, adopters, countries, what="country")
    return findings


def _unknown(
    field: str, attribute: str, refs: list[str], known: set[str], what: str = ""
) -> list[Finding]:
    """Findings for the references in column `refs` of `field` that are not in `known`: each
    at field[i].attribute, or at field.attribute[i] when `what` names the kind of reference."""
    if known.issuperset(refs):
        return []
    kind = what or ("country" if attribute == "country" else "asset")
    return [
        ((field, attribute, i) if what else (field, i, attribute), f"unknown {kind} '{ref}'")
        for i, ref in enumerate(refs)
        if ref not in known
    ]
