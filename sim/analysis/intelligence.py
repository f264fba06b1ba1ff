"""What a run's CSIRTs knew and shared, from its event log: each campaign's incidents, the
countries that detected it, when each country came to hold each indicator and from whom,
and every share. STIX and MISP exports describe a run through this."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..engine import kinds
from ..engine.records import Row
from ..schema.scenario import Scenario

KNOWN, ADVISORY = "known", "advisory"
"""How a country came to hold indicators other than from a partner: it knew them before the
run (`indicators_known_by`), or its CSIRT's own triage turned them into an advisory."""


@dataclass(frozen=True)
class Holding:
    """A country came to hold an indicator at `hours`, with the indicators of `campaign`:
    as KNOWN, as an ADVISORY, or from the country `source` that shared them at
    `shared_hours`. Indicators are held by name, so one actor's campaigns that share an
    indicator are recognised together, as in the engine."""

    indicator: str
    country: str
    hours: float
    campaign: str
    source: str
    shared_hours: float | None = None


@dataclass(frozen=True)
class Share:
    """A country published the indicators of `campaigns` at `hours`; `received` gives who
    took in any that were new to them, and when."""

    country: str
    hours: float
    campaigns: tuple[str, ...]
    received: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Sighting:
    """A country's defenders detected intrusions of a campaign `count` times, the first at
    `first` and the last at `last`."""

    campaign: str
    country: str
    first: float
    last: float
    count: int


SUCCEEDED, BLOCKED, STOPPED = "succeeded", "blocked", "stopped on detection"
"""How a stage an intrusion tried ended."""

STAGE_ENDS = {
    kinds.STAGE_SUCCESS: SUCCEEDED,
    kinds.STAGE_BLOCKED: BLOCKED,
    kinds.INTRUSION_STOPPED: STOPPED,
}


@dataclass(frozen=True)
class Trail:
    """One intrusion's incident: the stages it tried, in order, each with how it ended
    (SUCCEEDED, BLOCKED or STOPPED), and when it was detected, reported, rated, contained
    and hit."""

    id: str
    campaign: str
    asset: str
    country: str
    first: float
    last: float
    stages: tuple[tuple[int, str], ...]
    detected: float | None
    reported: float | None
    level: str | None
    contained: float | None
    impact: str | None


@dataclass(frozen=True)
class Intelligence:
    """A run's incidents, sightings, holdings and shares, each in time order."""

    trails: tuple[Trail, ...]
    sightings: tuple[Sighting, ...]
    holdings: tuple[Holding, ...]
    shares: tuple[Share, ...]


def intelligence(scenario: Scenario, events: Iterable[Row]) -> Intelligence:
    """Read `events` (one run of `scenario`, in time order) for what its CSIRTs knew."""
    rows = list(events)
    return Intelligence(
        _trails(scenario, rows), _sightings(rows), _holdings(scenario, rows), _shares(rows)
    )


def _shares(rows: list[Row]) -> tuple[Share, ...]:
    """One share per publication: an incident's (one campaign) or a decision's (one row per
    campaign it covered, all at one hour)."""
    received: dict[str, list[tuple[str, float]]] = defaultdict(list)
    published: dict[tuple[str, str, float], list[str]] = {}
    for row in rows:
        if row.kind == kinds.INDICATORS_RECEIVED:
            received[row.incident].append((row.country, row.time))
        elif row.kind == kinds.INDICATORS_SHARED:
            covered = published.setdefault((row.incident, row.country, row.time), [])
            covered += [row.campaign] if row.campaign else []
    return tuple(
        Share(country, hours, tuple(covered), tuple(dict.fromkeys(received[incident])))
        for (incident, country, hours), covered in published.items()
    )


def _holdings(scenario: Scenario, rows: list[Row]) -> tuple[Holding, ...]:
    asset_country = {a.id: a.country for a in scenario.assets}
    indicators = {c.id: c.indicators for c in scenario.campaigns}
    shared_by = {
        row.incident: (row.country, row.time) for row in rows if row.kind == kinds.INDICATORS_SHARED
    }
    learnt = [
        (0.0, campaign.id, country, KNOWN, None)
        for campaign in scenario.campaigns
        for country in campaign.indicators_known_by
    ]
    for row in rows:
        if row.kind == kinds.ADVISORY_ISSUED:
            learnt.append((row.time, row.campaign, row.country, ADVISORY, None))
        elif row.kind == kinds.INDICATORS_RECEIVED:
            sender, when = shared_by.get(row.incident, (asset_country.get(row.asset, ""), None))
            learnt.append((row.time, row.campaign, row.country, sender, when))
    first: dict[tuple[str, str], Holding] = {}
    for hours, campaign, country, source, when in learnt:
        for indicator in indicators[campaign]:
            held = Holding(indicator, country, hours, campaign, source, when)
            first.setdefault((indicator, country), held)
    return tuple(sorted(first.values(), key=lambda h: (h.hours, h.indicator, h.country)))


def _sightings(rows: list[Row]) -> tuple[Sighting, ...]:
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        if row.kind == kinds.DETECTED:
            times[row.campaign, row.country].append(row.time)
    return tuple(
        Sighting(campaign, country, seen[0], seen[-1], len(seen))
        for (campaign, country), seen in sorted(times.items(), key=lambda kv: (kv[1][0], kv[0]))
    )


def _trails(scenario: Scenario, rows: list[Row]) -> tuple[Trail, ...]:
    """The incidents of intrusions that began (a botnet taken down before its attack starts
    leaves rows, but no intrusion)."""
    asset_country = {a.id: a.country for a in scenario.assets}
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.campaign and row.asset and row.incident and row.kind != kinds.INDICATORS_RECEIVED:
            grouped[row.incident].append(row)
    return tuple(
        _trail(incident, trail, asset_country[trail[0].asset])
        for incident, trail in grouped.items()
        if any(row.kind == kinds.INTRUSION_START for row in trail)
    )


def _trail(incident: str, rows: list[Row], country: str) -> Trail:
    def first(kind: str) -> Row | None:
        return next((row for row in rows if row.kind == kind), None)

    stages = [(int(r.value), STAGE_ENDS[r.kind]) for r in rows if r.kind in STAGE_ENDS]
    detected, reported = first(kinds.DETECTED), first(kinds.REPORTED)
    contained, impact = first(kinds.CONTAINED), first(kinds.IMPACT)
    levels = [r.detail for r in rows if r.kind in (kinds.TRIAGED, kinds.RETRIAGED)]
    return Trail(
        incident,
        rows[0].campaign,
        rows[0].asset,
        country,
        rows[0].time,
        rows[-1].time,
        tuple(stages),
        None if detected is None else detected.time,
        None if reported is None else reported.time,
        levels[-1] if levels else None,
        None if contained is None else contained.time,
        None if impact is None else impact.detail,
    )
