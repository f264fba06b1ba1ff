"""Inoperability of every asset, propagated along dependencies (DESIGN.md §3).

Each asset i has direct damage c_i (the largest of its active damages) and inoperability

    q_i = min(1, c_i + sum_j a_ij * q_j)

where supplier j's value is the one it had `delay_ij` hours ago, and where i feels nothing from
its suppliers while its backup rides through. After every change the zero-delay part of the
system is settled to its least fixed point, so with no delays and no backups the state is the
Leontief inoperability model's q = (I - A)^-1 c where the cap does not bind.

Settling stops propagating a change once it is at most TOLERANCE, so cycles always terminate;
a cycle that creeps towards its limit in many small steps is solved exactly instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from functools import cached_property, partial
from heapq import heappop, heappush

import numpy as np
import simpy
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from ..schema.scenario import Scenario
from .fixpoint import kleene_limit
from .records import Records

TOLERANCE = 1e-6
"""Changes of inoperability at or below this are not propagated (nor recorded)."""

DOWN = 0.5
"""An asset is logged as down while it has lost at least half of its service."""

BACKUP_TRIGGER = 0.05
"""A backup starts riding through once its asset's suppliers send at least this loss; a
smaller loss is absorbed without using it up, and a loss falling below it refills it."""

SLOW_CYCLE = 64
"""After this many updates of one asset in one settle, its cycle is solved by `kleene_limit`."""

FULL, RIDING, EXHAUSTED = 0, 1, 2
"""Backup states: unused, riding through a supplier loss, used up until supply returns."""


REACH_HOPS = 3
"""Dependency hops counted when ranking assets by the loss they would cascade."""


class Infrastructure:
    """The assets of a scenario and their inoperability, inside a SimPy environment."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, records: Records) -> None:
        self.env = env
        self.records = records
        self.assets = scenario.assets
        self.index = {asset.id: i for i, asset in enumerate(scenario.assets)}
        n = len(scenario.assets)
        self.q = [0.0] * n
        self.c = [0.0] * n
        self._damages: dict[int, dict[Hashable, float]] = {}
        self._instant_in: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        self._instant_out: list[list[int]] = [[] for _ in range(n)]
        self._delayed_in: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        self._delayed_out: list[dict[float, list[tuple[int, int]]]] = [{} for _ in range(n)]
        self._lagged: list[float] = []
        deps = scenario.dependencies
        index = self.index
        suppliers = [index[d.supplier] for d in deps]
        dependents = [index[d.dependent] for d in deps]
        strengths = [d.strength for d in deps]
        self.edges = (
            np.array(suppliers, dtype=np.int64),
            np.array(dependents, dtype=np.int64),
            np.array(strengths, dtype=float),
        )
        """Every dependency as (supplier index, dependent index, strength) arrays."""
        delays = [d.delay_hours for d in deps]
        for j, i, strength, delay in zip(suppliers, dependents, strengths, delays, strict=True):
            if strength == 0:
                continue
            if delay == 0:
                self._instant_in[i].append((j, strength))
                self._instant_out[j].append(i)
            else:
                edge = len(self._lagged)
                self._lagged.append(0.0)
                self._delayed_in[i].append((edge, strength))
                self._delayed_out[j].setdefault(delay, []).append((edge, i))
        rank, self._cycle = _cycle_order(n, self._instant_out)
        self._entry = [(r, i) for i, r in enumerate(rank)]
        """Each asset's place in the settle order: (rank, index)."""
        self._backup = [asset.backup_hours for asset in scenario.assets]
        self._backup_state = [FULL] * n
        self._backup_token = [0] * n
        self._pending: dict[int, None] = {}
        self._pending_falls = False

    @cached_property
    def reach(self) -> np.ndarray:
        """Per asset, the weighted loss its full failure would cascade over REACH_HOPS hops
        (its own weight included; delays, backups and the cap ignored)."""
        supplier, dependent, strength = self.edges
        n = len(self.assets)
        feeds = csr_array((strength, (supplier, dependent)), shape=(n, n))
        total = step = self.weights()
        for _ in range(REACH_HOPS):
            step = feeds @ step
            total = total + step
        return total

    def weights(self) -> np.ndarray:
        """Every asset's consequence weight, in scenario order."""
        return np.array([asset.weight for asset in self.assets], dtype=float)

    def set_damage(self, asset: int, source: Hashable, level: float) -> None:
        """Set the direct damage `source` does to `asset` (0 removes it), then settle."""
        damages = self._damages.setdefault(asset, {})
        if level > 0:
            damages[source] = level
        else:
            damages.pop(source, None)
        old, self.c[asset] = self.c[asset], max(damages.values(), default=0.0)
        self._settle((asset,), falling=self.c[asset] < old)

    def supply(self, i: int) -> float:
        """The loss asset i receives from its suppliers (before any backup masks it)."""
        q, lagged = self.q, self._lagged
        total = 0.0
        for j, strength in self._instant_in[i]:
            total += strength * q[j]
        for edge, strength in self._delayed_in[i]:
            total += strength * lagged[edge]
        return total

    def _masked(self, i: int) -> bool:
        """Whether asset i's backup hides its suppliers' losses."""
        return self._backup[i] > 0 and self._backup_state[i] != EXHAUSTED

    def _settle(self, seeds: Iterable[int], falling: bool = False) -> None:
        """Bring the zero-delay system to its least fixed point after the inputs of `seeds`
        changed; `falling` says that some input went down.

        Assets are evaluated in topological order of the dependency cycles they belong to, so
        an asset outside any cycle is evaluated once its suppliers have settled. This loop runs
        for every asset a change reaches, so it works on local names and sums `supply` inline.
        """
        q, c, out, cycle, entry = self.q, self.c, self._instant_out, self._cycle, self._entry
        instant_in, delayed_in, lagged = self._instant_in, self._delayed_in, self._lagged
        backup, state = self._backup, self._backup_state
        before: dict[int, float] = {}
        heap: list[tuple[int, int]] = []
        queued: set[int] = set()
        pops: dict[int, int] = {}
        reset: set[int] = set()

        def assign(i: int, value: float) -> None:
            if i not in before:
                before[i] = q[i]
            q[i] = value
            for k in out[i]:
                if k not in queued:
                    queued.add(k)
                    heappush(heap, entry[k])

        for i in seeds:
            if i not in queued:
                queued.add(i)
                heappush(heap, entry[i])
        while heap:
            i = heappop(heap)[1]
            queued.discard(i)
            if falling and i in cycle and id(cycle[i]) not in reset:
                # A loss leaves a dependency cycle at its least fixed point only if the cycle
                # is recomputed from zero (a mutual dependency would otherwise hold itself up).
                members = cycle[i]
                reset.add(id(members))
                for k in members:
                    if q[k] > 0:
                        assign(k, 0.0)
                    if k not in queued:
                        queued.add(k)
                        heappush(heap, entry[k])
            new = c[i]  # min(1, c + supply) unless masked: `supply` and `_masked`, inline
            if not backup[i] > 0 or state[i] == EXHAUSTED:  # no backup masks the suppliers
                felt = 0.0
                for j, strength in instant_in[i]:
                    felt += strength * q[j]
                for edge, strength in delayed_in[i]:
                    felt += strength * lagged[edge]
                new += felt
            if new >= 1.0:
                new = 1.0
            if abs(new - q[i]) > TOLERANCE:
                assign(i, new)
                pops[i] = pops.get(i, 0) + 1
                if pops[i] == SLOW_CYCLE:
                    hot = [k for k, n in pops.items() if n * 4 >= SLOW_CYCLE]
                    for k, value in self._cycle_limit(hot):
                        assign(k, value)
                    pops.clear()
        fed = set(seeds)
        for i, old in before.items():
            if abs(q[i] - old) <= TOLERANCE:
                q[i] = old
                continue
            self._commit(i, old)
            fed.update(out[i])
        for i in fed:
            if backup[i] > 0:
                self._update_backup(i)

    def _cycle_limit(self, hot: list[int]) -> list[tuple[int, float]]:
        """Where iteration of the `hot` assets converges with everything else held as is."""
        q, lagged = self.q, self._lagged
        at = {i: k for k, i in enumerate(hot)}
        m = np.zeros((len(hot), len(hot)))
        v = np.array([self.c[i] for i in hot])
        for k, i in enumerate(hot):
            if self._masked(i):
                continue
            v[k] += sum(strength * lagged[edge] for edge, strength in self._delayed_in[i])
            for j, strength in self._instant_in[i]:
                if j in at:
                    m[k, at[j]] += strength
                else:
                    v[k] += strength * q[j]
        limit = kleene_limit(m, v, np.array([q[i] for i in hot]))
        return [(i, float(x)) for i, x in zip(hot, limit, strict=True) if x != q[i]]

    def _commit(self, i: int, old: float) -> None:
        """Record asset i's new value and send it along its delayed dependencies."""
        now, new = self.env.now, self.q[i]
        self.records.change(now, i, new)
        if (old >= DOWN) != (new >= DOWN):
            asset = self.assets[i]
            kind = "asset_down" if new >= DOWN else "asset_up"
            self.records.log(now, kind, country=asset.country, asset=asset.id, value=new)
        for delay, edges in self._delayed_out[i].items():
            self.env.timeout(delay).callbacks.append(partial(self._arrive, edges, new))

    def _arrive(self, edges: list[tuple[int, int]], value: float, _event: simpy.Event) -> None:
        """A supplier's value reaches its delayed dependents."""
        lagged = self._lagged
        for edge, dependent in edges:
            self._later(dependent, falling=value < lagged[edge])
            lagged[edge] = value

    def _later(self, i: int, falling: bool) -> None:
        """Settle asset i once every event of this instant that is already due has happened,
        so that simultaneous arrivals cost one settle and each asset changes once."""
        if not self._pending:
            self.env.timeout(0).callbacks.append(self._flush)
        self._pending[i] = None
        self._pending_falls |= falling

    def _flush(self, _event: simpy.Event) -> None:
        seeds, falling = tuple(self._pending), self._pending_falls
        self._pending.clear()
        self._pending_falls = False
        self._settle(seeds, falling)

    def _update_backup(self, i: int) -> None:
        """Start, reset or keep asset i's ride-through according to what its suppliers send."""
        losing = self.supply(i) >= BACKUP_TRIGGER
        state = self._backup_state[i]
        if losing and state == FULL:
            self._backup_state[i] = RIDING
            self._backup_token[i] += 1
            self._log_backup(i, "backup_start")
            timer = self.env.timeout(self._backup[i])
            timer.callbacks.append(partial(self._exhaust, i, self._backup_token[i]))
        elif not losing and state != FULL:
            self._backup_state[i] = FULL
            self._backup_token[i] += 1
            self._log_backup(i, "backup_end")
            if state == EXHAUSTED:  # the small loss left is absorbed again
                self._later(i, falling=True)

    def activate_backup(self, i: int, hours: float) -> None:
        """Bring a fresh backup on line at asset i: it masks supply losses for `hours` from
        now (or from when they start)."""
        self._backup[i] = hours
        self._backup_state[i] = FULL
        self._backup_token[i] += 1
        self._update_backup(i)
        self._later(i, falling=True)

    def _exhaust(self, i: int, token: int, _event: simpy.Event) -> None:
        if token != self._backup_token[i]:
            return
        self._backup_state[i] = EXHAUSTED
        self._log_backup(i, "backup_exhausted")
        self._later(i, falling=False)

    def _log_backup(self, i: int, kind: str) -> None:
        asset = self.assets[i]
        self.records.log(self.env.now, kind, country=asset.country, asset=asset.id)


def _cycle_order(n: int, out: list[list[int]]) -> tuple[list[int], dict[int, list[int]]]:
    """A rank per asset that grows along zero-delay dependencies (members of one cycle share
    it), and each cycle's members by asset; assets in no cycle are left out of the latter."""
    src = np.repeat(np.arange(n), [len(o) for o in out])
    dst = np.fromiter((k for o in out for k in o), dtype=np.int64, count=len(src))
    graph = csr_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    count, label = connected_components(graph, directed=True, connection="strong")
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
