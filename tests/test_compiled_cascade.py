"""The compiled cascade (`cyberttx[fast]`) gives the pure-Python path's records exactly, and
"auto" picks it only where it is installed and the model is large."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import scenario_from
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.experiment import run_experiment
from sim.atomic import write_folder
from sim.engine import compiled_cascade
from sim.engine.compiled_cascade import COMPILED_FROM, CompiledInfrastructure, infrastructure_class
from sim.engine.infrastructure import Infrastructure
from sim.engine.records import Records
from sim.engine.world import build_world, run_replication
from sim.synthetic import synthetic_files

needs_numba = pytest.mark.skipif(not compiled_cascade.available, reason="numba not installed")


def same(a: Records, b: Records) -> bool:
    """Row for row and change point for change point (NaN equal to NaN)."""
    return (
        repr(a.events) == repr(b.events)
        and a.series_time == b.series_time
        and a.series_asset == b.series_asset
        and a.series_q == b.series_q
    )


def both(scenario, **kwargs) -> tuple[Records, Records]:  # type: ignore[no-untyped-def]
    return (
        run_replication(scenario, cascade="python", **kwargs),
        run_replication(scenario, cascade="compiled", **kwargs),
    )


@needs_numba
@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 2**32 - 1), density=st.floats(0.1, 0.9))
def test_compiled_records_equal_python_records(n: int, seed: int, density: float) -> None:
    """Random models with cycles, delays, backups and overlapping damage: every row and
    change point is the same, in the same order."""
    rng = np.random.default_rng(seed)
    strengths = rng.choice([0.05, 0.3, 0.6, 1.0], size=(n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(strengths, 0)
    delays = rng.choice([0.0, 0.0, 0.5, 2.0], size=(n, n))
    backups = [float(h) for h in rng.choice([0.0, 0.0, 1.0, 4.0, 4.000000000000001], size=n)]
    disruptions = [
        {
            "asset": f"a{rng.integers(n)}",
            "start_hours": float(rng.choice([1.0, 2.0, 2.5, 6.0])),
            "damage": float(rng.choice([0.04, 0.3, 0.8, 1.0])),
            "duration_hours": float(rng.choice([0.5, 3.0, 10.0])),
        }
        for _ in range(int(rng.integers(1, 6)))
    ]
    scenario = scenario_from(strengths, disruptions, delays=delays, backups=backups, duration=30)
    assert same(*both(scenario))


@needs_numba
def test_a_cycle_of_gain_above_one_is_solved_the_same_way() -> None:
    """A dense clique creeps towards its limit until `kleene_limit` solves it: the compiled
    loop hands the cycle over at the same step."""
    n = 30
    strengths = np.full((n, n), 0.04) * (1 - np.eye(n))
    disruptions = [{"asset": "a0", "start_hours": 1.0, "damage": 0.3, "duration_hours": 5.0}]
    python, compiled = both(scenario_from(strengths, disruptions, duration=20))
    assert same(python, compiled)
    assert max(python.series_q) == 1.0  # the loop drove the clique to the cap


@needs_numba
def test_listeners_see_the_same_rows_in_the_same_order() -> None:
    """With a listener on the log (an exercise's triggers), timers are not shared."""
    n = 8
    rng = np.random.default_rng(3)
    strengths = rng.choice([0.0, 0.5, 1.0], size=(n, n)) * (1 - np.eye(n))
    disruptions = [{"asset": "a1", "start_hours": 1.0, "damage": 1.0, "duration_hours": 8.0}]
    scenario = scenario_from(strengths, disruptions, backups=[2.0] * n, duration=20)
    heard: dict[str, list[tuple[float, str]]] = {}
    for cascade in ("python", "compiled"):
        world = build_world(scenario, 1, cascade=cascade)  # type: ignore[arg-type]
        seen = heard.setdefault(cascade, [])
        world.records.listeners.append(lambda row, seen=seen: seen.append((row.time, row.kind)))
        world.env.run(until=scenario.duration_hours)
    assert heard["python"] == heard["compiled"]
    assert any(kind == "backup_exhausted" for _, kind in heard["python"])


def test_auto_compiles_large_models_only_where_numba_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compiled_cascade, "available", True)
    assert infrastructure_class("auto", COMPILED_FROM) is CompiledInfrastructure
    assert infrastructure_class("auto", COMPILED_FROM - 1) is Infrastructure
    assert infrastructure_class("python", 10**6) is Infrastructure
    monkeypatch.setattr(compiled_cascade, "available", False)
    assert infrastructure_class("auto", 10**6) is Infrastructure
    with pytest.raises(RuntimeError, match=r"pip install 'cyberttx\[fast\]'"):
        infrastructure_class("compiled", 10)


@needs_numba
def test_experiments_settle_large_models_compiled_and_single_runs_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading the kernel costs a process about a second: worth it for an experiment's
    replications, not for one run."""
    write_folder(tmp_path / "model", synthetic_files(COMPILED_FROM, 2, 0))
    scenario = sim.load_scenario(tmp_path / "model" / "scenario.yaml")
    built: list[str] = []
    original = CompiledInfrastructure.__init__

    def spy(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        built.append("compiled")
        original(self, *args, **kwargs)

    monkeypatch.setattr(CompiledInfrastructure, "__init__", spy)
    sim.run(scenario)
    assert built == []
    run_experiment({"only": scenario}, 1, 0)
    assert built == ["compiled"]


@needs_numba
def test_ride_throughs_a_rounding_apart_run_out_in_the_python_order() -> None:
    """10 + 4.0 and 10 + 4.000000000000001 are the same moment in floating point: the
    ride-throughs run out together, in the order they started, as in the Python path."""
    n = 12
    strengths = np.zeros((n, n))
    strengths[1:, 0] = 1.0  # every asset depends on a0
    backups = [0.0] + [4.0 if k % 2 else 4.000000000000001 for k in range(1, n)]
    assert 10.0 + backups[1] == 10.0 + backups[2]
    disruptions = [{"asset": "a0", "start_hours": 10.0, "damage": 1.0, "duration_hours": 9.0}]
    scenario = scenario_from(strengths, disruptions, backups=backups, duration=30)
    python, compiled = both(scenario)
    assert same(python, compiled)
    assert sum(row.kind == "backup_exhausted" for row in python.events) == n - 1
