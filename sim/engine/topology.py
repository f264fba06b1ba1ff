"""The static part of a scenario's infrastructure: its dependencies as adjacency lists, the
order in which the cascade settles, and each asset's reach. Built once per scenario by whoever
runs its replications and passed to each, which reads it only (an experiment builds one per
variant and sends it to its workers with the variants)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ..schema.scenario import Scenario

if TYPE_CHECKING:
    from .compiled_cascade import KernelShape

REACH_HOPS = 3
"""Dependency hops counted when ranking assets by the loss they would cascade."""


@dataclass(frozen=True, eq=False)
class Topology:
    """A scenario's dependency graph, as the cascade reads it; never changed once built."""

    index: dict[str, int]
    """Each asset's position, by id."""
    edges: tuple[np.ndarray, np.ndarray, np.ndarray]
    """Every dependency as (supplier index, dependent index, strength) arrays."""
    instant_in: list[list[tuple[int, float]]]
    """Per asset, its zero-delay suppliers as (supplier, strength)."""
    instant_out: list[list[int]]
    """Per asset, its zero-delay dependents."""
    delayed_in: list[list[tuple[int, float]]]
    """Per asset, its delayed dependencies as (edge number, strength)."""
    delayed_out: list[dict[float, list[tuple[int, int]]]]
    """Per asset, by delay, the (edge number, dependent) its value reaches after that delay."""
    delayed_edges: int
    """How many delayed dependencies there are (edge numbers run from 0)."""
    entry: list[tuple[int, int]]
    """Each asset's place in the settle order: (rank, index)."""
    cycle: dict[int, list[int]]
    """For each asset in a zero-delay dependency cycle, the cycle's members."""
    weights: np.ndarray
    """Every asset's consequence weight, in scenario order."""

    @cached_property
    def compressed(self) -> KernelShape:
        """The adjacency lists as compressed rows, for the compiled cascade (built once, on
        first use)."""
        from .compiled_cascade import KernelShape

        return KernelShape.of(self)

    @cached_property
    def reach(self) -> np.ndarray:
        """Per asset, the weighted loss its full failure would cascade over REACH_HOPS hops
        (its own weight included; delays, backups and the cap ignored)."""
        supplier, dependent, strength = self.edges
        # step[j] <- sum of a_ij * step[i] over j's dependents i, added in the order of i
        by = np.lexsort((dependent, supplier))
        supplier, dependent, strength = supplier[by], dependent[by], strength[by]
        n = len(self.weights)
        total = step = self.weights
        for _ in range(REACH_HOPS):
            step = np.bincount(supplier, weights=strength * step[dependent], minlength=n)
            total = total + step
        return total


def build_topology(scenario: Scenario) -> Topology:
    """The topology of `scenario` (about 1.5 s at 100,000 assets: share it between its
    replications)."""
    n = len(scenario.assets)
    index = {asset.id: i for i, asset in enumerate(scenario.assets)}
    deps = scenario.dependencies
    suppliers = [index[d.supplier] for d in deps]
    dependents = [index[d.dependent] for d in deps]
    strengths = [d.strength for d in deps]
    delays = [d.delay_hours for d in deps]
    instant_in: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    instant_out: list[list[int]] = [[] for _ in range(n)]
    delayed_in: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    delayed_out: list[dict[float, list[tuple[int, int]]]] = [{} for _ in range(n)]
    edge = 0
    for j, i, strength, delay in zip(suppliers, dependents, strengths, delays, strict=True):
        if strength == 0:
            continue
        if delay == 0:
            instant_in[i].append((j, strength))
            instant_out[j].append(i)
        else:
            delayed_in[i].append((edge, strength))
            delayed_out[j].setdefault(delay, []).append((edge, i))
            edge += 1
    rank, cycle = _cycle_order(n, instant_out)
    return Topology(
        index=index,
        edges=(
            np.array(suppliers, dtype=np.int64),
            np.array(dependents, dtype=np.int64),
            np.array(strengths, dtype=float),
        ),
        instant_in=instant_in,
        instant_out=instant_out,
        delayed_in=delayed_in,
        delayed_out=delayed_out,
        delayed_edges=edge,
        entry=[(r, i) for i, r in enumerate(rank)],
        cycle=cycle,
        weights=np.array([asset.weight for asset in scenario.assets], dtype=float),
    )


def _cycle_order(n: int, out: list[list[int]]) -> tuple[list[int], dict[int, list[int]]]:
    """A rank per asset that grows along zero-delay dependencies (members of one cycle share
    it), and each cycle's members by asset; assets in no cycle are left out of the latter."""
    src = np.repeat(np.arange(n), [len(o) for o in out])
    dst = np.fromiter((k for o in out for k in o), dtype=np.int64, count=len(src))
    count, label = strong_components(out)
    across = label[src] != label[dst]
    up, down = label[src][across], label[dst][across]
    depth = np.zeros(count, dtype=np.int64)
    while True:
        deeper = depth.copy()
        np.maximum.at(deeper, down, depth[up] + 1)
        if np.array_equal(deeper, depth):
            break
        depth = deeper
    sizes = np.bincount(label, minlength=count)
    groups: dict[int, list[int]] = {}
    for i in np.flatnonzero(sizes[label] > 1).tolist():
        groups.setdefault(int(label[i]), []).append(i)
    cycle = {i: members for members in groups.values() for i in members}
    return depth[label].tolist(), cycle


def strong_components(out: list[list[int]]) -> tuple[int, np.ndarray]:
    """The strongly connected components of the graph whose node v has edges to `out[v]`:
    how many there are, and each node's component number (Tarjan's algorithm, with an
    explicit stack so that long chains cannot overflow Python's)."""
    n = len(out)
    order, low = [-1] * n, [0] * n
    on_stack = [False] * n
    label = np.full(n, -1, dtype=np.int64)
    stack: list[int] = []
    visited = count = 0
    for root in range(n):
        if order[root] >= 0:
            continue
        work = [(root, 0)]
        while work:
            v, k = work[-1]
            if k == 0:
                order[v] = low[v] = visited
                visited += 1
                stack.append(v)
                on_stack[v] = True
            children = out[v]
            while k < len(children):
                w = children[k]
                k += 1
                if order[w] < 0:
                    work[-1] = (v, k)
                    work.append((w, 0))
                    break
                if on_stack[w] and order[w] < low[v]:
                    low[v] = order[w]
            else:
                work.pop()
                if work and low[v] < low[work[-1][0]]:
                    low[work[-1][0]] = low[v]
                if low[v] == order[v]:
                    while True:
                        w = stack.pop()
                        on_stack[w] = False
                        label[w] = count
                        if w == v:
                            break
                    count += 1
    return count, label
