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


def campaign_world(**changes: Any) -> Any:
    """Two countries whose banks a ransomware group hits one after another; AA is first."""
    countries = [
        {
            "id": c,
            "name": c,
            "csirt": {"analysts": changes.pop(f"analysts_{c}", 2)},
            "background": {
                "per_day": changes.pop("load", 4),
                "handling": {"dist": "exponential", "mean": 2},
            },
        }
        for c in ("AA", "BB")
    ]
    assets = [
        {
            "id": f"{c}-bank{k}",
            "name": "bank",
            "sector": "finance",
            "country": c,
            "weight": 1000,
            "prevention": 0.2,
            "monitoring": 0.7,
            "recovery": {"dist": "fixed", "hours": 12},
        }
        for c in ("AA", "BB")
        for k in range(3)
    ]
    stages = [
        {
            "tactic": "initial-access",
            "technique": "T1566.001",
            "success": 0.9,
            "detectability": 0.5,
            "duration": {"dist": "exponential", "mean": 12},
        },
        {
            "tactic": "impact",
            "technique": "T1486",
            "success": 0.9,
            "detectability": 0.5,
            "duration": {"dist": "exponential", "mean": 12},
        },
    ]
    data = {
        "name": "coop",
        "start": "2026-01-01T00:00:00Z",
        "duration_hours": 400,
        "countries": countries,
        "assets": assets,
        "campaigns": [
            {
                "id": "rw",
                "name": "rw",
                "actor": "criminal",
                "start_hours": 1,
                "targeting": {
                    "countries": ["AA", "BB"],
                    "pick": "weight",
                    "order": "sequential",
                    "interval_hours": 24,
                },
                "stages": stages,
                "impact": {"type": "ransomware"},
                "indicators": ["hash"],
            }
        ],
        "network": {"members": ["AA", "BB"], "assistance_threshold": "Low", "analysts_lent": 1},
        "cbms": {"incident_sharing": ["AA", "BB"]},
        **changes,
    }
    return load_scenario(data)


def routine_world(
    analysts: int, per_hour: float, mean_hours: float, mix: dict[str, float], **extra: Any
) -> Any:
    """One country whose CSIRT only handles routine incidents."""
    return load_scenario(
        {
            "name": "queue",
            "start": "2026-01-01T00:00:00Z",
            "duration_hours": extra.pop("hours", 4000),
            "countries": [
                {
                    "id": "AA",
                    "name": "A",
                    "csirt": {"analysts": analysts},
                    "background": {
                        "per_day": per_hour * 24,
                        "mix": mix,
                        "handling": {"dist": "exponential", "mean": mean_hours},
                    },
                }
            ],
            "assets": [
                {
                    "id": "x",
                    "name": "x",
                    "sector": "other",
                    "country": "AA",
                    "recovery": {"dist": "fixed", "hours": 1},
                }
            ],
            **extra,
        }
    )
