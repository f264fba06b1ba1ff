"""The static dependency graph is built once by whoever runs a scenario's replications, shared
by them, and never changed by them; an experiment builds one per variant, not per run."""

from __future__ import annotations

import pickle
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

import sim
from sim.analysis import experiment
from sim.analysis.designs import variants_of
from sim.engine import world
from sim.engine.exercise import run_exercise
from sim.engine.topology import REACH_HOPS, Topology, build_topology, strong_components
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


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1), density=st.floats(0.0, 0.3))
def test_strong_components_and_reach_match_scipy(n: int, seed: int, density: float) -> None:
    """The engine's own Tarjan and reach (it imports no scipy, for start-up time) give the same
    partition and, bit for bit, the same reach as scipy's graph routines."""
    rng = np.random.default_rng(seed)
    adjacency = (rng.random((n, n)) < density) & ~np.eye(n, dtype=bool)
    out = [np.flatnonzero(row).tolist() for row in adjacency]
    count, label = strong_components(out)
    expected_count, expected = connected_components(
        csr_array(adjacency.astype(float)), directed=True, connection="strong"
    )
    assert count == expected_count
    pairs = set(zip(label.tolist(), expected.tolist(), strict=True))
    assert len(pairs) == count  # the same partition, whatever the numbering
    supplier, dependent = np.nonzero(adjacency)
    strength = rng.choice([0.1, 0.37, 1.0], size=len(supplier))
    weights = rng.random(n)
    shape = Topology(
        index={}, edges=(supplier, dependent, strength), instant_in=[], instant_out=[],
        delayed_in=[], delayed_out=[], delayed_edges=0, entry=[], cycle={}, weights=weights,
    )  # fmt: skip
    feeds = csr_array((strength, (supplier, dependent)), shape=(n, n))
    total = step = weights
    for _ in range(REACH_HOPS):
        step = feeds @ step
        total = total + step
    assert np.array_equal(shape.reach, total)
