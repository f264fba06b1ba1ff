"""The cascade on numpy arrays with a compiled settle, for large models (`cyberttx[fast]`).

`CompiledInfrastructure` keeps the state of `Infrastructure` in arrays and settles it with
the numba kernel of `cascade_kernel`; its records are identical to the pure-Python path's,
row for row and change point for change point. What the settle does to the rest of the
simulation (change points, log rows, timers) happens here, in the same order as there: the
kernel returns the committed assets and the backup transitions, and this module replays
them. Backup transitions are replayed in the order the Python path visits the set of fed
assets, so the few settles with more than one transition rebuild that set.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import simpy

from ..schema.scenario import Scenario
from . import kinds
from .infrastructure import FULL, Infrastructure
from .records import Records
from .topology import Topology

Cascade = Literal["auto", "python", "compiled"]
"""Which settle a replication uses: the compiled one where numba is installed and the model
has at least COMPILED_FROM assets ("auto"), or the one named. A process pays about a second
to load the compiled kernel (numba and its cache), which a worker running an experiment's
replications recovers after a few of them but a single run does not: single runs settle in
Python, experiments ask for "auto"."""

COMPILED_FROM = 2_000
"""Under "auto", smaller models settle in Python: the kernel's calls would cost more than
they save."""

INDEX = np.int32
"""Asset and edge numbers in the kernel's arrays: half the memory of int64, so more of them
stay in the processor's caches between settles."""

available = importlib.util.find_spec("numba") is not None
"""Whether numba is installed (`pip install cyberttx[fast]`)."""


def infrastructure_class(cascade: Cascade, assets: int) -> type[Infrastructure]:
    """The cascade a replication of `assets` assets runs with.

    Raises RuntimeError if "compiled" is asked for without numba.
    """
    if cascade == "compiled" and not available:
        raise RuntimeError("the compiled cascade needs numba: pip install 'cyberttx[fast]'")
    compiled = cascade == "compiled" or (
        cascade == "auto" and available and assets >= COMPILED_FROM
    )
    return CompiledInfrastructure if compiled else Infrastructure


