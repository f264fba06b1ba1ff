"""Experiments: variants x replications with common random numbers, and paired comparisons.

Replication r of every variant uses the streams of (seed, r), so variants meet the same
attacker and the same recoveries; a difference between two variants in one replication is
the policy's, not luck's. Where the replications run is the caller's choice: any `map`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import numpy as np
from scipy import stats

from ..engine.world import run_replication
from ..schema.scenario import Scenario
from ..schema.variants import apply_variant
from .metrics import compute_metrics

OUTCOMES = (
    "service_hours_lost",
    "peak_assets_down",
    "assets_affected",
    "countries_affected",
    "cascade_depth",
)
"""The scalar KPIs every experiment row carries."""

Mapper = Callable[
    [Callable[[tuple[str | None, int]], dict[str, Any]], Iterable[Any]], Iterator[Any]
]


def replication_row(scenario: Scenario, seed: int, job: tuple[str | None, int]) -> dict[str, Any]:
    """One flat row: variant, replication and the scalar KPIs of that run (picklable)."""
    variant, replication = job
    chosen = apply_variant(scenario, variant)
    metrics = compute_metrics(chosen, run_replication(chosen, seed=seed, replication=replication))
    row: dict[str, Any] = {"variant": variant or "as_written", "replication": replication}
    row |= {name: float(metrics[name]) for name in OUTCOMES}
    row["event_window_impact"] = sum(e["total"] for e in metrics["event_window_impact"].values())
    row["contain_mean_hours"] = metrics["incident_timings"]["contain"]["mean"]
    return row


def run_experiment(
    scenario: Scenario,
    variants: list[str | None],
    replications: int,
    seed: int | None = None,
    mapper: Mapper = map,  # type: ignore[assignment]
) -> list[dict[str, Any]]:
    """Rows for every variant x replication, in that order, however `mapper` schedules them.

    Raises VariantError for an unknown variant before anything runs.
    """
    for variant in variants:
        apply_variant(scenario, variant)
    jobs = [(v, r) for v in variants for r in range(replications)]
    work = partial(replication_row, scenario, scenario.seed if seed is None else seed)
    return list(mapper(work, jobs))


def compare(
    rows: list[dict[str, Any]], outcome: str = "service_hours_lost"
) -> list[dict[str, Any]]:
    """Each variant against the first: mean difference with its 95% paired interval, and the
    interval an unpaired (Welch) comparison would give for the same data."""
    by_variant: dict[str, dict[int, float]] = {}
    for row in rows:
        by_variant.setdefault(row["variant"], {})[row["replication"]] = row[outcome]
    names = list(by_variant)
    reference = by_variant[names[0]]
    results = []
    for name in names[1:]:
        common = sorted(set(reference) & set(by_variant[name]))
        a = np.array([by_variant[name][r] for r in common])
        b = np.array([reference[r] for r in common])
        results.append(
            {
                "variant": name,
                "against": names[0],
                "outcome": outcome,
                "n": len(common),
                "mean_difference": float((a - b).mean()),
                "paired_half_width": _half_width(a - b),
                "unpaired_half_width": _welch_half_width(a, b),
            }
        )
    return results


def _half_width(values: np.ndarray) -> float:
    if len(values) < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def _welch_half_width(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2:
        return float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return 0.0
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(stats.t.ppf(0.975, dof) * np.sqrt(va + vb))
