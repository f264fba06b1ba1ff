"""The AAR's timeline: what the simulation did (outages, campaign impacts, detections, triage,
indicators, assistance, takedowns) beside the injects delivered and the decisions taken, in
time order, with the scenario hour and the calendar time of each line.

Rows that belong together become one line: assets of one sector going down in one country
within GROUP_HOURS of each other (a blackout is one line, not fifty), a campaign's impacts on
one country, its detections, and so on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine import kinds
from ..engine.records import BLOCKED_HOLDING, BLOCKED_ISOLATED, Row
from ..schema.defenders import LEVELS
from ..schema.scenario import Scenario

GROUP_HOURS = 1.0
"""Rows of one group within this many hours of the group's first row share a line."""

NAMED = 4
"""A line names at most this many assets, then says how many more."""

TRIAGE_FLOOR = "Medium"
"""Campaign incidents triaged at this level or above are on the timeline."""

CATEGORIES = {
    "inject": "Inject",
    "decision": "Decision",
    "move": "Team move",
    "outage": "Assets down",
    "recovery": "Assets back",
    "disruption": "Disruption",
    "impact": "Attack lands",
    "impact_end": "Attack damage lifted",
    "exfiltration": "Data stolen",
    "detection": "Detection",
    "blocked": "Blocked",
    "triage": "CSIRT triage",
    "containment": "Containment",
    "indicators": "Indicators",
    "assistance": "Assistance",
    "takedown": "Takedown",
}
"""Each kind of line, as the timeline labels it."""

ACTIONS = frozenset(
    {
        kinds.ISOLATED,
        kinds.ISOLATION_END,
        kinds.ALERT_RAISED,
        kinds.ALERT_END,
        kinds.BACKUP_ACTIVATED,
        kinds.PUBLIC_STATEMENT,
    }
)
"""Kinds that only a decision's action logs: shown under the decision."""


CONTAINED = "contained"
BLOCKED_BY = {
    BLOCKED_HOLDING: "by indicators held there",
    BLOCKED_ISOLATED: "while the asset was isolated",
    CONTAINED: "by containment, before impact",
}
"""How each kind of block reads in the timeline."""


@dataclass
class Group:
    """Rows of one kind of line, about one thing, close in time."""

    category: str
    key: tuple[Any, ...]
    rows: list[Row] = field(default_factory=list)

    @property
    def time(self) -> float:
        return self.rows[0].time


def _key(row: Row, sector_of: Mapping[str, str]) -> tuple[str, tuple[Any, ...]] | None:
    """The category of `row`'s line and what it groups by, or None to leave it out."""
    kind = row.kind
    if kind == kinds.ASSET_DOWN:
        return "outage", (row.country, sector_of.get(row.asset, ""))
    if kind == kinds.ASSET_UP:
        return "recovery", (row.country, sector_of.get(row.asset, ""))
    if kind == kinds.DAMAGE:  # only disruptions damage directly
        return "disruption", (row.country, sector_of.get(row.asset, ""))
    if kind == kinds.IMPACT:
        return "impact", (row.campaign, row.country, row.detail)
    if kind == kinds.IMPACT_END:
        return "impact_end", (row.campaign, row.country, row.detail)
    if kind == kinds.EXFILTRATION:
        return "exfiltration", (row.campaign, row.country)
    if kind == kinds.DETECTED:
        return "detection", (row.campaign, row.country)
    if kind == kinds.BLOCK_REASON:  # held indicators, or an isolated asset
        return "blocked", (row.detail, row.campaign, row.country)
    if kind == kinds.INTRUSION_CONTAINED:
        return "blocked", (CONTAINED, row.campaign, row.country)
    if kind in (kinds.TRIAGED, kinds.RETRIAGED) and row.campaign:
        if row.detail in LEVELS and LEVELS.index(row.detail) >= LEVELS.index(TRIAGE_FLOOR):
            return "triage", (kind, row.campaign, row.country, row.detail)
        return None
    if kind == kinds.CONTAINED and row.campaign:
        return "containment", (row.campaign, row.country)
    if kind == kinds.ADVISORY_ISSUED:
        return "indicators", ("advisory", row.country)
    if kind == kinds.INDICATORS_SHARED:
        return "indicators", ("shared", row.country, row.time)
    if kind == kinds.INDICATORS_RECEIVED:
        return "indicators", ("received", row.incident, row.campaign)
    if kind in (
        kinds.ASSISTANCE_REQUESTED,
        kinds.ASSISTANCE_ANSWERED,
        kinds.ASSISTANCE_REFUSED,
        kinds.ASSISTANCE_ARRIVED,
    ):
        return "assistance", (kind, row.country, row.incident, row.time)
    if kind in (kinds.TAKEDOWN_REQUESTED, kinds.TAKEDOWN_DECLINED):
        return "takedown", (kind, row.country, row.campaign, row.time)
    if kind == kinds.INFRASTRUCTURE_TAKEN_DOWN:
        return "takedown", (kind, row.detail or row.campaign)
    if kind == kinds.INTRUSION_TAKEN_DOWN:
        return "takedown", (kind, row.campaign)
    return None


