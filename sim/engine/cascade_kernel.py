"""The cascade's settle, compiled with numba (the optional extra `cyberttx[fast]`).

The same worklist as `Infrastructure._settle`, step for step, on numpy arrays: the settle
order (the Python heap's `(rank, asset)` order, kept here as one bitmap per rank over its
assets in index order: the lowest set bit of the lowest non-empty rank is the next asset),
the reset of a cycle on a falling input, the hand-over of a slowly
settling cycle to `kleene_limit` (done by the caller, which then resumes the loop), the commit
test, and the backup transitions of every asset the change fed. What has side effects in the
simulation (records, timers, log rows) is left to the caller, which gets it in bulk.

Importing this module imports numba; `compiled_cascade.available` says whether it can.
"""

from __future__ import annotations

import numba
import numpy as np

from .infrastructure import BACKUP_TRIGGER, DOWN, EXHAUSTED, FULL, RIDING, SLOW_CYCLE, TOLERANCE

QUEUED, TOUCHED, RESETS, FED, FLIPS, LOWEST = 0, 1, 2, 3, 4, 5
"""Positions in the `counts` array: assets queued, assets assigned, cycles reset, assets fed,
backup transitions, and the lowest rank that may hold a queued asset."""

NO_FLIP, START, END, REFILL = 0, 1, 2, 3
"""Backup transitions: none, ride-through starts, it ends, it ends after exhaustion (the
asset then needs settling again)."""

IN, DELAYED_IN, OUT, CYCLE, RANK = 0, 2, 4, 6, 7
"""Columns of the `nodes` array: each asset's first and past-last zero-delay supplier edge,
delayed supplier edge and zero-delay dependent edge, its cycle number (or -1) and its rank in
the settle order. One row per asset, so the loop reads one cache line for all of them."""

DE_BRUIJN = np.uint64(0x03F79D71B4CB0A89)
BIT_OF = np.zeros(64, dtype=np.int64)
for _bit in range(64):
    BIT_OF[((1 << _bit) * int(DE_BRUIJN) % 2**64) >> 58] = _bit
"""Which bit a one-bit word has set, looked up by a de Bruijn product (no loop, no branch)."""

STAY, WENT_DOWN, CAME_UP = 0, 1, 2
"""What a committed change did to the asset's 'down' state."""

jit = numba.njit(cache=True, nogil=True)

# The queue's size, its lowest rank and the number of assets assigned live in locals while the
# loop runs and in `counts` between calls: kept in the array, they go through memory at every
# step (numba cannot tell the arrays apart), which halves the speed.


@jit
def _queue(i, nodes, slot, bits, cursor, count, size, lowest):  # type: ignore[no-untyped-def]
    """Queue asset i unless it is queued; returns the queue's size and lowest rank."""
    s = slot[i]
    word, bit = s >> 6, np.uint64(1) << np.uint64(s & 63)
    if bits[word] & bit:
        return size, lowest
    bits[word] |= bit
    rank = nodes[i, RANK]
    if word < cursor[rank]:
        cursor[rank] = word
    count[rank] += 1
    return size + 1, min(lowest, rank)


@jit
def _pop(members, bits, cursor, count, size, lowest):  # type: ignore[no-untyped-def]
    """The first queued asset in settle order, removed; and the queue's size and lowest
    rank. `cursor[r]` never passes rank r's first set bit, so the scan starts there."""
    while count[lowest] == 0:
        lowest += 1
    word = cursor[lowest]
    while bits[word] == 0:
        word += 1
    cursor[lowest] = word
    value = bits[word]
    low = value & (~value + np.uint64(1))
    bits[word] = value ^ low
    count[lowest] -= 1
    return members[word * 64 + BIT_OF[(low * DE_BRUIJN) >> np.uint64(58)]], size - 1, lowest


@jit
def _assign(  # type: ignore[no-untyped-def]
    i, value, q, nodes, out_dst, slot, bits, cursor, count, before, touched, queue, assigned
):
    """Set q[i], remembering its value before the settle, and queue its dependents; returns
    the queue's (size, lowest rank) and the count of assets assigned."""
    if before[i] < 0.0:
        before[i] = q[i]
        touched[assigned] = i
        assigned += 1
    q[i] = value
    size, lowest = queue
    for e in range(nodes[i, OUT], nodes[i, OUT + 1]):
        size, lowest = _queue(out_dst[e], nodes, slot, bits, cursor, count, size, lowest)
    return (size, lowest), assigned


@jit
def assign(i, value, q, nodes, out_dst, slot, bits, cursor, count, before, touched, counts):  # type: ignore[no-untyped-def]
    """`_assign`, for the caller (a cycle's limit), with the counters in `counts`."""
    (counts[QUEUED], counts[LOWEST]), counts[TOUCHED] = _assign(
        i, value, q, nodes, out_dst, slot, bits, cursor, count, before, touched,
        (counts[QUEUED], counts[LOWEST]), counts[TOUCHED],
    )  # fmt: skip


@jit
def queue_seeds(seeds, nodes, slot, bits, cursor, count, counts) -> None:  # type: ignore[no-untyped-def]
    size, lowest = counts[QUEUED], counts[LOWEST]
    for i in seeds:
        size, lowest = _queue(i, nodes, slot, bits, cursor, count, size, lowest)
    counts[QUEUED], counts[LOWEST] = size, lowest


