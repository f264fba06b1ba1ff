"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

Every executor is a context manager that yields an `UnorderedMap`: given a picklable
function `work(shared, job)`, the `shared` data every job needs (sent to each worker once, not
with every job) and a list of small jobs, it yields `(index, result)` pairs as jobs finish, in
whatever order they finish; it knows how many `workers` run jobs at once, so callers can size
their jobs. Callers put results back in job order, so tables never depend on the executor.
Leaving the context (normally, on an error or on Ctrl-C) cancels the jobs that have not started
and waits for those running, so nothing keeps running behind the caller's back.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..gc_pause import freeze_large_loads

Work = Callable[[Any, Any], Any]
Map = Callable[[Work, Any, Sequence[Any]], Iterator[tuple[int, Any]]]


@dataclass(frozen=True)
class UnorderedMap:
    """`map(work, shared, jobs)` yielding `(index, result)` as jobs finish, on `workers`
    workers running one job each at a time."""

    map: Map
    workers: int = 1

    def __call__(self, work: Work, shared: Any, jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        return self.map(work, shared, jobs)


class ExecutorUnavailable(RuntimeError):
    """The executor asked for cannot start (a missing package, an unreachable scheduler)."""


class WorkerLost(ExecutorUnavailable):
    """A worker process died during the experiment (killed, or out of memory)."""


WORKER_LOST = (
    "a worker process died (killed, or out of memory?); the finished runs are kept in the "
    "journal: run the same command with --resume to go on"
)

WINDOW = 4
"""Jobs in flight per worker: a long experiment holds a bounded number of pending jobs, not
all of them at once."""


def _in_order(work: Work, shared: Any, jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    return ((index, work(shared, job)) for index, job in enumerate(jobs))


in_process = UnorderedMap(_in_order)
"""The unordered map of `sequential`: every job in this process, in order."""


@contextmanager
def sequential() -> Iterator[UnorderedMap]:
    """Run every job in this process, in order."""
    yield in_process


_shared: Any = None
"""In a pool worker: the data every job of the current run needs."""


def _worker_setup(shared: Any) -> None:
    """Workers keep the shared data, may freeze what large jobs keep out of the collector
    (`gc_pause.frozen_when_large`: a worker exists only to run jobs), leave Ctrl-C to the
    parent, which cancels what has not started, and (on Linux) end when the parent dies,
    even by `kill -9`."""
    global _shared
    _shared = shared
    freeze_large_loads()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG
        ctypes.CDLL(None).prctl(set_parent_death_signal, signal.SIGTERM)


def _with_shared(work: Work, job: Any) -> Any:
    return work(_shared, job)


@contextmanager
def process_pool(workers: int) -> Iterator[UnorderedMap]:
    """Run jobs in `workers` local processes, started for each map with the shared data."""
    pools: list[ProcessPoolExecutor] = []

    def unordered(work: Work, shared: Any, jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        pool = ProcessPoolExecutor(workers, initializer=_worker_setup, initargs=(shared,))
        pools.append(pool)
        waiting = iter(enumerate(jobs))
        running: dict[Future[Any], int] = {}

        def submit(n: int) -> None:
            for k, job in itertools.islice(waiting, n):
                running[pool.submit(_with_shared, work, job)] = k

        try:  # a dead worker breaks the pool: seen on a result or on the next submit
            submit(WINDOW * workers)
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    k = running.pop(future)
                    result = future.result()
                    submit(1)
                    yield k, result
        except BrokenProcessPool:
            raise WorkerLost(WORKER_LOST) from None

    try:
        yield UnorderedMap(unordered, workers)
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _children_deaf_to_ctrl_c() -> Iterator[None]:
    """Processes started inside ignore Ctrl-C (an ignored signal stays ignored in children,
    and Python then installs no KeyboardInterrupt handler), leaving it to this process; its
    own handler is back on leaving. Outside the main thread, signals cannot be set: no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def dask(workers: int | None = None, scheduler: str | None = None) -> Iterator[UnorderedMap]:
    """Run jobs on a Dask cluster: a local one of `workers` processes started for the run, or
    the running scheduler at `scheduler` (e.g. tcp://10.0.0.5:8786), whose workers must have
    this package installed. Raises ExecutorUnavailable if Dask is missing or unreachable."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ExecutorUnavailable(
            "Dask executors need dask.distributed: pip install 'cyberttx[dask]'"
        ) from None
    cluster = None
    try:
        if scheduler is None:
            with _children_deaf_to_ctrl_c():  # Ctrl-C reaches the workers' group too
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    # a failed job reaches us as its exception; what workers log while the
                    # cluster is torn down (on Ctrl-C, say) is noise to the user
                    silence_logs=logging.CRITICAL,
                )
        client = Client(cluster or scheduler, timeout=10)
    except Exception as error:  # distributed raises many kinds for a bad or silent address
        if cluster is not None:
            cluster.close()
        raise ExecutorUnavailable(
            f"cannot reach the Dask scheduler {scheduler}: {type(error).__name__}: {error}"
        ) from None

    def unordered(work: Work, shared: Any, jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        # one object under a fresh key: a dict would be scattered under its own keys, which
        # another client of the same cluster may use too
        (everywhere,) = client.scatter([shared], broadcast=True, hash=False)
        waiting = iter(enumerate(jobs))
        index: dict[str, int] = {}

        def submit(count: int) -> list[Any]:
            batch = list(itertools.islice(waiting, count))
            futures = client.map(work, [everywhere] * len(batch), [j for _, j in batch], pure=False)
            index.update({f.key: k for f, (k, _) in zip(futures, batch, strict=True)})
            return futures

        window = WINDOW * threads
        flow = dask_completed(submit(window))
        try:
            for future in flow:
                result = future.result()
                future.release()
                for more in submit(1):
                    flow.add(more)
                yield index.pop(future.key), result
        finally:
            client.cancel(list(flow.futures))

    threads = max(1, sum(client.nthreads().values()))  # of the workers connected by now
    try:
        yield UnorderedMap(unordered, threads)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


MAX_WORKERS = 512
"""The most worker processes asked for at once (a machine's cores, with room to spare)."""


def executor_for(
    workers: int | None = None, dask_local: int | None = None, scheduler: str | None = None
) -> Any:
    """The executor (a context manager yielding an unordered map) these choices ask for: a
    Dask cluster (`scheduler` address, or `dask_local` workers started for the run), else a
    pool of `workers` processes (default: every core), else this process for one worker.
    Raises ValueError for contradictory choices."""
    if dask_local is not None and scheduler is not None:
        raise ValueError("give a local Dask cluster or a scheduler address, not both")
    if not all(n is None or 1 <= n <= MAX_WORKERS for n in (workers, dask_local)):
        raise ValueError(f"workers: give 1 to {MAX_WORKERS}")
    if workers is not None and (dask_local is not None or scheduler is not None):
        raise ValueError("local processes and a Dask cluster exclude each other")
    if dask_local is not None or scheduler is not None:
        return dask(dask_local, scheduler)
    workers = workers or os.cpu_count() or 1
    return process_pool(workers) if workers > 1 else sequential()


def executor_name(
    workers: int | None = None, dask_local: int | None = None, scheduler: str | None = None
) -> str:
    """Where `executor_for` runs replications, in words (for provenance)."""
    if scheduler:
        return f"Dask cluster at {scheduler}"
    if dask_local:
        return f"local Dask cluster of {dask_local} workers"
    return f"{workers or os.cpu_count() or 1} local process(es)"
