"""A run's files: event log, change-point series, metrics and provenance."""

from __future__ import annotations

import io
import json
from typing import Any

from .result import RunResult


def run_files(result: RunResult, provenance: dict[str, Any]) -> dict[str, bytes]:
    """The contents of events.csv, series.csv, metrics.json and run.json, by file name."""

    def csv_bytes(frame: Any) -> bytes:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, float_format="%.10g")
        return buffer.getvalue().encode()

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
