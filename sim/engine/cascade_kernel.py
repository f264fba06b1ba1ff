"""The cascade's settle, compiled with numba (the optional extra `cyberttx[fast]`).

The same worklist as `Infrastructure._settle`, step for step, on numpy arrays: the settle
order (a min-heap keyed `rank * n + asset`, which pops in the order of the Python heap's
`(rank, asset)` tuples), the reset of a cycle on a falling input, the hand-over of a slowly
settling cycle to `kleene_limit` (done by the caller, which then resumes the loop), the commit
test, and the backup transitions of every asset the change fed. What has side effects in the
simulation (records, timers, log rows) is left to the caller, which gets it in bulk.

Importing this module imports numba; `compiled_cascade.available` says whether it can.
"""

from __future__ import annotations

import numba
import numpy as np

from .infrastructure import BACKUP_TRIGGER, DOWN, EXHAUSTED, FULL, RIDING, SLOW_CYCLE, TOLERANCE

HEAP, TOUCHED, RESETS, FED, FLIPS = 0, 1, 2, 3, 4
"""Positions in the `counts` array: heap length, assets assigned, cycles reset, assets fed,
backup transitions."""

NO_FLIP, START, END, REFILL = 0, 1, 2, 3
"""Backup transitions: none, ride-through starts, it ends, it ends after exhaustion (the
asset then needs settling again)."""

STAY, WENT_DOWN, CAME_UP = 0, 1, 2
"""What a committed change did to the asset's 'down' state."""

jit = numba.njit(cache=True, nogil=True)

# The heap's length and the number of assets assigned live in locals while the loop runs and
# in `counts` between calls: kept in the array, they go through memory at every step (numba
# cannot tell the arrays apart), which halves the speed.


@jit
def _push(heap, size, key):  # type: ignore[no-untyped-def]
    k = size
    while k > 0:
        parent = (k - 1) >> 1
        if heap[parent] <= key:
            break
        heap[k] = heap[parent]
        k = parent
    heap[k] = key
    return size + 1


@jit
def _pop(heap, size):  # type: ignore[no-untyped-def]
    top = heap[0]
    last = size - 1
    if last > 0:
        key = heap[last]
        k = 0
        while True:
            child = 2 * k + 1
            if child >= last:
                break
            if child + 1 < last and heap[child + 1] < heap[child]:
                child += 1
            if heap[child] >= key:
                break
            heap[k] = heap[child]
            k = child
        heap[k] = key
    return top, last


@jit
def _queue(i, key, heap, queued, size):  # type: ignore[no-untyped-def]
    if queued[i]:
        return size
    queued[i] = True
    return _push(heap, size, key[i])


@jit
def _assign(i, value, q, out_ptr, out_dst, key, heap, queued, before, touched, size, assigned):  # type: ignore[no-untyped-def]
    """Set q[i], remembering its value before the settle, and queue its dependents; returns
    the new heap length and count of assets assigned."""
    if before[i] < 0.0:
        before[i] = q[i]
        touched[assigned] = i
        assigned += 1
    q[i] = value
    for e in range(out_ptr[i], out_ptr[i + 1]):
        size = _queue(out_dst[e], key, heap, queued, size)
    return size, assigned


@jit
def assign(i, value, q, out_ptr, out_dst, key, heap, queued, before, touched, counts):  # type: ignore[no-untyped-def]
    """`_assign`, for the caller (a cycle's limit), with the counters in `counts`."""
    counts[HEAP], counts[TOUCHED] = _assign(
        i, value, q, out_ptr, out_dst, key, heap, queued, before, touched,
        counts[HEAP], counts[TOUCHED],
    )  # fmt: skip


@jit
def queue_seeds(seeds, key, heap, queued, counts) -> None:  # type: ignore[no-untyped-def]
    size = counts[HEAP]
    for i in seeds:
        size = _queue(i, key, heap, queued, size)
    counts[HEAP] = size


@jit
def _felt(i, q, lagged, in_ptr, in_src, in_w, din_ptr, din_edge, din_w):  # type: ignore[no-untyped-def]
    total = 0.0
    for e in range(in_ptr[i], in_ptr[i + 1]):
        total += in_w[e] * q[in_src[e]]
    for e in range(din_ptr[i], din_ptr[i + 1]):
        total += din_w[e] * lagged[din_edge[e]]
    return total


@jit
def run(  # type: ignore[no-untyped-def]
    falling, q, c, lagged, backup, state,
    in_ptr, in_src, in_w, din_ptr, din_edge, din_w, out_ptr, out_dst,
    key, cycle_of, cycle_ptr, cycle_members,
    heap, queued, before, touched, pops, reset, resets, counts,
):  # fmt: skip
    """Work the queue until it is empty (returns -1) or an asset reaches SLOW_CYCLE updates
    (returns it: the caller solves its cycle, assigns the limit and calls again)."""
    n = q.shape[0]
    size, assigned = counts[HEAP], counts[TOUCHED]
    slow = -1
    while size > 0:
        top, size = _pop(heap, size)
        i = top % n
        queued[i] = False
        cyc = cycle_of[i]
        if falling and cyc >= 0 and not reset[cyc]:
            reset[cyc] = True
            resets[counts[RESETS]] = cyc
            counts[RESETS] += 1
            for m in range(cycle_ptr[cyc], cycle_ptr[cyc + 1]):
                k = cycle_members[m]
                if q[k] > 0:
                    size, assigned = _assign(
                        k, 0.0, q, out_ptr, out_dst, key, heap, queued, before, touched,
                        size, assigned,
                    )  # fmt: skip
                size = _queue(k, key, heap, queued, size)
        new = c[i]
        if not backup[i] > 0 or state[i] == EXHAUSTED:
            new += _felt(i, q, lagged, in_ptr, in_src, in_w, din_ptr, din_edge, din_w)
        if new >= 1.0:
            new = 1.0
        if abs(new - q[i]) > TOLERANCE:
            size, assigned = _assign(
                i, new, q, out_ptr, out_dst, key, heap, queued, before, touched, size, assigned
            )
            pops[i] += 1
            if pops[i] == SLOW_CYCLE:
                slow = i
                break
    counts[HEAP], counts[TOUCHED] = size, assigned
    return slow


@jit
def clear_pops(pops, touched, counts) -> None:  # type: ignore[no-untyped-def]
    for t in range(counts[TOUCHED]):
        pops[touched[t]] = 0


@jit
def finish(  # type: ignore[no-untyped-def]
    seeds, q, lagged, backup, state,
    in_ptr, in_src, in_w, din_ptr, din_edge, din_w, out_ptr, out_dst,
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
        for e in range(out_ptr[i], out_ptr[i + 1]):
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
        losing = _felt(i, q, lagged, in_ptr, in_src, in_w, din_ptr, din_edge, din_w) >= (
            BACKUP_TRIGGER
        )
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
    return np.zeros(5, dtype=np.int64)
