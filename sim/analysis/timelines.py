"""Time series and spans of one run, for plots: service lost per sector, incidents from
detection to recovery, CSIRT queues, and when each asset failed."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import kinds
from ..engine.infrastructure import DOWN
from ..engine.records import Records
from ..schema.infrastructure import SECTORS
from ..schema.scenario import Scenario
from .metrics import running_total, series_steps

SPAN_STEPS = {
    kinds.DETECTED: "detected",
    kinds.IMPACT: "impact",
    kinds.REPORTED: "reported",
    kinds.TRIAGED: "triaged",
    kinds.CONTAINED: "contained",
    kinds.IMPACT_END: "recovered",
}
"""Event kinds marking the steps of an incident, and the step each names."""

QUEUE_JOINS = frozenset({kinds.QUEUED})
"""Event kinds at which a task joins a CSIRT's queue (a routine incident, the triage of a
campaign incident, each of its containment tasks)."""


def sector_loss(scenario: Scenario, records: Records, times: np.ndarray) -> dict[str, np.ndarray]:
    """Per sector with assets (in `Sector` order), the service lost at each of `times`: the sum
    of weight x q over its assets, each asset's q being its value at its last change at or
    before t (0 before any). Integrated over the run, it is the sector's
    `service_hours_lost_by_sector`."""
    times = np.asarray(times, dtype=float)
    asset, time, q, previous = series_steps(records)
    weight = np.array([a.weight for a in scenario.assets], dtype=float)
    sector = np.array([a.sector for a in scenario.assets])
    increment = weight[asset] * (q - previous)
    present = set(sector.tolist())
    loss = {}
    for name in (s for s in SECTORS if s in present):
        mine = sector[asset] == name
        at, total = running_total(time[mine], increment[mine])
        loss[name] = np.append(0.0, total)[np.searchsorted(at, times, side="right")]
    return loss


def event_windows(scenario: Scenario) -> list[tuple[str, float, float]]:
    """Every major event's windows as (label, start hour, end hour); labels name the event
    too when there are several."""
    several = len(scenario.events) > 1
    return [
        (f"{e.name}: {w.name}" if several else w.name, w.start_hours, w.end_hours)
        for e in scenario.events
        for w in e.windows
    ]


def incident_spans(records: Records) -> list[dict[str, Any]]:
    """One dict per campaign incident that was detected or reported to a CSIRT, in order of
    first notice: incident, country, asset, campaign, and the hour it was first detected,
    impact began, reported, triaged, contained and recovered (its impact ended); None for a
    step that never happened. A victim recovering alone may recover before containment."""
    spans: dict[str, dict[str, Any]] = {}
    for row in records.events:
        step = SPAN_STEPS.get(row.kind)
        if step is None or not row.incident:
            continue
        span = spans.setdefault(
            row.incident,
            {
                "incident": row.incident,
                "country": row.country,
                "asset": row.asset,
                "campaign": row.campaign,
                **dict.fromkeys(SPAN_STEPS.values()),
            },
        )
        if span[step] is None:
            span[step] = row.time
    return [s for s in spans.values() if s["detected"] is not None or s["reported"] is not None]


def queue_lengths(records: Records, country: str) -> tuple[np.ndarray, np.ndarray]:
    """Tasks waiting in `country`'s CSIRT queue as a step function: from `times[k]` on, the
    queue holds `lengths[k]` tasks (`times[0]` is 0, and only changes follow).

    A task joins the queue at its QUEUE_JOINS event and leaves when an analyst (its own
    CSIRT's or the joint cell's) takes it, at its QUEUE_WAIT; a wait w logged at t covers
    [t - w, t]. Tasks still waiting at the horizon stay counted. `country` must have a CSIRT:
    without one, its routine incidents are logged but join no queue.
    """
    time, step = [0.0], [0]
    for row in records.events:
        if row.country == country and (row.kind in QUEUE_JOINS or row.kind == kinds.QUEUE_WAIT):
            time.append(row.time)
            step.append(-1 if row.kind == kinds.QUEUE_WAIT else 1)
    times, lengths = running_total(np.array(time), np.array(step))
    changed = np.append(True, lengths[1:] != lengths[:-1])
    return times[changed], lengths[changed]


def failure_times(scenario: Scenario, records: Records) -> dict[str, float]:
    """For each asset whose q ever reached DOWN, in scenario order, the first hour it did."""
    asset, time, q, _ = series_steps(records)
    down = q >= DOWN
    failed, first = np.unique(asset[down], return_index=True)
    return {records.asset_ids[i]: float(t) for i, t in zip(failed, time[down][first], strict=True)}