def groups(rows: Iterable[Row], sector_of: Mapping[str, str]) -> list[Group]:
    """The simulated events of `rows` as lines: rows with one key within GROUP_HOURS of the
    first of their group share it. Rows a decision logged (tagged `decision:`) are left to
    the decision."""
    found: list[Group] = []
    open_: dict[tuple[Any, ...], Group] = {}
    for row in rows:
        if row.incident.startswith("decision:") and row.kind in ACTIONS:
            continue
        keyed = _key(row, sector_of)
        if keyed is None:
            continue
        category, key = keyed
        group = open_.get((category, *key))
        if group is None or row.time - group.time > GROUP_HOURS:
            group = open_[(category, *key)] = Group(category, key)
            found.append(group)
        group.rows.append(row)
    return found


class Namer:
    """Names of a scenario's countries, assets, sectors and campaigns."""

    def __init__(self, scenario: Scenario) -> None:
        self.countries = {c.id: c.name or c.id for c in scenario.countries}
        self.assets = {a.id: a.name for a in scenario.assets}
        self.campaigns = {c.id: c.name for c in scenario.campaigns}

    def country(self, cid: str) -> str:
        return self.countries.get(cid, cid) or "an unnamed country"

    def campaign(self, cid: str) -> str:
        return self.campaigns.get(cid, cid) or "a campaign"

    def assets_list(self, ids: Iterable[str]) -> str:
        """Distinct assets by name, at most NAMED of them, then how many more."""
        names = list(dict.fromkeys(self.assets.get(i, i) for i in ids if i))
        shown = ", ".join(names[:NAMED])
        return shown + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")

    def campaigns_of(self, rows: Iterable[Row]) -> str:
        """The distinct campaigns `rows` are about, by name."""
        ids = dict.fromkeys(row.campaign for row in rows if row.campaign)
        return ", ".join(self.campaign(c) for c in ids) or "no campaign"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def describe(group: Group, names: Namer, shortened: Collection[str] = ()) -> str:
    """One line of the timeline in words; `shortened`: the incidents whose damage the
    response cut short (they have a RESTORATION_START row)."""
    rows, key, category = group.rows, group.key, group.category
    assets = [r.asset for r in rows]
    n = len(dict.fromkeys(assets))
    listed = names.assets_list(assets)
    first = rows[0]
    where = names.country(first.country)
    if category in ("outage", "recovery", "disruption"):
        sector = key[1].replace("_", " ") or "other"
        verb = {"outage": "down", "recovery": "back in service", "disruption": "damaged"}[category]
        text = f"{_count(n, sector + ' asset')} {verb} in {where}: {listed}"
        return ("Disruption: " + text) if category == "disruption" else text
    campaign = names.campaign(first.campaign)
    if category == "impact":
        return (
            f"{campaign}: {first.detail or 'impact'} hits {_count(n, 'asset')} in {where}: {listed}"
        )
    if category == "impact_end":
        helped = sum(r.incident in shortened for r in rows)
        by = f" ({helped} sooner thanks to the response)" if helped else ""
        kind = key[2] or "impact"
        return f"{campaign}: {kind} damage lifted at {_count(n, 'asset')} in {where}{by}: {listed}"
    if category == "exfiltration":
        return f"{campaign}: data stolen from {_count(n, 'asset')} in {where}: {listed}"
    if category == "detection":
        return f"{campaign} detected at {_count(n, 'asset')} in {where}: {listed}"
    if category == "blocked":
        why = BLOCKED_BY.get(key[0], "")
        return f"{campaign} stopped at {_count(n, 'asset')} in {where} {why}: {listed}"
    if category == "triage":
        again = "re-rates" if first.kind == kinds.RETRIAGED else "rates"
        return f"{where}'s CSIRT {again} the {campaign} incident at {listed}: {first.detail}"
    if category == "containment":
        return f"{where}'s CSIRT contains {campaign} at {_count(n, 'asset')}: {listed}"
    if category == "indicators":
        if key[0] == "advisory":
            issued = _count(len(rows), "national advisory", "national advisories")
            return f"{where}'s CSIRT issues {issued}"
        if key[0] == "shared":
            return f"{where} shares indicators of {names.campaigns_of(rows)}"
        receivers = ", ".join(dict.fromkeys(names.country(r.country) for r in rows))
        return f"Indicators of {names.campaigns_of(rows)} reach {receivers}"
    if category == "assistance":
        kind = first.kind
        if kind == kinds.ASSISTANCE_REQUESTED:
            helper = names.countries.get(first.detail)
            asked = f"asks {helper}'s CSIRT" if helper else "asks its partners"
            level = "" if helper else f" ({first.detail} incident)" if first.detail else ""
            return f"{where} {asked} for analysts{level}"
        if kind == kinds.ASSISTANCE_ANSWERED:
            return f"{where}'s CSIRT agrees to lend analysts, arriving in {first.value:.1f} h"
        if kind == kinds.ASSISTANCE_REFUSED:
            return f"A request for analysts involving {where} cannot be met ({first.detail})"
        return f"Lent analysts arrive in {where}: {first.detail}"
    if category == "takedown":
        if first.kind == kinds.TAKEDOWN_REQUESTED:
            host = names.country(first.detail)
            if host == where:
                return f"{where}'s CSIRT moves to take down the infrastructure of {campaign}"
            return f"{where} asks {host} to take down the infrastructure of {campaign}"
        if first.kind == kinds.TAKEDOWN_DECLINED:
            return f"A takedown of the infrastructure of {campaign} is declined"
        if first.kind == kinds.INFRASTRUCTURE_TAKEN_DOWN:
            taken = names.campaign(first.detail or first.campaign)
            return f"The infrastructure of {taken} is taken down"
        return f"{_count(len(rows), 'intrusion')} of {campaign} stop with its infrastructure"
    return f"{first.kind.replace('_', ' ')} in {where}"


