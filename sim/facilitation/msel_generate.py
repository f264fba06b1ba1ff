"""Drafting an exercise from a simulated run: `cyberttx msel generate SCENARIO`.

One replication is run and each significant event in it becomes an inject triggered by the
same simulated fact (`when:`), so that in any run the inject arrives only if, and when, the
fact happens: the first impact of each campaign per country, the first detection of each
campaign per country, outages of the heaviest sectors, the first severe triage per country,
assistance, event windows opening. Decision points are placed where the room's levers can
still act: sharing indicators at a first detection, asking a partner for analysts at the first
High incident, raising the venue's alert when an event window opens, switching to a backup
when an asset's supply fails. The draft is for a facilitator to review and edit, not to play
raw.

    exercise = draft_exercise(scenario, seed=7)
    text = exercise_yaml(exercise)                  # paste under the scenario's `exercise:`
    checked = with_exercise(path, exercise)         # the scenario with it, as `validate` reads it
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine import kinds
from ..engine.records import Row
from ..engine.world import run_replication
from ..schema.defenders import LEVELS
from ..schema.exercise import Exercise
from ..schema.load import load_scenario, read_yaml_mapping
from ..schema.scenario import MAX_ROUTINE_INCIDENTS, MAX_SEED, Scenario
from ..schema.yaml_text import dump

MAX_INJECTS = 14
"""The most injects a draft has (the earliest facts win); the opening briefing comes first."""

HEAVIEST_SECTORS = 3
"""Sector outages drafted: the (country, sector) pairs with the most asset-hours down."""

SECTOR_WORDS = {
    "energy": "power",
    "water": "water",
    "telecom": "telecommunications",
    "finance": "banking and payments",
    "health": "hospital",
    "transport": "transport",
    "government": "government",
    "emergency_services": "emergency services",
    "event_venue": "venue",
}
"""How the room speaks of each sector's operators."""

IMPACT_WORDS: dict[str, tuple[str, str, str]] = {
    "ransomware": (
        "incident",
        "Ransom notes on the screens at {asset_name} ({time}): files are encrypted and services "
        "are stopping.",
        "Report to the national CSIRT, isolate what is still clean, switch to manual procedures",
    ),
    "wiper": (
        "incident",
        "{asset_name} has gone dark ({time}): machines reboot to a blank disk.",
        "Isolate the network, call the CSIRT, rebuild from offline backups",
    ),
    "ddos": (
        "media",
        "{asset_name} is unreachable under a flood of traffic, and a hacktivist channel claims "
        "it ({time}).",
        "Agree a holding statement; ask the operator's provider to filter the traffic",
    ),
    "degrade": (
        "incident",
        "{asset_name} behaves erratically ({time}): commands nobody issued, service degrading.",
        "Switch to manual operation and report to the CSIRT",
    ),
}
"""(inject type, message, expected action) for the first impact of each kind."""


@dataclass(frozen=True)
class _Fact:
    """A drafted inject before numbering: the hour its fact held in the drafted run."""

    hour: float
    inject: dict[str, Any]


def _first(rows: Iterable[Row], key: Any) -> dict[Any, Row]:
    """The first row for each value of key(row) (None: skipped)."""
    found: dict[Any, Row] = {}
    for row in rows:
        k = key(row)
        if k is not None and k not in found:
            found[k] = row
    return found


INTRUDERS = (
    "The security team at {asset_name} has found intruders on its network ({time}); the "
    "tools match {campaign_name}."
)
SEEN = {
    "ddos": "The operator of {asset_name} sees a flood of traffic ({time}); it matches "
    "{campaign_name}.",
    "ransomware": INTRUDERS,
    "wiper": INTRUDERS,
    "degrade": INTRUDERS,
    "exfiltrate": INTRUDERS,
}
"""How a detection reads to the room, by the campaign's impact: a DDoS is seen as traffic."""


class _Names:
    """How the draft names countries, their CSIRTs and operators."""

    def __init__(self, scenario: Scenario) -> None:
        self.country = {c.id: c for c in scenario.countries}
        self.asset = {a.id: a for a in scenario.assets}
        self.impact = {c.id: c.impact.type for c in scenario.campaigns}

    def csirt(self, country: str) -> str:
        c = self.country[country]
        return f"{c.name} national CSIRT" if c.csirt else f"{c.name} government"

    def operators(self, country: str) -> str:
        return f"{self.country[country].name} operators"

    def has_csirt(self, country: str) -> bool:
        return country in self.country and self.country[country].csirt is not None


