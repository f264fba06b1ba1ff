"""KPIs as named functions of a scenario and the records of one run (DESIGN.md §3, Records).

Service-hours lost weigh each asset's lost service by its `weight` (customers or people
served): an asset of weight 1,000 fully down for 3 hours loses 3,000 service-hours.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import kinds
from ..engine.infrastructure import DOWN
from ..engine.records import Records
from ..schema.scenario import Scenario
from .intrusions import campaign_outcomes
from .response import cooperation, csirt_load, incident_timings

AFFECTED = 0.05
"""An asset counts as affected once it has lost at least 5% of its service."""

DIRECT_DAMAGE = frozenset({kinds.DAMAGE, kinds.IMPACT})
"""Event kinds that damage an asset directly (a disruption, a campaign's impact)."""


def _sorted_series(records: Records) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Change points ordered by asset then time, with each one's end (next change or horizon)."""
    asset = np.asarray(records.series_asset, dtype=np.int64)
    time = np.asarray(records.series_time, dtype=float)
    q = np.asarray(records.series_q, dtype=float)
    order = np.lexsort((np.arange(len(time)), asset))
    asset, time, q = asset[order], time[order], q[order]
    end = np.full(len(time), records.horizon)
    same = asset[1:] == asset[:-1]
    end[:-1][same] = time[1:][same]
    return asset, time, q, end


def series_steps(records: Records) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Change points ordered by asset then time: asset index, time, q, and the q each one
    replaces (0 for an asset's first)."""
    asset, time, q, _ = _sorted_series(records)
    previous = np.zeros(len(q))
    same = asset[1:] == asset[:-1]
    previous[1:][same] = q[:-1][same]
    return asset, time, q, previous


def running_total(time: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct times of `time`, ascending, and the sum of `step` over all entries at or
    before each: a step function's change points from its increments."""
    order = np.argsort(time, kind="stable")
    time, total = time[order], np.cumsum(step[order])
    last = np.ones(len(time), dtype=bool)
    last[:-1] = time[1:] != time[:-1]
    return time[last], total[last]


def asset_hours_lost(
    scenario: Scenario, records: Records, window: tuple[float, float] | None = None
) -> np.ndarray:
    """Per asset (in scenario order), the integral of q over the run, or over `window`
    (start and end hours), in hours."""
    asset, time, q, end = _sorted_series(records)
    if window is not None:
        time, end = np.maximum(time, window[0]), np.minimum(end, window[1])
    return np.bincount(asset, weights=q * np.maximum(end - time, 0), minlength=len(scenario.assets))


def _weighted(scenario: Scenario, records: Records) -> np.ndarray:
    weights = np.array([a.weight for a in scenario.assets], dtype=float)
    return weights * asset_hours_lost(scenario, records)


def _by(scenario: Scenario, records: Records, attribute: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for asset, lost in zip(scenario.assets, _weighted(scenario, records), strict=True):
        key = getattr(asset, attribute)
        totals[key] = totals.get(key, 0.0) + float(lost)
    return dict(sorted(totals.items()))


def service_hours_lost(scenario: Scenario, records: Records) -> float:
    """Sum over assets of weight x q x hours."""
    return float(_weighted(scenario, records).sum())


def service_hours_lost_by_sector(scenario: Scenario, records: Records) -> dict[str, float]:
    """Service-hours lost per sector."""
    return _by(scenario, records, "sector")


def service_hours_lost_by_country(scenario: Scenario, records: Records) -> dict[str, float]:
    """Service-hours lost per country."""
    return _by(scenario, records, "country")


def peak_q(scenario: Scenario, records: Records) -> np.ndarray:
    """Per asset, the largest inoperability it reached."""
    peak = np.zeros(len(scenario.assets))
    asset = np.asarray(records.series_asset, dtype=np.int64)
    np.maximum.at(peak, asset, np.asarray(records.series_q, dtype=float))
    return peak


def peak_assets_down(scenario: Scenario, records: Records) -> int:
    """The most assets down (q >= DOWN) at one time, counted after each instant settles."""
    _, time, q, previous = series_steps(records)
    if not len(q):
        return 0
    step = (q >= DOWN).astype(int) - (previous >= DOWN).astype(int)
    _, running = running_total(time, step)
    return int(max(0, running.max()))


def assets_affected(scenario: Scenario, records: Records) -> int:
    """How many assets lost at least AFFECTED of their service at some time."""
    return int((peak_q(scenario, records) >= AFFECTED).sum())


def countries_affected(scenario: Scenario, records: Records) -> int:
    """How many countries had at least one affected asset."""
    peak = peak_q(scenario, records)
    return len({a.country for a, p in zip(scenario.assets, peak, strict=True) if p >= AFFECTED})


def first_affected(scenario: Scenario, records: Records) -> dict[str, float]:
    """The time each affected asset first reached AFFECTED."""
    first: dict[str, float] = {}
    for t, i, q in zip(records.series_time, records.series_asset, records.series_q, strict=True):
        asset = records.asset_ids[i]
        if q >= AFFECTED and asset not in first:
            first[asset] = t
    return first


def cascade_depth(scenario: Scenario, records: Records) -> int:
    """The most dependency hops a loss travelled: from an asset damaged directly (before the
    cascade reached it) to an affected asset, through assets each affected no later than the
    next (0 when nothing spread beyond the damaged assets)."""
    affected = first_affected(scenario, records)
    damaged: dict[str, float] = {}
    for row in records.events:
        if row.kind in DIRECT_DAMAGE:
            damaged.setdefault(row.asset, row.time)
    roots = [a for a, t in damaged.items() if a in affected and t <= affected[a]]
    feeds: dict[str, list[str]] = {}
    for dep in scenario.dependencies:
        s, d = dep.supplier, dep.dependent
        if dep.strength > 0 and s in affected and d in affected and affected[s] <= affected[d]:
            feeds.setdefault(s, []).append(d)
    depth = dict.fromkeys(roots, 0)
    queue = deque(roots)
    while queue:
        supplier = queue.popleft()
        for dependent in feeds.get(supplier, ()):
            if dependent not in depth:
                depth[dependent] = depth[supplier] + 1
                queue.append(dependent)
    return max(depth.values(), default=0)


def event_window_impact(scenario: Scenario, records: Records) -> dict[str, dict[str, float]]:
    """Per major event and window: the host country's service-hours lost inside the window,
    times the window's consequence multiplier; with the event's total."""
    weights = np.array([a.weight for a in scenario.assets], dtype=float)
    impact: dict[str, dict[str, float]] = {}
    for event in scenario.events:
        hosted = np.array([a.country == event.country for a in scenario.assets])
        windows = {
            w.name: w.multiplier
            * float(
                (
                    weights
                    * hosted
                    * asset_hours_lost(scenario, records, (w.start_hours, w.end_hours))
                ).sum()
            )
            for w in event.windows
        }
        impact[event.id] = {**windows, "total": sum(windows.values())}
    return impact


def background_incidents_by_country(scenario: Scenario, records: Records) -> dict[str, int]:
    """Routine incidents that arrived in each country with a background load."""
    counts = dict.fromkeys((c.id for c in scenario.countries if c.background), 0)
    for row in records.events:
        if row.kind == kinds.BACKGROUND_INCIDENT:
            counts[row.country] += 1
    return counts


METRICS: dict[str, Callable[[Scenario, Records], Any]] = {
    "service_hours_lost": service_hours_lost,
    "service_hours_lost_by_sector": service_hours_lost_by_sector,
    "service_hours_lost_by_country": service_hours_lost_by_country,
    "peak_assets_down": peak_assets_down,
    "assets_affected": assets_affected,
    "countries_affected": countries_affected,
    "cascade_depth": cascade_depth,
    "event_window_impact": event_window_impact,
    "campaigns": campaign_outcomes,
    "background_incidents_by_country": background_incidents_by_country,
    "incident_timings": incident_timings,
    "csirts": csirt_load,
    "cooperation": cooperation,
}
"""Every KPI by name; each is a function of the scenario and the records."""


def compute_metrics(scenario: Scenario, records: Records) -> dict[str, Any]:
    """All METRICS of one run, as JSON-ready values."""
    return {name: metric(scenario, records) for name, metric in METRICS.items()}
