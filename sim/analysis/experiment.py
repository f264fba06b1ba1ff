"""Experiments: variants x replications with common random numbers, and paired comparisons.

Replication r of every variant uses the streams of (seed, r), so variants meet the same
attacker and the same recoveries; a difference between two variants in one replication is
the policy's, not luck's. Where the replications run is the caller's choice of executor
(`executors.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from ..engine.records import Records
from ..engine.topology import Topology, build_topology
from ..engine.world import run_replication
from ..schema.scenario import Scenario
from .designs import MECHANICAL_CBMS
from .executors import UnorderedMap, in_process
from .journal import Key
from .metrics import compute_metrics
from .timelines import sector_loss

if TYPE_CHECKING:
    import pandas as pd

OUTCOMES = (
    "service_hours_lost",
    "peak_assets_down",
    "assets_affected",
    "countries_affected",
    "cascade_depth",
)
"""The scalar KPIs every experiment row carries."""

LOSS_POINTS = 121
"""Times at which each run's service loss per sector is kept, for plots over time."""


def replication(
    seed: int, variants: Mapping[str, tuple[Scenario, Topology]], job: tuple[str, int]
) -> dict[str, Any]:
    """Replication `job` = (label, number) of the scenario in `variants[label]`, run on the
    topology next to it (picklable, JSON-ready): `row`, the label, replication, scalar KPIs,
    how far each response pathway was used (`cooperation`) and each CSIRT's mean queue wait;
    `sector_loss`, the loss rate per sector at LOSS_POINTS even times over the horizon."""
    label, replication = job
    scenario, topology = variants[label]
    records = run_replication(scenario, seed=seed, replication=replication, topology=topology)
    metrics = compute_metrics(scenario, records)
    row: dict[str, Any] = {"variant": label, "replication": replication}
    row |= {name: float(metrics[name]) for name in OUTCOMES}
    row["event_window_impact"] = math.fsum(
        e["total"] for e in metrics["event_window_impact"].values()
    )
    for step in ("detect", "contain"):
        hours = metrics["incident_timings"][step]["mean"]
        row[f"{step}_mean_hours"] = float("nan") if hours is None else hours
    for scope in ("country", "sector"):
        for key, lost in metrics[f"service_hours_lost_by_{scope}"].items():
            row[f"loss.{scope}.{key}"] = float(lost)
    row |= metrics["cooperation"]
    for country, load in metrics["csirts"].items():
        wait = load["mean_wait_hours"]
        row[f"mean_wait_hours.{country}"] = float("nan") if wait is None else wait
    times = np.linspace(0, scenario.duration_hours, LOSS_POINTS)
    loss = sector_loss(scenario, records, times)
    return {"row": row, "sector_loss": {sector: v.tolist() for sector, v in loss.items()}}


@dataclass(frozen=True)
class Experiment:
    """What an experiment produced, in variant x replication order."""

    rows: list[dict[str, Any]]
    """One flat row per run: variant, replication and the scalar KPIs."""
    sector_loss: dict[str, dict[str, np.ndarray]]
    """Per variant and sector, loss rates of shape (replications, LOSS_POINTS)."""
    horizons: dict[str, float]
    """Per variant, the run length in hours (LOSS_POINTS span 0 to it)."""

    def frame(self) -> pd.DataFrame:
        """The rows as a tidy DataFrame: one row per variant x replication."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def comparisons(self) -> pd.DataFrame:
        """Each variant against the first on every outcome, in long format (comparison.csv)."""
        import pandas as pd

        return pd.DataFrame(comparison_table(self.rows))


def run_experiment(
    variants: dict[str, Scenario],
    replications: int,
    seed: int,
    executor: UnorderedMap = in_process,
    done: Mapping[Key, dict[str, Any]] | None = None,
    on_result: Callable[[Key, dict[str, Any]], None] = lambda key, result: None,
) -> Experiment:
    """Run every variant x replication not already `done` on `executor`, calling `on_result`
    as each finishes; replication r of every variant draws from the same streams, so the
    result does not depend on the executor or on what was done before."""
    keys = [(label, r) for label in variants for r in range(replications)]
    results = {key: _compact(done[key]) for key in keys if done and key in done}
    todo = [key for key in keys if key not in results]
    # each variant's topology is built once here and reaches the workers with it
    needed = dict.fromkeys(label for label, _ in todo)
    shared = {label: (variants[label], build_topology(variants[label])) for label in needed}
    for index, result in executor(partial(replication, seed), shared, todo):
        on_result(todo[index], result)
        results[todo[index]] = _compact(result)
    return Experiment(
        rows=[results[key]["row"] for key in keys],
        sector_loss={
            label: {
                sector: np.array(
                    [results[label, r]["sector_loss"][sector] for r in range(replications)]
                )
                for sector in results[label, 0]["sector_loss"]
            }
            for label in variants
        },
        horizons={label: s.duration_hours for label, s in variants.items()},
    )


def _compact(result: dict[str, Any]) -> dict[str, Any]:
    """`result` with its loss per sector as arrays: a list of Python floats costs four times
    the memory, and an experiment holds every run's until it ends."""
    losses = result["sector_loss"]
    return {"row": result["row"], "sector_loss": {s: np.asarray(v) for s, v in losses.items()}}


LOWER_IS_BETTER = (
    *OUTCOMES,
    "event_window_impact",
    "detect_mean_hours",
    "contain_mean_hours",
)
"""Outcomes a comparison reports (all: lower is better), before the loss per country and
sector (`loss.country.ID`, `loss.sector.NAME`)."""