def _down_hours(scenario: Scenario, rows: Sequence[Row]) -> Counter[tuple[str, str]]:
    """Asset-hours down by (country, sector) in the run."""
    sector = {a.id: a.sector for a in scenario.assets}
    since: dict[str, Row] = {}
    hours: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row.kind == kinds.ASSET_DOWN:
            since.setdefault(row.asset, row)
        elif row.kind == kinds.ASSET_UP and row.asset in since:
            hours[(row.country, sector[row.asset])] += row.time - since.pop(row.asset).time
    for asset, down in since.items():  # still down at the end
        hours[(down.country, sector[asset])] += scenario.duration_hours - down.time
    return hours


def _when(**fact: Any) -> dict[str, Any]:
    return {k: v for k, v in fact.items() if v not in (None, False, 0.0)}


def _injects(scenario: Scenario, rows: Sequence[Row], names: _Names) -> list[_Fact]:
    facts: list[_Fact] = []
    impacts = _first((r for r in rows if r.kind == kinds.IMPACT), lambda r: (r.campaign, r.country))
    for (campaign, country), row in impacts.items():
        kind, message, expected = IMPACT_WORDS.get(row.detail, IMPACT_WORDS["degrade"])
        sender = "Press office" if kind == "media" else "Operator of the affected system"
        facts.append(
            _Fact(
                row.time,
                {
                    "type": kind,
                    "method": "social media" if kind == "media" else "phone",
                    "from": sender,
                    "to": names.csirt(country),
                    "when": _when(campaign_impact=campaign, country=country),
                    "message": message,
                    "expected_action": expected,
                    "objective": "limit-loss",
                },
            )
        )
    landed = {(r.country, r.asset) for r in impacts.values()}
    detections = _first(
        (r for r in rows if r.kind == kinds.DETECTED), lambda r: (r.campaign, r.country)
    )
    for (campaign, country), row in detections.items():
        hit = impacts.get((campaign, country))
        if hit is not None and hit.time - row.time < 1.0:
            continue  # seen as it landed: the impact inject says it
        facts.append(
            _Fact(
                row.time,
                {
                    "type": "incident",
                    "method": "email",
                    "from": f"Security team of an operator in {names.country[country].name}",
                    "to": names.csirt(country),
                    "when": _when(campaign_detected=campaign, country=country),
                    "message": SEEN[names.impact[campaign]],
                    "expected_action": "Open an incident, ask for logs and indicators, warn "
                    "operators of the same sector",
                    "objective": "contain-fast",
                },
            )
        )
    first_down = _first(
        (r for r in rows if r.kind == kinds.ASSET_DOWN),
        lambda r: (r.country, names.asset[r.asset].sector),
    )
    heaviest = [k for k, _ in _down_hours(scenario, rows).most_common() if k in first_down]
    for country, sector in heaviest[:HEAVIEST_SECTORS]:
        row = first_down[(country, sector)]
        if (country, row.asset) in landed:
            continue  # the impact inject announces it
        words = SECTOR_WORDS.get(sector, sector.replace("_", " "))
        facts.append(
            _Fact(
                row.time,
                {
                    "type": "incident",
                    "method": "phone",
                    "from": f"{names.country[country].name} {words} operators",
                    "to": "All players",
                    "when": _when(sector_down=sector, country=country),
                    "message": f"{{asset_name}} is down ({{time}}): {words} services in "
                    "{country_name} are failing.",
                    "expected_action": "Find out what depends on it and how long backups hold; "
                    "tell the national CSIRT",
                    "objective": "limit-loss",
                },
            )
        )
    triaged = _first(
        (r for r in rows if r.kind == kinds.TRIAGED and LEVELS.index(r.detail) >= 2),  # type: ignore[arg-type]
        lambda r: r.country,
    )
    for country, row in triaged.items():
        level = "High" if LEVELS.index(row.detail) >= 3 else "Medium"  # type: ignore[arg-type]
        facts.append(
            _Fact(
                row.time,
                {
                    "type": "information",
                    "method": "in person",
                    "from": f"{names.csirt(country)} duty officer",
                    "to": names.csirt(country),
                    "when": _when(first_incident_at_least=level, country=country),
                    "message": f"Triage rates the incident at {{asset_name}} {level} or above "
                    "({time}).",
                    "expected_action": "Decide who leads the response, brief the ministry, "
                    "consider help from partners",
                    "objective": "contain-fast",
                },
            )
        )
    for step, kind in (("requested", kinds.ASSISTANCE_REQUESTED),):
        for country, row in _first(
            (r for r in rows if r.kind == kind), lambda r: r.country
        ).items():
            facts.append(
                _Fact(
                    row.time,
                    {
                        "type": "information",
                        "method": "email",
                        "from": names.csirt(country),
                        "to": "Partner CSIRTs",
                        "when": _when(assistance=step, country=country),
                        "message": "{country_name}'s CSIRT asks its partners for analysts "
                        "({time}).",
                        "expected_action": "Each partner says whether it can spare analysts",
                        "objective": "cooperate",
                    },
                )
            )
    for event in scenario.events:
        for window in event.windows[:3]:
            facts.append(
                _Fact(
                    window.start_hours,
                    {
                        "type": "information",
                        "method": "briefing",
                        "from": "Organising committee",
                        "to": "Venue security operations centre",
                        "when": _when(window_opens=event.id, window=window.name),
                        "message": f"Now starting: {window.name} ({event.name}), {{time}}.",
                        "expected_action": "Confirm the venue's points of contact are staffed",
                    },
                )
            )
    return facts