@jit
def _felt(i, q, lagged, nodes, in_src, in_w, din_edge, din_w):  # type: ignore[no-untyped-def]
    total = 0.0
    for e in range(nodes[i, IN], nodes[i, IN + 1]):
        total += in_w[e] * q[in_src[e]]
    for e in range(nodes[i, DELAYED_IN], nodes[i, DELAYED_IN + 1]):
        total += din_w[e] * lagged[din_edge[e]]
    return total


@jit
def run(  # type: ignore[no-untyped-def]
    falling, q, c, lagged, backup, state,
    nodes, in_src, in_w, din_edge, din_w, out_dst, cycle_ptr, cycle_members,
    slot, members, bits, cursor, count, before, touched, pops, reset, resets, counts,
):  # fmt: skip
    """Work the queue until it is empty (returns -1) or an asset reaches SLOW_CYCLE updates
    (returns it: the caller solves its cycle, assigns the limit and calls again)."""
    queue, assigned = (counts[QUEUED], counts[LOWEST]), counts[TOUCHED]
    slow = -1
    while queue[0] > 0:
        i, size, lowest = _pop(members, bits, cursor, count, queue[0], queue[1])
        queue = (size, lowest)
        cyc = nodes[i, CYCLE]
        if falling and cyc >= 0 and not reset[cyc]:
            reset[cyc] = True
            resets[counts[RESETS]] = cyc
            counts[RESETS] += 1
            for m in range(cycle_ptr[cyc], cycle_ptr[cyc + 1]):
                k = cycle_members[m]
                if q[k] > 0:
                    queue, assigned = _assign(
                        k, 0.0, q, nodes, out_dst, slot, bits, cursor, count, before, touched,
                        queue, assigned,
                    )  # fmt: skip
                queue = _queue(k, nodes, slot, bits, cursor, count, queue[0], queue[1])
        new = c[i]
        if not backup[i] > 0 or state[i] == EXHAUSTED:
            new += _felt(i, q, lagged, nodes, in_src, in_w, din_edge, din_w)
        if new >= 1.0:
            new = 1.0
        if abs(new - q[i]) > TOLERANCE:
            queue, assigned = _assign(
                i, new, q, nodes, out_dst, slot, bits, cursor, count, before, touched,
                queue, assigned,
            )  # fmt: skip
            pops[i] += 1
            if pops[i] == SLOW_CYCLE:
                slow = i
                break
    (counts[QUEUED], counts[LOWEST]), counts[TOUCHED] = queue, assigned
    return slow


@jit
def clear_pops(pops, touched, counts) -> None:  # type: ignore[no-untyped-def]
    for t in range(counts[TOUCHED]):
        pops[touched[t]] = 0


@jit
def finish(  # type: ignore[no-untyped-def]
    seeds, q, lagged, backup, state,
    nodes, in_src, in_w, din_edge, din_w, out_dst,
    before, touched, pops, reset, resets, counts,
    fed, is_fed, committed, crossed, flips, flip_kinds,
):  # fmt: skip
    """Keep the changes above TOLERANCE (listed in `committed`, in the order first assigned,
    with `crossed` saying how each moved the 'down' state), apply the backup transitions of
    the seeds and of the dependents of committed assets (listed in `flips`, kinds in `flip_kinds`;
    `fed` lists the assets fed, in the order the Python path adds them to its set), and leave
    the work arrays clean for the next settle. Returns the number committed."""
    kept = 0
    counts[FED] = 0
    for i in seeds:
        if not is_fed[i]:
            is_fed[i] = True
            fed[counts[FED]] = i
            counts[FED] += 1
    for t in range(counts[TOUCHED]):
        i = touched[t]
        old = before[i]
        before[i] = -1.0
        pops[i] = 0
        if abs(q[i] - old) <= TOLERANCE:
            q[i] = old
            continue
        committed[kept] = i
        crossed[kept] = (
            STAY if (old >= DOWN) == (q[i] >= DOWN) else (WENT_DOWN if q[i] >= DOWN else CAME_UP)
        )
        kept += 1
        for e in range(nodes[i, OUT], nodes[i, OUT + 1]):
            k = out_dst[e]
            if not is_fed[k]:
                is_fed[k] = True
                fed[counts[FED]] = k
                counts[FED] += 1
    counts[TOUCHED] = 0
    for r in range(counts[RESETS]):
        reset[resets[r]] = False
    counts[RESETS] = 0
    counts[FLIPS] = 0
    for f in range(counts[FED]):
        i = fed[f]
        is_fed[i] = False
        if not backup[i] > 0:
            continue
        losing = _felt(i, q, lagged, nodes, in_src, in_w, din_edge, din_w) >= BACKUP_TRIGGER
        kind = NO_FLIP
        if losing and state[i] == FULL:
            kind = START
            state[i] = RIDING
        elif not losing and state[i] != FULL:
            kind = REFILL if state[i] == EXHAUSTED else END
            state[i] = FULL
        if kind != NO_FLIP:
            flip_kinds[counts[FLIPS]] = kind
            flips[counts[FLIPS]] = i
            counts[FLIPS] += 1
    return kept


def new_counts() -> np.ndarray:
    """A clean `counts` array."""
    return np.zeros(6, dtype=np.int64)