def outcomes_of(rows: list[dict[str, Any]]) -> list[str]:
    """The outcomes an experiment's rows carry, in report order."""
    columns = dict.fromkeys(key for row in rows for key in row)
    return [o for o in LOWER_IS_BETTER if o in columns] + [
        c for c in columns if c.startswith(("loss.country.", "loss.sector."))
    ]


def paired(
    rows: list[dict[str, Any]], variant: str, reference: str, outcome: str = "service_hours_lost"
) -> dict[str, Any]:
    """`variant` minus `reference` over the replications where both define `outcome`: their
    means, the mean difference and its 95% paired interval, the same in % of the reference's
    mean, the interval an unpaired (Welch) comparison would give, whether the paired interval
    excludes zero, and about how many replications would make it do so."""
    values: dict[str, dict[int, float]] = {}
    for row in rows:
        value = row.get(outcome, math.nan)
        if not math.isnan(value):
            values.setdefault(row["variant"], {})[row["replication"]] = value
    common = sorted(set(values.get(variant, {})) & set(values.get(reference, {})))
    a = np.array([values[variant][r] for r in common])
    b = np.array([values[reference][r] for r in common])
    difference = float((a - b).mean()) if common else math.nan
    half = _half_width(a - b)
    base = float(b.mean()) if common else math.nan
    scale = 100 / base if base else math.nan
    resolved = bool(abs(difference) > half) if common else False
    return {
        "variant": variant,
        "against": reference,
        "outcome": outcome,
        "n": len(common),
        "reference_mean": base,
        "variant_mean": float(a.mean()) if common else math.nan,
        "mean_difference": difference,
        "paired_half_width": half,
        "unpaired_half_width": _welch_half_width(a, b),
        "percent_change": difference * scale,
        "percent_half_width": half * scale,
        "resolved": resolved,
        "n_to_resolve": _needed(len(common), difference, half, resolved),
    }


def _needed(n: int, difference: float, half: float, resolved: bool) -> float:
    """About how many replications would shrink the interval below the effect (an interval
    narrows as 1/sqrt(n)); NaN for no effect at all, n itself once resolved."""
    if resolved:
        return float(n)
    if not difference or math.isnan(half) or math.isnan(difference):
        return math.nan
    return float(math.ceil(n * (half / abs(difference)) ** 2))


def compare(
    rows: list[dict[str, Any]], outcome: str = "service_hours_lost"
) -> list[dict[str, Any]]:
    """Each variant against the first (in row order), on one outcome."""
    labels = list(dict.fromkeys(row["variant"] for row in rows))
    return [paired(rows, label, labels[0], outcome) for label in labels[1:]]


def comparison_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each variant against the first on every outcome (`outcomes_of`), in long format: one
    row per variant and outcome, as comparison.csv holds it."""
    return [row for outcome in outcomes_of(rows) for row in compare(rows, outcome)]


def attribution(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """From an ablation: all CBMs together against none, then per mechanical CBM its effect
    alone (only it against none) and its marginal effect (all against all but it), each with
    paired intervals."""
    return (
        [paired(rows, "all", "none") | {"cbm": "all", "effect": "together"}]
        + [
            paired(rows, f"only_{c}", "none") | {"cbm": c, "effect": "alone"}
            for c in MECHANICAL_CBMS
        ]
        + [
            paired(rows, "all", f"all_but_{c}") | {"cbm": c, "effect": "marginal"}
            for c in MECHANICAL_CBMS
        ]
    )


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


def summarise(
    rows: list[dict[str, Any]], outcome: str = "service_hours_lost"
) -> list[dict[str, Any]]:
    """Per variant (in row order): the replications where `outcome` is defined (not NaN), its
    mean over them and the 95% half-width (NaN when undefined)."""
    values: dict[str, list[float]] = {}
    for row in rows:
        kept = values.setdefault(row["variant"], [])
        if not math.isnan(row[outcome]):
            kept.append(row[outcome])
    return [
        {
            "variant": label,
            "outcome": outcome,
            "n": len(v),
            "mean": float(np.mean(v)) if v else math.nan,
            "half_width": _half_width(np.asarray(v)),
        }
        for label, v in values.items()
    ]


def best_variant(rows: list[dict[str, Any]], reference: str) -> str | None:
    """The variant with the lowest mean service-hours lost, other than the reference."""
    means = {s["variant"]: s["mean"] for s in summarise(rows) if s["variant"] != reference}
    return min(means, key=lambda label: means[label]) if means else None


def showcase(
    runs: Mapping[str, Scenario], rows: list[dict[str, Any]], seed: int
) -> dict[str, Records]:
    """Replication 0 of the reference (the first of `runs`) and of the variant with the least
    loss, by label: the runs a report shows in detail."""
    reference = next(iter(runs))
    best = best_variant(rows, reference)
    shown = [reference, *([best] if best else [])]
    return {label: run_replication(runs[label], seed=seed, replication=0) for label in shown}


def sweep_summary(
    rows: list[dict[str, Any]], values: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One row per point of a sweep (`values`: each point's parameter values by label): the
    values, the mean service-hours lost with its 95% interval, the mean time to contain, and
    the paired change against the first point (as sweep.csv holds it)."""
    losses = summarise(rows)
    contain = summarise(rows, "contain_mean_hours")
    first = losses[0]["variant"]
    against = {r["variant"]: r for r in compare(rows)} | {first: paired(rows, first, first)}
    keep = ("mean_difference", "paired_half_width", "percent_change", "percent_half_width")
    return [
        dict(values[s["variant"]])
        | s
        | {"contain_mean_hours": c["mean"]}
        | {k: against[s["variant"]][k] for k in (*keep, "resolved")}
        for s, c in zip(losses, contain, strict=True)
    ]
