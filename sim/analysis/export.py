"""What commands write: a run's files (event log, change-point series, metrics and
provenance), an experiment's tables, and the one way every table is written as CSV."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import math
import platform
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..engine.records import EVENT_COLUMNS
from ..version import __version__
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
    """A pandas DataFrame as `table_bytes` writes it."""
    return table_bytes(list(frame.columns), frame.itertuples(index=False, name=None))


def table_bytes(columns: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """A table as UTF-8 CSV: floats to 10 significant digits, NaN and None as empty cells,
    formula-like text neutralised. Needs no pandas (a run's files are written without it,
    which keeps `cyberttx run` quick to start)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode()


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.10g}"
    if value is None:
        return ""
    return neutral(value)


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
        "events.csv": table_bytes(list(EVENT_COLUMNS), result.records.events),
        "series.csv": table_bytes(["time", "asset", "q"], result.series_rows()),
        "metrics.json": json.dumps(result.metrics, indent=2).encode(),
        "run.json": json.dumps(run, indent=2, default=str).encode(),
    }


def experiment_tables(
    rows: list[dict[str, Any]], summary: list[dict[str, Any]], name: str
) -> dict[str, bytes]:
    """replications.csv (and replications.parquet when pyarrow is installed), one row per
    run, and the `summary` rows as the table `name`, as file contents."""
    import pandas as pd

    table = pd.DataFrame(rows)
    files = {"replications.csv": csv_bytes(table), name: csv_bytes(pd.DataFrame(summary))}
    if importlib.util.find_spec("pyarrow") is not None:
        files["replications.parquet"] = table.to_parquet(index=False)
    return files


def provenance(path: Path, wall_seconds: float, command: str = "") -> dict[str, Any]:
    """Where a result came from: the scenario file (and its hash), the software, the command
    that made it, how long it took and when it finished."""
    return {
        "scenario_file": str(path),
        "scenario_file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "package_version": __version__,
        "python": platform.python_version(),
        "command": command,
        "wall_seconds": round(wall_seconds, 4),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
