"""Small builders shared by the tests: scenarios from matrices, q at a time from records."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim import Records, Scenario, load_scenario


def scenario_from(
    strengths: np.ndarray | list[list[float]],
    disruptions: list[dict[str, Any]] = (),  # type: ignore[assignment]
    *,
    delays: np.ndarray | None = None,
    backups: list[float] | None = None,
    recovery: dict[str, Any] | None = None,
    duration: float = 100.0,
    **extra: Any,
) -> Scenario:
    """A one-country scenario with assets a0..a(n-1); strengths[i][j] = a_ij (i depends on j).

    Every asset has the same `recovery` distribution (default: fixed, 1 hour).
    """
    a = np.asarray(strengths, dtype=float)
    n = len(a)
    assets = [
        {
            "id": f"a{i}",
            "name": f"asset {i}",
            "sector": "energy",
            "country": "X",
            "weight": 1.0,
            "backup_hours": 0.0 if backups is None else backups[i],
            "recovery": recovery or {"dist": "fixed", "hours": 1.0},
        }
        for i in range(n)
    ]
    deps = [
        {
            "supplier": f"a{j}",
            "dependent": f"a{i}",
            "strength": float(a[i, j]),
            "delay_hours": 0.0 if delays is None else float(delays[i, j]),
        }
        for i in range(n)
        for j in range(n)
        if i != j and a[i, j] > 0
    ]
    data = {
        "name": "test",
        "start": "2026-01-01T00:00:00Z",
        "duration_hours": duration,
        "countries": [{"id": "X", "name": "Xland"}],
        "assets": assets,
        "dependencies": deps,
        "disruptions": disruptions,
        **extra,
    }
    return load_scenario(data)


def q_at(records: Records, n: int, time: float) -> np.ndarray:
    """Every asset's inoperability at `time`, once all changes at that instant have settled."""
    q = np.zeros(n)
    for t, asset, value in zip(
        records.series_time, records.series_asset, records.series_q, strict=True
    ):
        if t > time:
            break
        q[asset] = value
    return q


def least_fixed_point(a: np.ndarray, c: np.ndarray, sweeps: int = 100_000) -> np.ndarray:
    """The least solution of q = min(1, c + A q), by iteration from zero (Kleene)."""
    q = np.zeros(len(c))
    for _ in range(sweeps):
        nxt = np.minimum(1.0, c + a @ q)
        if np.max(np.abs(nxt - q)) < 1e-13:
            return nxt
        q = nxt
    return q
