"""Inoperability of every asset, propagated along dependencies (DESIGN.md §3).

Each asset i has direct damage c_i (the largest of its active damages) and inoperability

    q_i = min(1, c_i + sum_j a_ij * q_j)

where supplier j's value is the one it had `delay_ij` hours ago, and where i feels nothing from
its suppliers while its backup rides through. After every change the zero-delay part of the
system is settled to its least fixed point, so with no delays and no backups the state is the
Leontief inoperability model's q = (I - A)^-1 c where the cap does not bind.

Settling stops propagating a change once it is at most TOLERANCE, so cycles always terminate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from functools import partial

import simpy

from ..schema.scenario import Scenario
from .records import Records

TOLERANCE = 1e-6
"""Changes of inoperability at or below this are not propagated (nor recorded)."""

DOWN = 0.5
"""An asset is logged as down while it has lost at least half of its service."""

FULL, RIDING, EXHAUSTED = 0, 1, 2
"""Backup states: unused, riding through a supplier loss, used up until supply returns."""


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
        self._delayed_out: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]
        self._lagged: list[float] = []
        for dep in scenario.dependencies:
            if dep.strength == 0:
                continue
            j, i = self.index[dep.supplier], self.index[dep.dependent]
            if dep.delay_hours == 0:
                self._instant_in[i].append((j, dep.strength))
                self._instant_out[j].append(i)
            else:
                edge = len(self._lagged)
                self._lagged.append(0.0)
                self._delayed_in[i].append((edge, dep.strength))
                self._delayed_out[j].append((edge, i, dep.delay_hours))
        self._backup = [asset.backup_hours for asset in scenario.assets]
        self._backup_state = [FULL] * n
        self._backup_token = [0] * n

    def set_damage(self, asset: int, source: Hashable, level: float) -> None:
        """Set the direct damage `source` does to `asset` (0 removes it), then settle."""
        damages = self._damages.setdefault(asset, {})
        if level > 0:
            damages[source] = level
        else:
            damages.pop(source, None)
        self.c[asset] = max(damages.values(), default=0.0)
        self._settle((asset,))

    def supply(self, i: int) -> float:
        """The loss asset i receives from its suppliers (before any backup masks it)."""
        q, lagged = self.q, self._lagged
        total = 0.0
        for j, strength in self._instant_in[i]:
            total += strength * q[j]
        for edge, strength in self._delayed_in[i]:
            total += strength * lagged[edge]
        return total

    def _target(self, i: int) -> float:
        masked = self._backup[i] > 0 and self._backup_state[i] != EXHAUSTED
        felt = 0.0 if masked else self.supply(i)
        return min(1.0, self.c[i] + felt)

    def _settle(self, seeds: Iterable[int]) -> None:
        """Bring the zero-delay system to its least fixed point after a change at `seeds`."""
        q, out = self.q, self._instant_out
        seeds = tuple(seeds)
        before: dict[int, float] = {}
        work: deque[int] = deque()
        queued: set[int] = set()

        def push(i: int) -> None:
            if i not in queued:
                queued.add(i)
                work.append(i)

        falling = [i for i in seeds if self._target(i) < q[i] - TOLERANCE]
        if falling:
            # A loss can only shrink to the least fixed point if everything it feeds instantly
            # is recomputed from zero (a mutual dependency would otherwise hold itself up).
            reset, stack = set(falling), list(falling)
            while stack:
                for k in out[stack.pop()]:
                    if k not in reset and q[k] > TOLERANCE:
                        reset.add(k)
                        stack.append(k)
            for i in reset:
                before[i] = q[i]
                q[i] = 0.0
            for i in reset:
                push(i)
                for k in out[i]:
                    push(k)
        for i in seeds:
            push(i)
        while work:
            i = work.popleft()
            queued.discard(i)
            new = self._target(i)
            if abs(new - q[i]) <= TOLERANCE:
                continue
            before.setdefault(i, q[i])
            q[i] = new
            for k in out[i]:
                push(k)
        fed = set(seeds)
        for i, old in before.items():
            if abs(q[i] - old) <= TOLERANCE:
                q[i] = old
                continue
            self._commit(i, old)
            fed.update(out[i])
        for i in fed:
            if self._backup[i] > 0:
                self._update_backup(i)

    def _commit(self, i: int, old: float) -> None:
        """Record asset i's new value and send it along its delayed dependencies."""
        now, new = self.env.now, self.q[i]
        self.records.change(now, i, new)
        if (old >= DOWN) != (new >= DOWN):
            asset = self.assets[i]
            kind = "asset_down" if new >= DOWN else "asset_up"
            self.records.log(now, kind, country=asset.country, asset=asset.id, value=new)
        for edge, dependent, delay in self._delayed_out[i]:
            self.env.timeout(delay).callbacks.append(partial(self._arrive, edge, dependent, new))

    def _arrive(self, edge: int, dependent: int, value: float, _event: simpy.Event) -> None:
        self._lagged[edge] = value
        self._settle((dependent,))

    def _update_backup(self, i: int) -> None:
        """Start, reset or keep asset i's ride-through according to what its suppliers send."""
        losing = self.supply(i) > TOLERANCE
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

    def _exhaust(self, i: int, token: int, _event: simpy.Event) -> None:
        if token != self._backup_token[i]:
            return
        self._backup_state[i] = EXHAUSTED
        self._log_backup(i, "backup_exhausted")
        self._settle((i,))

    def _log_backup(self, i: int, kind: str) -> None:
        asset = self.assets[i]
        self.records.log(self.env.now, kind, country=asset.country, asset=asset.id)
