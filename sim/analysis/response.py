"""KPIs of the response, from the event log: incident timings, CSIRT load, cooperation."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from ..engine import kinds
from ..engine.records import BLOCKED_HOLDING, Records
from ..schema.scenario import Scenario

STEPS = {
    "detect": (kinds.INTRUSION_START, kinds.DETECTED),
    "report": (kinds.DETECTED, kinds.REPORTED),
    "triage": (kinds.REPORTED, kinds.TRIAGED),
    "contain": (kinds.DETECTED, kinds.CONTAINED),
    "recover": (kinds.IMPACT, kinds.IMPACT_END),
}
"""Each timing: hours from the first event of one kind to the first of the other, per incident."""


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "mean": None, "p50": None, "p90": None}
    array = np.asarray(values)
    return {
        "n": len(values),
        "mean": float(array.mean()),
        "p50": float(np.percentile(array, 50)),
        "p90": float(np.percentile(array, 90)),
    }


def incident_timings(scenario: Scenario, records: Records) -> dict[str, dict[str, Any]]:
    """Hours to detect, report, triage, contain and recover (n, mean, p50, p90) over the
    campaign incidents that reached both ends of each step."""
    first: dict[tuple[str, str], float] = {}
    for row in records.events:
        if row.incident and (row.incident, row.kind) not in first:
            first[(row.incident, row.kind)] = row.time
    incidents = {incident for incident, _ in first}
    return {
        step: _summary(
            [
                first[(i, end)] - first[(i, begin)]
                for i in sorted(incidents)
                if (i, begin) in first and (i, end) in first
            ]
        )
        for step, (begin, end) in STEPS.items()
    }


def csirt_load(scenario: Scenario, records: Records) -> dict[str, dict[str, float | None]]:
    """Per CSIRT: tasks its own analysts started, mean queue wait (hours, joint-cell tasks
    included), and utilisation (its analysts' hours worked within the run over analysts x
    horizon)."""
    waits: dict[str, list[float]] = defaultdict(list)
    busy: dict[str, float] = defaultdict(float)
    tasks: dict[str, int] = defaultdict(int)
    for row in records.events:
        if row.kind == kinds.QUEUE_WAIT:
            waits[row.country].append(row.value)
        elif row.kind == kinds.WORK:
            tasks[row.country] += 1
            busy[row.country] += min(row.value, records.horizon - row.time)
    return {
        c.id: {
            "tasks": tasks[c.id],
            "mean_wait_hours": float(np.mean(waits[c.id])) if waits[c.id] else None,
            "utilisation": busy[c.id] / (c.csirt.analysts * records.horizon),
        }
        for c in scenario.countries
        if c.csirt is not None
    }


COOPERATION_COUNTS = {
    "assistance_requested": kinds.ASSISTANCE_REQUESTED,
    "assistance_answered": kinds.ASSISTANCE_ANSWERED,
    "assistance_arrived": kinds.ASSISTANCE_ARRIVED,
    "indicators_shared": kinds.INDICATORS_SHARED,
    "indicators_received": kinds.INDICATORS_RECEIVED,
    "advisories_issued": kinds.ADVISORY_ISSUED,
    "incidents_retriaged": kinds.RETRIAGED,
    "incidents_not_reported": kinds.NOT_REPORTED,
    "intrusions_evicted": kinds.INTRUSION_CONTAINED,
    "takedowns": kinds.INFRASTRUCTURE_TAKEN_DOWN,
    "intrusions_taken_down": kinds.INTRUSION_TAKEN_DOWN,
    "spreads_prevented": kinds.SPREAD_PREVENTED,
}
"""Each count of `cooperation` and the event kind it counts."""


def cooperation(scenario: Scenario, records: Records) -> dict[str, int]:
    """How far each pathway of the response was used: assistance requested, answered and
    arrived; indicator sets shared, received and turned into national advisories; incidents
    re-triaged and not reported; intrusions evicted by containment before their impact,
    campaign infrastructure taken down and the intrusions that stopped with it,
    spreads stopped by it, outages it shortened; and intrusion stages blocked while the
    target held the campaign's indicators."""
    seen = Counter(row.kind for row in records.events)
    counts = {name: seen[kind] for name, kind in COOPERATION_COUNTS.items()}
    helped = {row.incident for row in records.events if row.kind == kinds.RESTORATION_START}
    counts["outages_shortened"] = sum(
        1 for row in records.events if row.kind == kinds.IMPACT_END and row.incident in helped
    )
    counts["stages_blocked_holding_indicators"] = sum(
        1
        for row in records.events
        if row.kind == kinds.BLOCK_REASON and row.detail == BLOCKED_HOLDING
    )
    return counts
