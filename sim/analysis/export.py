"""A run's files: event log, change-point series, metrics and provenance; and the one way
every table is written as CSV."""

from __future__ import annotations

import io
import json
from typing import Any

from .result import RunResult

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""


def neutral(value: Any) -> Any:
    """`value`, with a text that a spreadsheet would run as a formula prefixed by "'"
    (numbers, negative ones included, are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(frame: Any) -> bytes:
    """A pandas DataFrame as UTF-8 CSV, floats to 10 significant digits, formula-like text
    neutralised."""
    from pandas.api.types import is_numeric_dtype

    text_columns = [c for c in frame.columns if not is_numeric_dtype(frame[c])]
    if text_columns:
        frame = frame.assign(**{c: frame[c].astype(object).map(neutral) for c in text_columns})
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.10g")
    return buffer.getvalue().encode()


def run_files(result: RunResult, provenance: dict[str, Any]) -> dict[str, bytes]:
    """The contents of events.csv, series.csv, metrics.json and run.json, by file name."""

    run = {
        "scenario": result.scenario.name,
        "resolved_scenario_sha256": result.scenario.digest(),
        "variant": result.variant,
        "seed": result.seed,
        "horizon_hours": result.records.horizon,
        "cbms_adopted": result.scenario.cbms.model_dump(mode="json"),
        "network_members": list(result.scenario.network.members) if result.scenario.network else [],
        **provenance,
    }
    return {
        "events.csv": csv_bytes(result.events()),
        "series.csv": csv_bytes(result.series()),
        "metrics.json": json.dumps(result.metrics, indent=2).encode(),
        "run.json": json.dumps(run, indent=2, default=str).encode(),
    }
