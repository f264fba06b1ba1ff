"""Pausing Python's cyclic garbage collector while many long-lived objects are built."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

FREEZE_ABOVE = 100_000
"""Memory blocks allocated (and still held) above which `gc_paused(freeze=True)` freezes
what is alive: below, the full collection costs more than the later passes it saves. A
5,000-asset model holds about 110,000 after loading, the default scenario 13,000. Blocks,
not the collector's own count, because that count falls as temporaries are freed and says
nothing of what a load keeps."""

_freezing = False


def freeze_large_loads() -> None:
    """Let `gc_paused(freeze=True)` freeze in this process. A freeze keeps every object alive
    at that moment out of the collector for good, so a reference cycle among them that later
    becomes garbage is never freed: right for a process that loads a scenario and ends (the
    command line opts in), wrong for one that loads and drops many (a notebook), which is
    why it is not the default."""
    global _freezing
    _freezing = True


@contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """Load a large scenario, or run a replication of one, without the collector's passes,
    which rescan every object built so far (hundreds of thousands of entities) and can double
    the time (measured in docs/performance.md). Reference counting still frees almost
    everything; the few reference cycles a run leaves are collected once the collector
    resumes as it was.

    With `freeze`, in a process that called `freeze_large_loads`, when more than FREEZE_ABOVE
    memory blocks were kept, everything alive is moved out of the collector's sight once done
    (after one full collection, so that no garbage is kept): a loaded scenario is long lived,
    and later passes would otherwise rescan it again and again."""
    enabled = gc.isenabled()
    gc.disable()
    blocks = sys.getallocatedblocks()
    try:
        yield
    finally:
        if freeze and _freezing:
            _freeze_if_grown(blocks)
        if enabled:
            gc.enable()


@contextmanager
def frozen_when_large() -> Iterator[None]:
    """In a process that called `freeze_large_loads` (the command line, a pool worker): when
    what runs inside leaves more than FREEZE_ABOVE blocks alive (a large variant's topology,
    kept for its replications), collect once and freeze, so the collector's later passes stop
    rescanning it (a third of a compiled 10,000-asset replication). Elsewhere, nothing."""
    blocks = sys.getallocatedblocks()
    yield
    if _freezing:
        _freeze_if_grown(blocks)


def _freeze_if_grown(blocks: int) -> None:
    if sys.getallocatedblocks() - blocks > FREEZE_ABOVE:
        gc.collect()
        gc.freeze()
