"""Cross-reference checks that a single model cannot make on its own."""

from __future__ import annotations

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


def _duplicates(field: str, ids: list[str], what: str) -> list[Finding]:
    if len(set(ids)) == len(ids):
        return []
    seen: set[str] = set()
    findings: list[Finding] = []
    for i, key in enumerate(ids):
        if key in seen:
            findings.append(
                ((field, i, "id"), f"duplicate {what} '{key}': an earlier entry has it")
            )
        seen.add(key)
    return findings


def check_references(scenario: Scenario) -> list[Finding]:
    """Every id that is referred to exists, ids are unique, and no asset depends on itself.

    Fast on the common, valid case: whole columns are compared as sets first, and rows are
    only visited to locate a problem that was found.
    """
    findings = _duplicates("countries", [c.id for c in scenario.countries], "country id")
    asset_ids = [a.id for a in scenario.assets]
    findings += _duplicates("assets", asset_ids, "asset id")
    countries, assets = {c.id for c in scenario.countries}, set(asset_ids)
    findings += _unknown("assets", "country", [a.country for a in scenario.assets], countries)
    suppliers = [d.supplier for d in scenario.dependencies]
    dependents = [d.dependent for d in scenario.dependencies]
    findings += _unknown("dependencies", "supplier", suppliers, assets)
    findings += _unknown("dependencies", "dependent", dependents, assets)
    pairs = list(zip(suppliers, dependents, strict=True))
    for i, (supplier, dependent) in enumerate(pairs):
        if supplier == dependent:
            findings.append((("dependencies", i, "dependent"), "an asset cannot depend on itself"))
    if len(set(pairs)) < len(pairs):
        first: dict[tuple[str, str], int] = {}
        for i, pair in enumerate(pairs):
            if pair in first:
                findings.append(
                    (
                        ("dependencies", i),
                        f"duplicate dependency {pair[0]}->{pair[1]}: an earlier entry links the "
                        "same pair; combine them into one with the total strength",
                    )
                )
            first.setdefault(pair, i)
    findings += _campaign_findings(scenario, countries, assets)
    findings += _defender_findings(scenario, countries)
    findings += _duplicates("events", [e.id for e in scenario.events], "event id")
    for i, event in enumerate(scenario.events):
        if event.country not in countries:
            findings.append((("events", i, "country"), f"unknown country '{event.country}'"))
        findings += [
            (("events", i, "venue_assets", k), f"unknown asset '{a}'")
            for k, a in enumerate(event.venue_assets)
            if a not in assets
        ]
    findings += _unknown("disruptions", "asset", [d.asset for d in scenario.disruptions], assets)
    return findings


def check_schedule(scenario: Scenario) -> list[Finding]:
    """Nothing is scheduled to start after the scenario ends (a likely typo). Variants are
    exempt: one that shortens the horizon simply cuts what comes later."""
    late = f"starts after the scenario ends at hour {scenario.duration_hours:g}"
    return [
        ((field, i, "start_hours"), late)
        for field in ("disruptions", "campaigns")
        for i, item in enumerate(getattr(scenario, field))
        if item.start_hours >= scenario.duration_hours
    ]


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
        matching = [
            a
            for a in scenario.assets
            if (not aim.countries or a.country in aim.countries)
            and (not aim.sectors or a.sector in aim.sectors)
        ]
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
    if set(refs) <= known:
        return []
    kind = what or ("country" if attribute == "country" else "asset")
    return [
        ((field, attribute, i) if what else (field, i, attribute), f"unknown {kind} '{ref}'")
        for i, ref in enumerate(refs)
        if ref not in known
    ]
