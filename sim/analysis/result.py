"""The result of one run: scenario, records and metrics, with pandas views for notebooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..engine.records import EVENT_COLUMNS, Records
from ..engine.world import run_replication
from ..schema.resolve import Resolved
from ..schema.scenario import Scenario
from ..schema.variants import apply_variant
from .metrics import compute_metrics

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RunResult:
    """One replication of a scenario (with its variant applied) and what it recorded."""

    scenario: Scenario
    variant: str | None
    seed: int
    records: Records

    @cached_property
    def metrics(self) -> dict[str, Any]:
        """Every KPI of `sim.analysis.metrics.METRICS`, by name."""
        return compute_metrics(self.scenario, self.records)

    def metrics_table(self) -> pd.DataFrame:
        """The metrics as tidy rows: metric, key (e.g. a sector, or `campaign.detected`; empty
        for totals), value (NaN where undefined)."""
        import pandas as pd

        rows = [(name, key, value) for name, v in self.metrics.items() for key, value in _flat(v)]
        return pd.DataFrame(rows, columns=["metric", "key", "value"])

    def events(self) -> pd.DataFrame:
        """The event log, one row per event, in time order."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records.events, columns=list(EVENT_COLUMNS))

    def series(self) -> pd.DataFrame:
        """Inoperability change points: columns time, asset, q (q holds until the next row)."""
        import pandas as pd

        return pd.DataFrame(self.series_rows(), columns=["time", "asset", "q"])

    def series_rows(self) -> list[tuple[float, str, float]]:
        """The change points as (time, asset id, q) rows."""
        ids, records = self.records.asset_ids, self.records
        return [
            (time, ids[i], q)
            for time, i, q in zip(
                records.series_time, records.series_asset, records.series_q, strict=True
            )
        ]


def _flat(value: Any, prefix: str = "") -> list[tuple[str, float]]:
    """(dotted key, number) pairs of a metric's value, however nested."""
    if isinstance(value, dict):
        return [
            pair
            for key, inner in value.items()
            for pair in _flat(inner, f"{prefix}.{key}" if prefix else str(key))
        ]
    return [(prefix, float("nan") if value is None else float(value))]


def run(scenario: Scenario, variant: str | None = None, seed: int | None = None) -> RunResult:
    """Run one replication of `scenario` with `variant` applied (seed defaults to the
    scenario's own).

    Raises VariantError for an unknown variant.
    """
    return _run(apply_variant(scenario, variant), variant, seed)


def run_resolved(
    resolved: Resolved,
    seed: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> RunResult:
    """Run one replication of a resolved scenario (`sim.schema.resolve.resolve`: its variant
    applied once); `progress` as for `run_replication`."""
    return _run(resolved.scenario, resolved.variant, seed, progress)


def _run(
    scenario: Scenario,
    variant: str | None,
    seed: int | None,
    progress: Callable[[float], None] | None = None,
) -> RunResult:
    used_seed = scenario.root_seed(seed)
    records = run_replication(scenario, seed=used_seed, progress=progress)
    return RunResult(scenario, variant, used_seed, records)
