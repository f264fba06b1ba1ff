"""The static dependency graph is built once by whoever runs a scenario's replications, shared
by them, and never changed by them; an experiment builds one per variant, not per run."""

from __future__ import annotations

import pickle
from dataclasses import fields
from typing import Any

import pytest

import sim
from sim.analysis import experiment
from sim.analysis.designs import variants_of
from sim.engine import world
from sim.engine.exercise import run_exercise
from sim.engine.topology import Topology, build_topology
from sim.engine.world import run_replication


def snapshot(shape: Topology) -> bytes:
    return pickle.dumps([getattr(shape, f.name) for f in fields(shape)] + [shape.reach])


def test_replications_share_one_topology_and_never_change_it() -> None:
    scenario = sim.load_scenario(sim.bundled_scenario())
    shape = build_topology(scenario)
    before = snapshot(shape)
    shared = run_replication(scenario, seed=1, topology=shape)
    run_exercise(scenario, 2, lambda point, world: len(point.options) - 1, topology=shape)
    assert snapshot(shape) == before
    assert shared == run_replication(scenario, seed=1)  # the same records as a fresh one


def test_each_build_is_new_and_nothing_is_kept_between_calls() -> None:
    scenario = sim.load_scenario(sim.bundled_scenario())
    first, second = build_topology(scenario), build_topology(scenario)
    assert first is not second and snapshot(first) == snapshot(second)


def test_an_experiment_builds_each_variants_topology_once(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = sim.load_scenario(sim.bundled_scenario())
    built: list[str] = []

    def counted(variant: sim.Scenario) -> Topology:
        built.append(variant.digest())
        return build_topology(variant)

    def refuse(*args: Any) -> Topology:
        raise AssertionError("a replication built its own topology")

    monkeypatch.setattr(experiment, "build_topology", counted)
    monkeypatch.setattr(world, "build_topology", refuse)
    variants = variants_of(scenario, ["baseline", "all_cbms"])
    experiment.run_experiment(variants, 3, scenario.seed)
    assert sorted(built) == sorted(v.digest() for v in variants.values())