@dataclass(frozen=True, eq=False)
class KernelShape:
    """A topology as the kernel reads it: the edges of every adjacency list in compressed
    rows, and one row of `nodes` per asset saying where its rows are (`cascade_kernel.IN` ...)."""

    nodes: np.ndarray
    in_src: np.ndarray
    in_w: np.ndarray
    din_edge: np.ndarray
    din_w: np.ndarray
    out_dst: np.ndarray
    cycle_ptr: np.ndarray
    cycle_members: np.ndarray
    slot: np.ndarray
    """Each asset's bit in the settle queue's bitmaps: ranks in order, a rank's assets in
    index order, each rank starting on a fresh 64-bit word."""
    members: np.ndarray
    """The asset of each bit (-1 for a rank's unused bits)."""
    first_word: np.ndarray
    """Each rank's first word."""
    has_delayed: np.ndarray
    """Whether an asset sends its value along a delayed dependency."""

    @classmethod
    def of(cls, shape: Topology) -> KernelShape:
        n = len(shape.entry)
        in_ptr, in_src, in_w = _rows(shape.instant_in)
        din_ptr, din_edge, din_w = _rows(shape.delayed_in)
        out_ptr, out_dst = _pointers(shape.instant_out)
        cycles = list({id(m): m for m in shape.cycle.values()}.values())
        cycle_of = np.full(n, -1, dtype=INDEX)
        for number, members in enumerate(cycles):
            cycle_of[members] = number
        cycle_ptr, cycle_members = _pointers(cycles)
        rank = np.array([r for r, _ in shape.entry], dtype=INDEX)
        nodes = np.column_stack(
            [in_ptr[:-1], in_ptr[1:], din_ptr[:-1], din_ptr[1:], out_ptr[:-1], out_ptr[1:],
             cycle_of, rank]
        )  # fmt: skip
        by_rank = np.argsort(rank, kind="stable")  # index order within each rank
        sizes = np.bincount(rank, minlength=int(rank.max(initial=-1)) + 1)
        first_word = np.concatenate([[0], np.cumsum((sizes + 63) // 64)])
        slot = np.empty(n, dtype=np.int64)
        slot[by_rank] = first_word[rank[by_rank]] * 64 + (
            np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        )
        members = np.full(first_word[-1] * 64, -1, dtype=INDEX)
        members[slot] = np.arange(n)
        return cls(
            np.ascontiguousarray(nodes, dtype=INDEX), in_src, in_w, din_edge, din_w, out_dst,
            cycle_ptr, cycle_members, slot, members, first_word[:-1].astype(np.int64),
            has_delayed=np.array([bool(d) for d in shape.delayed_out]),
        )  # fmt: skip


def _pointers(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of indices as compressed rows: row r is `flat[ptr[r]:ptr[r + 1]]`."""
    ptr = np.zeros(len(rows) + 1, dtype=INDEX)
    np.cumsum([len(row) for row in rows], out=ptr[1:])
    flat = np.fromiter((k for row in rows for k in row), dtype=INDEX, count=int(ptr[-1]))
    return ptr, flat


def _rows(rows: list[list[tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lists of (index, value) pairs as compressed rows: pointers, indices and values."""
    ptr, flat = _pointers([[k for k, _ in row] for row in rows])
    values = np.fromiter((w for row in rows for _, w in row), dtype=float, count=len(flat))
    return ptr, flat, values


class CompiledInfrastructure(Infrastructure):
    """`Infrastructure` with its state in numpy arrays and a compiled settle."""

    def __init__(
        self, env: simpy.Environment, scenario: Scenario, records: Records, shape: Topology
    ) -> None:
        super().__init__(env, scenario, records, shape)
        from . import cascade_kernel as kernel

        self._kernel = kernel
        n = len(self.q)
        self.q = np.zeros(n)
        self.c = np.zeros(n)
        self._lagged = np.zeros(shape.delayed_edges)
        self._backup = np.array(self._backup, dtype=float)
        self._backup_state = np.full(n, FULL, dtype=np.int8)
        self._k = shape.compressed
        self._bits = np.zeros(len(self._k.members) // 64, dtype=np.uint64)
        self._cursor = self._k.first_word.copy()
        self._count = np.zeros(len(self._k.first_word), dtype=np.int64)
        self._before = np.full(n, -1.0)
        self._touched = np.zeros(n, dtype=INDEX)
        self._pops = np.zeros(n, dtype=INDEX)
        cycles = len(self._k.cycle_ptr) - 1
        self._reset = np.zeros(cycles, dtype=np.bool_)
        self._resets = np.zeros(cycles, dtype=np.int64)
        self._fed = np.zeros(n, dtype=np.int64)
        self._is_fed = np.zeros(n, dtype=np.bool_)
        self._committed = np.zeros(n, dtype=np.int64)
        self._crossed = np.zeros(n, dtype=np.int8)
        self._flips = np.zeros(n, dtype=INDEX)
        self._flip_kinds = np.zeros(n, dtype=np.int8)
        self._counts = kernel.new_counts()

    def _settle(self, seeds: Iterable[int], falling: bool = False) -> None:
        """`Infrastructure._settle`, with the worklist in the kernel."""
        kernel, k, counts = self._kernel, self._k, self._counts
        seeds = tuple(seeds)
        seed_array = np.array(seeds, dtype=np.int64)
        q, before, touched = self.q, self._before, self._touched
        queue = (k.slot, self._bits, self._cursor, self._count)
        kernel.queue_seeds(seed_array, k.nodes, *queue, counts)
        while True:
            slow = kernel.run(
                bool(falling), q, self.c, self._lagged, self._backup, self._backup_state,
                k.nodes, k.in_src, k.in_w, k.din_edge, k.din_w, k.out_dst,
                k.cycle_ptr, k.cycle_members,
                k.slot, k.members, self._bits, self._cursor, self._count,
                before, touched, self._pops, self._reset, self._resets, counts,
            )  # fmt: skip
            if slow < 0:
                break
            members = self._cycle.get(slow, [slow])
            for i, value in self._cycle_limit(members):
                kernel.assign(i, value, q, k.nodes, k.out_dst, *queue, before, touched, counts)
            kernel.clear_pops(self._pops, touched, counts)
        kept = kernel.finish(
            seed_array, q, self._lagged, self._backup, self._backup_state,
            k.nodes, k.in_src, k.in_w, k.din_edge, k.din_w, k.out_dst,
            before, touched, self._pops, self._reset, self._resets, counts,
            self._fed, self._is_fed, self._committed, self._crossed, self._flips, self._flip_kinds,
        )  # fmt: skip
        if kept:
            self._commit_all(kept)
        flips = int(counts[kernel.FLIPS])
        if flips:
            self._replay_flips(self._flips[:flips], self._flip_kinds[:flips])

    def _commit_all(self, kept: int) -> None:
        """Record the committed changes and send them along delayed dependencies, as
        `_commit` does one by one."""
        committed = self._committed[:kept]
        values = self.q[committed]
        now, records, down = self.env.now, self.records, self._kernel.WENT_DOWN
        records.series_time.extend([now] * kept)
        records.series_asset.extend(committed.tolist())
        records.series_q.extend(values.tolist())
        crossed = self._crossed[:kept]
        acting = np.flatnonzero((crossed != 0) | self._k.has_delayed[committed])
        for i, new, cross in zip(
            committed[acting].tolist(), values[acting].tolist(), crossed[acting].tolist(),
            strict=True,
        ):  # fmt: skip
            if cross:
                asset = self.assets[i]
                kind = kinds.ASSET_DOWN if cross == down else kinds.ASSET_UP
                records.log(now, kind, country=asset.country, asset=asset.id, value=new)
            for delay, edges in self._delayed_out[i].items():
                self.env.timeout(delay).callbacks.append(partial(self._arrive, edges, new))

    def _replay_flips(self, flips: np.ndarray, flip_kinds: np.ndarray) -> None:
        """Log the backup transitions and start their timers, in the order in which
        `Infrastructure._settle` visits its set of fed assets: a set of ints built by adding
        the same ints in the same order iterates in the same order.

        Ride-throughs that start together and run out at the same moment share one timer: the
        Python path's timers for them would run one after the other, with nothing in between
        (all else scheduled here is due now, not later). The moment is `now + hours` as SimPy
        adds it: lengths a rounding apart can end at the same moment. Where a listener watches
        the log, or a ride-through is too short to be later than now, each gets its own timer."""
        kernel, token, assets, env, log = (
            self._kernel, self._backup_token, self.assets, self.env, self.records.log
        )  # fmt: skip
        start, refill, now = kernel.START, kernel.REFILL, env.now
        flip_of = dict(
            zip(
                flips.tolist(),
                zip(flip_kinds.tolist(), self._backup[flips].tolist(), strict=True),
                strict=True,
            )
        )
        order = flip_of
        if len(flip_of) > 1:
            fed = set(self._fed[: self._counts[kernel.FED]].tolist())
            order = list(filter(flip_of.__contains__, fed))
        batch = not self.records.listeners
        ending: dict[float, tuple[float, list[tuple[int, int]]]] = {}
        """By the moment they run out (as SimPy computes it), ride-throughs and their length."""
        for i in order:
            kind, hours = flip_of[i]
            token[i] += 1
            asset = assets[i]
            if kind == start:
                log(now, kinds.BACKUP_START, country=asset.country, asset=asset.id)
                if batch and now + hours > now:
                    ending.setdefault(now + hours, (hours, []))[1].append((i, token[i]))
                else:
                    env.timeout(hours).callbacks.append(partial(self._exhaust, i, token[i]))
            else:
                log(now, kinds.BACKUP_END, country=asset.country, asset=asset.id)
                if kind == refill:
                    self._later(i, falling=True)
        for hours, riding in ending.values():
            env.timeout(hours).callbacks.append(partial(self._exhaust_all, riding))

    def _exhaust_all(self, riding: list[tuple[int, int]], event: simpy.Event) -> None:
        for i, token in riding:
            self._exhaust(i, token, event)
