"""KPIs of the response, from the event log: incident timings, CSIRT load, cooperation."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from ..engine.records import Records
from ..schema.scenario import Scenario

STEPS = {
    "detect": ("intrusion_start", "detected"),
    "report": ("detected", "reported"),
    "triage": ("reported", "triaged"),
    "contain": ("detected", "contained"),
    "recover": ("impact", "impact_end"),
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
    for time, kind, *_, incident, _value, _detail in records.events:
        if incident and (incident, kind) not in first:
            first[(incident, kind)] = time
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
    for time, kind, country, *_, value, _detail in records.events:
        if kind == "queue_wait":
            waits[country].append(value)
        elif kind == "work":
            tasks[country] += 1
            busy[country] += min(value, records.horizon - time)
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
    "assistance_requested": "assistance_requested",
    "assistance_answered": "assistance_answered",
    "assistance_arrived": "assistance_arrived",
    "indicators_shared": "indicators_shared",
    "indicators_received": "indicators_received",
    "advisories_issued": "advisory_issued",
    "incidents_retriaged": "retriaged",
    "incidents_not_reported": "not_reported",
    "intrusions_evicted": "intrusion_contained",
    "takedowns": "infrastructure_taken_down",
    "intrusions_taken_down": "intrusion_taken_down",
    "spreads_prevented": "spread_prevented",
}
"""Each count of `cooperation` and the event kind it counts."""


def cooperation(scenario: Scenario, records: Records) -> dict[str, int]:
    """How far each pathway of the response was used: assistance requested, answered and
    arrived; indicator sets shared, received and turned into national advisories; incidents
    re-triaged and not reported; intrusions evicted by containment before their impact,
    campaign infrastructure taken down and the intrusions that stopped with it,
    spreads stopped by it, outages it shortened; and intrusion stages blocked while the
    target held the campaign's indicators."""
    kinds = Counter(e[1] for e in records.events)
    counts = {name: kinds[kind] for name, kind in COOPERATION_COUNTS.items()}
    counts["outages_shortened"] = sum(
        1 for e in records.events if e[1] == "impact_end" and e[7].endswith(":helped")
    )
    counts["stages_blocked_holding_indicators"] = sum(
        1 for e in records.events if e[1] == "stage_blocked" and e[7].endswith(":ioc")
    )
    return counts
