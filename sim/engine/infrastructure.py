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
from functools import partial
from heapq import heappop, heappush

import numpy as np
import simpy

from ..schema.scenario import Scenario
from . import kinds
from .fixpoint import kleene_limit
from .records import Records
from .topology import Topology

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


class Infrastructure:
    """The assets of a scenario and their inoperability, inside a SimPy environment."""

    def __init__(
        self, env: simpy.Environment, scenario: Scenario, records: Records, shape: Topology
    ) -> None:
        """`shape` is `scenario`'s topology, read only (replications may share it)."""
        self.env = env
        self.records = records
        self.assets = scenario.assets
        self.index, self.edges, self.reach = shape.index, shape.edges, shape.reach
        self.weights = shape.weights
        self._instant_in, self._instant_out = shape.instant_in, shape.instant_out
        self._delayed_in, self._delayed_out = shape.delayed_in, shape.delayed_out
        self._entry, self._cycle = shape.entry, shape.cycle
        n = len(scenario.assets)
        self.q = [0.0] * n
        self.c = [0.0] * n
        self._damages: dict[int, dict[Hashable, float]] = {}
        self._lagged = [0.0] * shape.delayed_edges
        self._backup = [asset.backup_hours for asset in scenario.assets]
        self._backup_state = [FULL] * n
        self._backup_token = [0] * n
        self._pending: dict[int, None] = {}
        self._pending_falls = False

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
                    # Solve the whole cycle exactly, with everything outside it held: solving
                    # only its busiest members lets the rest creep, step by step, for ever.
                    for k, value in self._cycle_limit(cycle.get(i, [i])):
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
        """Where iteration of the `hot` assets (a cycle's members) converges with everything
        else held as is."""
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
            kind = kinds.ASSET_DOWN if new >= DOWN else kinds.ASSET_UP
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
            self._log_backup(i, kinds.BACKUP_START)
            timer = self.env.timeout(self._backup[i])
            timer.callbacks.append(partial(self._exhaust, i, self._backup_token[i]))
        elif not losing and state != FULL:
            self._backup_state[i] = FULL
            self._backup_token[i] += 1
            self._log_backup(i, kinds.BACKUP_END)
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
        self._log_backup(i, kinds.BACKUP_EXHAUSTED)
        self._later(i, falling=False)

    def _log_backup(self, i: int, kind: str) -> None:
        asset = self.assets[i]
        self.records.log(self.env.now, kind, country=asset.country, asset=asset.id)
