"""The static dependency graph is built once per scenario object, shared by its replications,
and never changed by them."""

from __future__ import annotations

import pickle
from dataclasses import fields

import sim
from sim.engine.exercise import run_exercise
from sim.engine.topology import CACHED, Topology, topology
from sim.engine.world import run_replication
from sim.schema.variants import apply_variant


def snapshot(shape: Topology) -> bytes:
    return pickle.dumps([getattr(shape, f.name) for f in fields(shape)] + [shape.reach])


def test_replications_share_one_topology_and_never_change_it() -> None:
    scenario = sim.load_scenario(sim.bundled_scenario())
    shape = topology(scenario)
    before = snapshot(shape)
    run_replication(scenario, seed=1)
    run_exercise(scenario, 2, lambda point, world: len(point.options) - 1)  # backups, isolation
    assert topology(scenario) is shape
    assert snapshot(shape) == before


def test_each_scenario_object_has_its_own_and_only_the_latest_are_kept() -> None:
    scenario = sim.load_scenario(sim.bundled_scenario())
    shape = topology(scenario)
    others = [apply_variant(scenario, name) for name in list(scenario.variants)[: CACHED + 1]]
    assert all(topology(other) is not shape for other in others)
    rebuilt = topology(scenario)
    assert rebuilt is not shape and snapshot(rebuilt) == snapshot(shape)
