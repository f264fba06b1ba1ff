"""Freezing a large loaded scenario out of the garbage collector happens only where the process
opted in (the command line, which loads inside `gc_paused(freeze=True)`), and never for small
scenarios; the library never touches the collector itself."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

import sim
from sim import gc_pause
from sim.atomic import write_folder
from sim.synthetic import synthetic_files


@pytest.fixture
def large_model(tmp_path: Path) -> Path:
    """A generated model whose load keeps more than FREEZE_ABOVE memory blocks."""
    write_folder(tmp_path / "model", synthetic_files(10_000, 3, 0))
    return tmp_path / "model" / "scenario.yaml"


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_without_the_opt_in_a_large_load_never_freezes(
    large_model: Path, thawed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gc_pause, "_freezing", False)  # a CLI test may have opted this worker in
    sim.load_scenario(large_model)
    assert gc.get_freeze_count() == 0


def test_an_opted_in_process_freezes_large_loads_only(
    large_model: Path, thawed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gc_pause, "_freezing", True)
    with gc_pause.gc_paused(freeze=True):
        sim.load_scenario(sim.bundled_scenario())
    assert gc.get_freeze_count() == 0
    with gc_pause.gc_paused(freeze=True):
        scenario = sim.load_scenario(large_model)
    assert gc.get_freeze_count() >= len(scenario.dependencies)  # the scenario, at least
    assert len(scenario.assets) == 10_000


def test_the_engine_never_touches_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.engine.exercise import run_exercise

    scenario = sim.load_scenario(sim.bundled_scenario())

    def touched(*args: object) -> None:
        raise AssertionError("the engine touched the garbage collector")

    for name in ("disable", "enable", "freeze", "collect"):
        monkeypatch.setattr(gc, name, touched)
    sim.run_replication(scenario)
    run_exercise(scenario, scenario.seed, lambda point, world: 0)


def test_a_pool_worker_freezes_what_a_job_leaves_only_when_it_is_large(
    thawed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept: list[object] = []
    monkeypatch.setattr(gc_pause, "_freezing", False)
    with gc_pause.frozen_when_large():
        kept.append([[i] for i in range(2 * gc_pause.FREEZE_ABOVE)])
    assert gc.get_freeze_count() == 0  # a notebook's collector is left alone
    monkeypatch.setattr(gc_pause, "_freezing", True)
    with gc_pause.frozen_when_large():
        kept.append([[i] for i in range(100)])
    assert gc.get_freeze_count() == 0  # small: not worth a full collection
    with gc_pause.frozen_when_large():
        kept.append([[i] for i in range(2 * gc_pause.FREEZE_ABOVE)])
    assert gc.get_freeze_count() > 2 * gc_pause.FREEZE_ABOVE