def timeline(
    scenario: Scenario, rows: Iterable[Row], decisions: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The timeline's lines in time order (injects before decisions before simulated events
    at one instant), and the injects of the MSEL that were never delivered."""
    exercise = scenario.exercise
    assert exercise is not None
    injects = {i.sequence: i for i in exercise.injects}
    points = {p.id: p for p in exercise.decision_points}
    teams = {t.id: t.name for t in exercise.teams}
    names = Namer(scenario)
    sector_of = {a.id: a.sector for a in scenario.assets}
    rows = [Row(*r) for r in rows]
    entries: list[dict[str, Any]] = []
    consequences: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.kind == kinds.INJECT and int(row.value) in injects:
            inject = injects.pop(int(row.value))
            entries.append(
                {
                    "order": (row.time, 0, inject.sequence),
                    "category": "inject",
                    "label": f"Inject {inject.sequence}",
                    "sub": f"{inject.type}, by {inject.method}",
                    "route": f"{inject.sender} → {inject.recipient}",
                    "text": row.detail,  # as delivered: a triggered one names what fired it
                    "expected": inject.expected_action,
                }
            )
        elif row.kind == kinds.MOVE:
            entries.append(
                {
                    "order": (row.time, 1, 0),
                    "category": "move",
                    "label": CATEGORIES["move"],
                    "route": names.countries.get(row.country, row.country),
                    "text": row.detail,
                    "consequences": consequences[row.incident],
                }
            )
        elif row.kind != kinds.DECISION and row.incident.startswith(("decision:", "move:")):
            where = ", ".join(
                part
                for part in (
                    names.countries.get(row.country, row.country),
                    names.assets.get(row.asset, row.asset),
                )
                if part
            )
            consequences[row.incident.removeprefix("decision:")].append(
                {
                    "hour": f"{row.time:.1f}",
                    "what": row.kind.replace("_", " "),
                    "where": where,
                    "detail": names.campaigns_of([row])
                    if row.kind in (kinds.INDICATORS_SHARED, kinds.INDICATORS_RECEIVED)
                    else row.detail,
                }
            )
    for number, decision in enumerate(decisions, 1):
        point = points.get(decision["point"])
        entries.append(
            {
                "order": (decision["time_hours"], 1, number),
                "category": "decision",
                "label": f"Decision {number}",
                "point": decision["point"],
                "route": teams.get(point.team, point.team) if point and point.team else "",
                "text": point.prompt if point else "",
                "choice": decision["label"],
                "number": decision["option"] + 1,
                "default": point is not None and decision["option"] == point.default,
                "source": decision.get("source", ""),
                "wall_clock": decision.get("wall_clock", ""),
                "consequences": consequences[decision["point"]],
                "time": decision["time_hours"],
            }
        )
    shortened = {row.incident for row in rows if row.kind == kinds.RESTORATION_START}
    for k, group in enumerate(groups(rows, sector_of)):
        entries.append(
            {
                "order": (group.time, 2, k),
                "category": group.category,
                "label": CATEGORIES[group.category],
                "text": describe(group, names, shortened),
                "campaign": group.rows[0].campaign,
            }
        )
    for entry in entries:
        entry["hour"] = f"{entry['order'][0]:.1f}"
        entry["when"] = scenario.calendar_time(entry["order"][0])
    missing = [
        f"inject {i.sequence} ({_due(i)}, {i.sender} → {i.recipient})" for i in injects.values()
    ]
    return sorted(entries, key=lambda e: e["order"]), missing


def _due(inject: Any) -> str:
    when = getattr(inject, "when", None)
    if when is not None:
        described = getattr(when, "describe", None)
        return f"when {described()}" if described else "on a trigger"
    return f"hour {inject.time_hours:g}"
