"""Experiments: variants x replications with common random numbers, and paired comparisons.

Replication r of every variant uses the streams of (seed, r), so variants meet the same
attacker and the same recoveries; a difference between two variants in one replication is
the policy's, not luck's. Where the replications run is the caller's choice of executor
(`executors.py`): they go there in chunks of one variant's replications and come back as one
`Batch` per chunk, so neither the executor nor the chunk size changes a result.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from ..engine.records import Records
from ..engine.topology import Topology, build_topology
from ..engine.world import run_replication
from ..gc_pause import frozen_when_large
from ..schema.infrastructure import SECTORS
from ..schema.scenario import Scenario
from .designs import MECHANICAL_CBMS
from .executors import UnorderedMap, Work, in_process
from .journal import MAX_BATCH_RUNS, Batch, Journal, Key
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

Job = tuple[str, tuple[int, ...]]
"""A task for a worker: a variant's label and some of its replication numbers."""

AUTO_CHUNK = 50
"""The most replications a task holds unless asked: a task then costs a worker and this
process little beside its runs (Dask spends about 5 ms on each)."""
CHUNKS_PER_WORKER = 8
"""Tasks per worker aimed at when choosing their size: enough to keep the workers evenly
busy to the end and the progress bar moving."""


class Variant:
    """A variant's scenario, with its topology built where it is first needed and kept there:
    once per worker (or in this process) and variant, never per task. Only the scenario is
    pickled."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._topology: Topology | None = None

    @property
    def topology(self) -> Topology:
        """`build_topology(scenario)`, built on first use (and, in a process that opted in,
        frozen out of the collector's passes if large: `gc_pause.frozen_when_large`)."""
        if self._topology is None:
            with frozen_when_large():
                self._topology = build_topology(self.scenario)
        return self._topology

    def __reduce__(self) -> tuple[type[Variant], tuple[Scenario]]:
        return Variant, (self.scenario,)


def replication(
    scenario: Scenario, topology: Topology, seed: int, number: int
) -> tuple[dict[str, int | float], dict[str, np.ndarray]]:
    """Replication `number` of `scenario`, run on its `topology`: its KPIs (the scalar
    outcomes, how far each response pathway was used (`cooperation`) and each CSIRT's mean
    queue wait) and its loss rate per sector at LOSS_POINTS even times over the horizon.
    A large model settles in the compiled cascade where it is installed: a worker runs many
    replications, so loading it pays (same records either way)."""
    records = run_replication(
        scenario, seed=seed, replication=number, topology=topology, cascade="auto"
    )
    metrics = compute_metrics(scenario, records)
    row: dict[str, int | float] = {name: float(metrics[name]) for name in OUTCOMES}
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
    return row, sector_loss(scenario, records, times)


def run_chunk(seed: int, variants: Mapping[str, Variant], job: Job) -> Batch:
    """The replications of `job` (a worker's task), as one batch."""
    label, numbers = job
    variant = variants[label]
    runs = [replication(variant.scenario, variant.topology, seed, r) for r in numbers]
    return Batch.of(label, numbers, [kpis for kpis, _ in runs], [loss for _, loss in runs])


def chunk_size(runs: int, workers: int) -> int:
    """Replications per task for `runs` on `workers` when not asked: about
    CHUNKS_PER_WORKER tasks per worker, at most AUTO_CHUNK replications each."""
    return max(1, min(AUTO_CHUNK, runs // (workers * CHUNKS_PER_WORKER)))


def chunked(keys: Iterable[Key], size: int) -> list[Job]:
    """`keys` as tasks of at most `size` (and MAX_BATCH_RUNS) replications of one variant
    each, in order."""
    size = min(size, MAX_BATCH_RUNS)
    jobs = []
    for label, runs in itertools.groupby(keys, key=lambda key: key[0]):
        numbers = [r for _, r in runs]
        jobs += [(label, tuple(numbers[i : i + size])) for i in range(0, len(numbers), size)]
    return jobs


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


REQUIRED = (*OUTCOMES, "event_window_impact", "detect_mean_hours", "contain_mean_hours")
"""KPIs every run has, as floats, whatever the scenario (the others name its countries,
sectors and pathways)."""


def usable(batches: Iterable[Batch]) -> list[Batch]:
    """The batches (read from a journal, which is untrusted) that this code could have
    written: the required KPIs as floats, known sectors, LOSS_POINTS times, and for each
    variant the columns and sectors most of its batches have. The others are dropped as
    damaged and their runs are done again."""
    fitting = [
        batch
        for batch in batches
        if batch.loss.shape[2] == LOSS_POINTS
        and set(batch.sectors) <= set(SECTORS)
        and all(batch.values.dtype.fields.get(name, (None,))[0] == np.float64 for name in REQUIRED)
    ]
    shape_of = {id(b): (b.variant, b.values.dtype, b.sectors) for b in fitting}
    common = Counter(shape_of.values())
    kept: dict[str, tuple[Any, ...]] = {}
    for shape, _ in common.most_common():
        kept.setdefault(shape[0], shape)
    return [b for b in fitting if kept[b.variant] == shape_of[id(b)]]


class _Runs:
    """An experiment's runs as their batches arrive: where each run is (batch, index)."""

    def __init__(self, variants: Mapping[str, Scenario], replications: int) -> None:
        self.variants, self.replications = variants, replications
        self.keys = [(label, r) for label in variants for r in range(replications)]
        self.found: dict[Key, tuple[Batch, int]] = {}

    def add(self, batch: Batch) -> None:
        """Place the runs of `batch` that belong to the experiment."""
        if batch.variant in self.variants and batch.loss.shape[2] == LOSS_POINTS:
            for index, r in enumerate(batch.replications):
                if r < self.replications:
                    self.found[batch.variant, r] = (batch, index)

    def gather(
        self,
        executor: UnorderedMap,
        work: Work,
        shared: Any,
        jobs: Sequence[Job],
        on_batch: Callable[[Batch], None],
    ) -> Experiment:
        """Run `jobs` on `executor`, placing each batch as it arrives (after `on_batch`), and
        return the experiment they complete."""
        for _, batch in executor(work, shared, jobs):
            on_batch(batch)
            self.add(batch)
        rows = [batch.rows[index] for batch, index in map(self.found.__getitem__, self.keys)]
        return Experiment(
            rows=rows,
            sector_loss={label: self._loss(label) for label in self.variants},
            horizons={label: s.duration_hours for label, s in self.variants.items()},
        )

    def _loss(self, label: str) -> dict[str, np.ndarray]:
        """The loss rates of `label` by sector, of shape (replications, LOSS_POINTS)."""
        placed = [self.found[label, r] for r in range(self.replications)]
        sectors = placed[0][0].sectors
        loss = np.empty((self.replications, len(sectors), LOSS_POINTS))
        for r, (batch, index) in enumerate(placed):
            loss[r] = batch.loss_of(index, sectors)
        return {sector: loss[:, j] for j, sector in enumerate(sectors)}


def run_experiment(
    variants: Mapping[str, Scenario],
    replications: int,
    seed: int,
    executor: UnorderedMap = in_process,
    done: Iterable[Batch] = (),
    on_batch: Callable[[Batch], None] = lambda batch: None,
    chunk: int | None = None,
) -> Experiment:
    """Run every variant x replication not already `done` on `executor`, in tasks of `chunk`
    replications of one variant (default: `chunk_size`), calling `on_batch` as each
    finishes; replication r of every variant draws from the same streams, so the result does
    not depend on the executor, the chunks or what was done before."""
    runs = _Runs(variants, replications)
    for batch in usable(done):
        runs.add(batch)
    todo = [key for key in runs.keys if key not in runs.found]
    shared = {label: Variant(variants[label]) for label, _ in todo}
    jobs = chunked(todo, chunk or chunk_size(len(todo), executor.workers))
    return runs.gather(executor, partial(run_chunk, seed), shared, jobs, on_batch)


def absorption_rate(
    variants: Mapping[str, Scenario],
    replications: int,
    seed: int,
    executor: UnorderedMap,
    journal: Path,
    chunk: int | None = None,
) -> float:
    """Runs per second this process takes in when runs cost nothing. Each task's batch is
    made beforehand, of copies of replication 0 of its variant (real results, of the real
    size); the workers of `executor` (a process pool or a Dask cluster) send its line back
    as a worker sends a batch, and this process does all it does in an experiment: receive
    and decode each batch, append it to a journal at `journal` (removed after), and put the
    tables together."""
    runs = _Runs(variants, replications)
    jobs = chunked(runs.keys, chunk or chunk_size(len(runs.keys), executor.workers))
    first = {label: replication(s, build_topology(s), seed, 0) for label, s in variants.items()}
    lines = {
        (label, numbers): Batch.of(
            label, numbers, [first[label][0]] * len(numbers), [first[label][1]] * len(numbers)
        ).line
        for label, numbers in jobs
    }
    written = Journal(journal, seed, variants, [])
    began = time.perf_counter()
    runs.gather(executor, _Sent, lines, jobs, written.record)
    elapsed = time.perf_counter() - began
    written.remove()
    return len(runs.keys) / elapsed


class _Sent:
    """The stand-in for `run_chunk` that `absorption_rate` times: the line of its job's
    batch, which reaches the caller as the batch (as a batch's pickle does)."""

    def __init__(self, lines: Mapping[Job, bytes], job: Job) -> None:
        self.line = lines[job]

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return Batch.decode, (self.line,)


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