def _partner(scenario: Scenario, country: str, names: _Names) -> str | None:
    """The partner a CSIRT would ask for analysts: the network member (else any country)
    with a CSIRT and the most analysts."""
    pool = scenario.network.members if scenario.network else tuple(names.country)
    helpers = [c for c in pool if c != country and names.has_csirt(c)]
    if not helpers:
        return None
    return max(helpers, key=lambda c: (names.country[c].csirt.analysts, c))  # type: ignore[union-attr]


def _points(
    scenario: Scenario, rows: Sequence[Row], names: _Names
) -> list[tuple[float, dict[str, Any]]]:
    points: list[tuple[float, dict[str, Any]]] = []
    detected = [r for r in rows if r.kind == kinds.DETECTED and names.has_csirt(r.country)]
    if detected:
        row = detected[0]
        country = names.country[row.country].name
        points.append(
            (
                row.time,
                {
                    "id": "share-on-detection",
                    "when": _when(campaign_detected=row.campaign, country=row.country),
                    "team": f"{row.country.lower()}-csirt",
                    "prompt": f"{country}'s CSIRT has found the first intrusion of this "
                    "campaign. Tell the partners?",
                    "options": [
                        {"label": "Keep it in-house for now"},
                        {
                            "label": "Share the indicators with every partner",
                            "actions": [{"action": "share_indicators", "country": row.country}],
                        },
                    ],
                },
            )
        )
    severe = [
        r
        for r in rows
        if r.kind == kinds.TRIAGED
        and LEVELS.index(r.detail) >= 3  # type: ignore[arg-type]
        and names.has_csirt(r.country)
    ]
    if severe and (helper := _partner(scenario, severe[0].country, names)) is not None:
        row = severe[0]
        points.append(
            (
                row.time,
                {
                    "id": "ask-for-analysts",
                    "when": _when(first_incident_at_least="High", country=row.country),
                    "team": f"{row.country.lower()}-csirt",
                    "prompt": f"{names.country[row.country].name} has its first incident rated "
                    "High. Ask a partner for analysts?",
                    "options": [
                        {"label": "Handle it with our own analysts"},
                        {
                            "label": f"Ask {names.country[helper].name} for two analysts for "
                            "three days",
                            "actions": [
                                {
                                    "action": "request_assistance",
                                    "country": row.country,
                                    "from": helper,
                                    "analysts": 2,
                                    "arrival_hours": 6,
                                    "hours": 72,
                                }
                            ],
                        },
                    ],
                },
            )
        )
    for event in scenario.events[:1]:
        window = event.windows[0]
        sectors = Counter(names.asset[a].sector for a in event.venue_assets if a in names.asset)
        sector = sectors.most_common(1)[0][0] if sectors else "event_venue"
        hours = round(window.end_hours - window.start_hours, 1)
        points.append(
            (
                window.start_hours,
                {
                    "id": "alert-for-the-event",
                    "when": _when(window_opens=event.id, window=window.name),
                    "team": "venue-sec",
                    "prompt": f"{window.name} of {event.name} begins. Raise the alert of the "
                    "venue's systems while it lasts?",
                    "options": [
                        {"label": "Keep normal operations"},
                        {
                            "label": f"Raise the alert for {hours:g} hours (closer watch, "
                            "slightly slower service)",
                            "actions": [
                                {
                                    "action": "raise_alert",
                                    "sector": sector,
                                    "country": event.country,
                                    "hours": hours,
                                    "monitoring_bonus": 0.3,
                                    "degradation": 0.02,
                                }
                            ],
                        },
                    ],
                },
            )
        )
    backup = _backup_point(scenario, rows, names)
    if backup is not None:
        points.append(backup)
    points.sort(key=lambda p: p[0])
    return points[:4]


