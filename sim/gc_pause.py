"""Pausing Python's cyclic garbage collector while many long-lived objects are built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Load a large scenario, or run a replication of one, without the collector's passes,
    which rescan every object built so far (hundreds of thousands of entities) and can double
    the time (measured in docs/performance.md). Reference counting still frees almost
    everything; the few reference cycles a run leaves are collected once the collector
    resumes as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