def _backup_point(
    scenario: Scenario, rows: Sequence[Row], names: _Names
) -> tuple[float, dict[str, Any]] | None:
    """Switching to a backup when the heaviest asset whose backup ran out first lost supply:
    the trigger is its supplier failing, before the backup is spent."""
    exhausted = _first((r for r in rows if r.kind == kinds.BACKUP_EXHAUSTED), lambda r: r.asset)
    started = _first((r for r in rows if r.kind == kinds.BACKUP_START), lambda r: r.asset)
    downs = _first((r for r in rows if r.kind == kinds.ASSET_DOWN), lambda r: r.asset)
    best = None
    for asset_id in sorted(exhausted, key=lambda a: -names.asset[a].weight):
        start = started.get(asset_id)
        if start is None:
            continue
        suppliers = [
            d.supplier
            for d in scenario.dependencies
            if d.dependent == asset_id
            and d.supplier in downs
            and downs[d.supplier].time <= start.time
        ]
        if suppliers:
            best = (asset_id, max(suppliers, key=lambda s: downs[s].time), start.time)
            break
    if best is None:
        return None
    asset_id, supplier, hour = best
    asset = names.asset[asset_id]
    team = f"{asset.country.lower()}-ops"
    return (
        hour,
        {
            "id": "backup-power",
            "when": _when(asset_down=supplier),
            "team": team,
            "prompt": f"{names.asset[supplier].name} has failed and {asset.name} runs on its "
            f"backup, which lasts about {asset.backup_hours:g} hours. Bring in more?",
            "options": [
                {"label": "Wait and see"},
                {
                    "label": f"Bring in fresh backup for {asset.name} for 24 hours",
                    "actions": [{"action": "activate_backup", "asset": asset_id, "hours": 24}],
                },
            ],
        },
    )


def _objectives(scenario: Scenario) -> list[dict[str, Any]]:
    objectives: list[dict[str, Any]] = []
    if scenario.campaigns and any(c.csirt for c in scenario.countries):
        objectives.append(
            {
                "id": "contain-fast",
                "text": "Contain campaign incidents within a working day",
                "measure": "incident_timings.contain.mean",
                "better": "lower",
                "thresholds": {"P": 8, "S": 16, "M": 36},
            }
        )
    objectives.append(
        {
            "id": "limit-loss",
            "text": "Keep the service lost to the attacks and outages small",
            "measure": "service_hours_lost",
            "better": "lower",
            "thresholds": {},
        }
    )
    if len([c for c in scenario.countries if c.csirt]) >= 2:
        objectives.append(
            {
                "id": "cooperate",
                "text": "Share what is learnt with partner CSIRTs",
                "measure": "cooperation.indicators_received",
                "better": "higher",
                "thresholds": {"P": 3, "S": 2, "M": 1},
            }
        )
    return objectives


def _round(value: float) -> float:
    """`value` to two significant figures."""
    return float(f"{value:.2g}")


def draft_exercise(scenario: Scenario, seed: int | None = None) -> Exercise:
    """An exercise drafted from one replication of `scenario` (its own seed by default):
    triggered injects for its significant events, decision points where the levers act,
    teams and objectives. Deterministic for a scenario and seed."""
    from ..analysis.metrics import compute_metrics

    records = run_replication(scenario, seed=seed)
    rows = records.events
    names = _Names(scenario)
    facts = sorted(_injects(scenario, rows, names), key=lambda f: f.hour)
    seen: set[str] = set()
    unique = []
    for fact in facts:
        key = repr(sorted(fact.inject["when"].items()))
        if key not in seen:
            seen.add(key)
            unique.append(fact)
    hours = scenario.duration_hours
    opening = {
        "time_hours": 0,
        "type": "information",
        "method": "briefing",
        "from": "Exercise control",
        "to": "All players",
        "message": f"Welcome to the exercise: {scenario.name}, {hours:g} hours of scenario time "
        "from now. Play your own organisation; reports arrive as the situation develops.",
        "expected_action": "Confirm points of contact and escalation paths",
    }
    injects = [opening, *(f.inject for f in unique[: MAX_INJECTS - 1])]
    points = [p for _, p in _points(scenario, rows, names)]
    if any(
        a["action"] == "share_indicators"
        for p in points
        for o in p["options"]
        for a in o.get("actions", ())
    ):
        injects.append(
            {
                "type": "intelligence",
                "from": "Partner CSIRTs",
                "to": "National CSIRTs",
                "when": {"indicators_received": True},
                "message": "{country_name}'s CSIRT receives a partner's indicators ({time}).",
                "expected_action": "Push them to the operators of the targeted sectors",
                "objective": "cooperate",
            }
        )
    objectives = _objectives(scenario)
    lost = compute_metrics(scenario, records)["service_hours_lost"]
    for objective in objectives:
        if objective["id"] == "limit-loss":
            base = _round(lost) if lost > 0 else 1.0
            objective["thresholds"] = {"P": _round(base * 0.8), "S": base, "M": _round(base * 1.5)}
    used = {o["id"] for o in objectives}
    for number, inject in enumerate(injects, 1):
        inject["sequence"] = number
        if inject.get("objective") not in used:
            inject.pop("objective", None)
    teams = _teams(scenario, names, injects, points)
    return Exercise.model_validate(
        {
            "title": f"{scenario.name} — drafted exercise"[:300],
            "teams": teams,
            "objectives": objectives,
            "injects": injects,
            "decision_points": points,
        }
    )


def _teams(
    scenario: Scenario, names: _Names, injects: list[dict[str, Any]], points: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    wanted = {p["team"] for p in points}
    involved = sorted(
        {w["country"] for i in injects if (w := i.get("when")) and "country" in w}
        | {t.split("-")[0].upper() for t in wanted if t != "venue-sec"}
    )
    teams: list[dict[str, Any]] = [{"id": "control", "name": "Exercise control", "role": "control"}]
    for country in involved:
        if country not in names.country:
            continue
        if names.has_csirt(country):
            teams.append(
                {"id": f"{country.lower()}-csirt", "name": names.csirt(country), "country": country}
            )
        teams.append(
            {
                "id": f"{country.lower()}-ops",
                "name": names.operators(country),
                "role": "operators",
                "country": country,
            }
        )
    if scenario.events:
        teams.append(
            {
                "id": "venue-sec",
                "name": "Venue security operations centre",
                "role": "event_security",
                "country": scenario.events[0].country,
            }
        )
    known = {t["id"] for t in teams}
    for point in points:
        if point["team"] not in known:
            point.pop("team")
    return teams


def exercise_data(exercise: Exercise) -> dict[str, Any]:
    """The exercise as the mapping a scenario file holds under `exercise:`."""
    data: dict[str, Any] = exercise.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    for inject in data.get("injects", ()):
        if "when" in inject and inject.get("time_hours") == 0:
            del inject["time_hours"]
    return data


def exercise_yaml(exercise: Exercise) -> str:
    """A full `exercise:` block to paste into a scenario file."""
    return dump({"exercise": exercise_data(exercise)})


def with_exercise(
    path: Path,
    exercise: Exercise,
    allowed: Sequence[Path] = (),
    max_events: int = MAX_ROUTINE_INCIDENTS,
) -> Scenario:
    """The scenario file at `path` with `exercise` in place of its own, loaded and checked
    as `validate` would (references, schedule, objectives' measures). Raises ScenarioError."""
    from ..analysis.validation import check_measures

    data = read_yaml_mapping(path)
    data["exercise"] = exercise_data(exercise)
    scenario = load_scenario(data, base_dir=path.parent, allowed=allowed, max_events=max_events)
    check_measures(path, {None: scenario})
    return scenario


def fuller_seed(scenario: Scenario, seed: int, drafted: Exercise, tries: int = 10) -> int | None:
    """The first of the `tries` seeds after `seed` whose draft has more injects and decision
    points than `drafted` (`seed`'s), for a seed whose attacks were blocked; None if none."""
    size = len(drafted.injects) + len(drafted.decision_points)
    for candidate in range(seed + 1, min(seed + 1 + tries, MAX_SEED + 1)):
        other = draft_exercise(scenario, candidate)
        if len(other.injects) + len(other.decision_points) > size:
            return candidate
    return None
