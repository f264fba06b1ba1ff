"""Engine benchmark: event throughput against bare SimPy, one replication of the default
scenario, time and memory by model size (with campaigns and CSIRTs), and experiment
throughput on one and two workers.

Run on demand (it is not a test): `python benchmarks/bench_engine.py [--sizes 1000,10000,100000]`.
See docs/performance.md for what each figure means and the latest figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import simpy

import sim
from sim.analysis import executors
from sim.analysis.experiment import run_experiment, variants_of
from sim.analysis.export import run_files
from sim.atomic import write_folder
from sim.engine import world
from sim.synthetic import synthetic_files

RATIO_TARGET = 0.5
TOTAL_TARGET_S, MEMORY_TARGET_MB = 20.0, 4096.0
TARGET_ASSETS = 100_000
"""The time and memory targets apply to the model of this many assets."""
EFFICIENCY_TARGET = 0.85
"""Parallel efficiency wanted on two workers."""

RSS_UNIT = 1 if sys.platform == "darwin" else 1024
"""Bytes per unit of `ru_maxrss`: bytes on macOS, KiB on Linux."""


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes and times its `run` calls."""

    latest: CountingEnvironment | None = None

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.events = 0
        self.seconds = 0.0
        CountingEnvironment.latest = self

    def step(self) -> None:
        self.events += 1
        super().step()

    def run(self, until: Any = None) -> Any:
        began = time.perf_counter()
        try:
            return super().run(until)
        finally:
            self.seconds += time.perf_counter() - began


def engine_rate(scenario: sim.Scenario, replications: int = 1) -> tuple[int, float]:
    """Events processed by `replications` runs of `run_replication` on `scenario`, and the
    seconds their `env.run` calls took.

    Raises RuntimeError if the engine no longer builds its environment as `simpy.Environment`.
    """
    events, seconds = 0, 0.0
    with mock.patch.object(world.simpy, "Environment", CountingEnvironment):
        for replication in range(replications):
            CountingEnvironment.latest = None
            world.run_replication(scenario, replication=replication)
            env = CountingEnvironment.latest
            if env is None:
                raise RuntimeError("run_replication did not use simpy.Environment: update this")
            events, seconds = events + env.events, seconds + env.seconds
    return events, seconds


def bare_rate(events: int) -> tuple[int, float]:
    """Events processed, and seconds taken, by processes that only wait on timeouts."""
    env = CountingEnvironment()

    def ticker() -> Generator[simpy.Event, None, None]:
        while True:
            yield env.timeout(1.0)

    for _ in range(100):
        env.process(ticker())
    env.run(until=events // 100)
    return env.events, env.seconds


def queue_rate(events: int) -> tuple[int, float]:
    """Events processed, and seconds taken, by a queue built from the SimPy primitives the
    CSIRTs use (a process per task, a priority request granted through `any_of`, a timeout,
    a release) with no engine logic at all: the most a queueing engine on SimPy can keep."""
    env = CountingEnvironment()
    analysts = simpy.PriorityResource(env, capacity=5)
    draws = iter(np.random.default_rng(0).random(2 * events).tolist())

    def task(priority: int) -> Generator[simpy.Event, None, None]:
        turn = analysts.request(priority=priority)
        yield env.any_of([turn])
        try:
            yield env.timeout(2 * next(draws))
        finally:
            analysts.release(turn)

    def arrivals() -> Generator[simpy.Event, None, None]:
        for k in itertools.count():
            yield env.timeout(0.5 * next(draws))
            env.process(task(-(k % 3)))

    env.process(arrivals())
    env.run(until=events / 24)  # about 6 events per task, 2 tasks an hour
    return env.events, env.seconds


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB.

    Linux's VmHWM is used where there is one: `ru_maxrss` would start from the peak of the
    process that spawned this one.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT / 2**20


def measure(folder: Path) -> dict[str, float]:
    """Wall seconds and peak memory of loading, running and exporting the model in `folder`."""
    figures = {"imported_mb": peak_mb()}
    began = time.perf_counter()
    scenario = sim.load_scenario(folder / "scenario.yaml")
    figures |= {"load_s": time.perf_counter() - began, "load_mb": peak_mb()}
    began = time.perf_counter()
    result = sim.run(scenario)
    figures |= {"run_s": time.perf_counter() - began, "run_mb": peak_mb()}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        write_folder(Path(out) / "results", run_files(result, {}))
    figures |= {"export_s": time.perf_counter() - began, "export_mb": peak_mb()}
    figures["dependencies"] = len(scenario.dependencies)
    figures["change_points"] = len(result.records.series_q)
    figures["events"] = len(result.records.events)
    return figures


def measure_in_child(folder: Path, timeout: float) -> dict[str, float] | None:
    """`measure` in a fresh interpreter, so that sizes do not share memory; None on timeout."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"measuring {folder} failed:\n{error.stderr}") from None
    return json.loads(done.stdout)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="assets per model")
    parser.add_argument("--countries", type=int, default=5, help="countries per model")
    parser.add_argument("--seed", type=int, default=0, help="generator and scenario seed")
    parser.add_argument("--events-assets", type=int, default=10_000, help="model size for (a)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per size in (c)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=7,
        help="replications of the default scenario timed in (a) and (b)",
    )
    parser.add_argument(
        "--replications", type=int, default=100, help="replications per variant in (d)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds in (a) and (d); best kept"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def report_rates(folder: Path, assets: int, repeats: int, rounds: int) -> None:
    """Print (a): the engine's events per second against a bare SimPy loop's, on the default
    scenario and on the generated model in `folder`, with the SimPy queue for scale. Each
    is measured `rounds` times, interleaved, and its best round kept."""
    default = sim.load_scenario(sim.bundled_scenario())
    model = sim.load_scenario(folder / "scenario.yaml")
    measures: dict[str, Callable[[], tuple[int, float]]] = {
        f"engine, default scenario ({len(default.assets)} assets)": partial(
            engine_rate, default, repeats
        ),
        f"engine, {assets:,}-asset model": partial(engine_rate, model),
        "SimPy queue, no engine logic": partial(queue_rate, 200_000),
        "bare SimPy timeout loop": partial(bare_rate, 200_000),
    }
    best: dict[str, tuple[int, float]] = {}
    for _ in range(rounds):
        for label, measure_rate in measures.items():
            events, seconds = measure_rate()
            if label not in best or events / seconds > best[label][0] / best[label][1]:
                best[label] = events, seconds
    bare = best["bare SimPy timeout loop"][0] / best["bare SimPy timeout loop"][1]
    print(f"\n(a) Events per second, all in this process, best of {rounds} interleaved rounds")
    for label, (events, seconds) in best.items():
        rate = events / seconds
        print(
            f"  {label:<36} {events:>9,} events in {seconds:6.2f} s = {rate:>9,.0f} /s"
            f"   ratio {rate / bare:.3f}"
        )
    for label in list(best)[:2]:
        ratio = best[label][0] / best[label][1] / bare
        print(f"  {label}: target >= {RATIO_TARGET:g}: {verdict(ratio >= RATIO_TARGET)}")


def report_sizes(folders: dict[int, Path], timeout: float) -> None:
    """Print (c): time and peak memory of each phase, one fresh process per size, and how
    the total grows with the number of assets."""
    print("\n(c) Wall time and peak memory by size, each size in a fresh process")
    print(
        f"  {'assets':>9} {'deps':>9} {'load+validate':>13} {'run':>9} {'export':>8} "
        f"{'total':>8} {'events':>8} {'change pts':>11}   peak MB after import/load/run/export"
    )
    totals: dict[int, float] = {}
    for n, folder in folders.items():
        f = measure_in_child(folder, timeout)
        if f is None:
            print(f"  {n:>9,} did not finish within {timeout:g} s")
            continue
        totals[n] = total = f["load_s"] + f["run_s"] + f["export_s"]
        print(
            f"  {n:>9,} {f['dependencies']:>9,} {f['load_s']:>11.2f} s {f['run_s']:>7.2f} s "
            f"{f['export_s']:>6.2f} s {total:>6.2f} s {f['events']:>8,} "
            f"{f['change_points']:>11,}   "
            + " / ".join(f"{f[k]:,.0f}" for k in ("imported_mb", "load_mb", "run_mb", "export_mb"))
        )
        if n == TARGET_ASSETS:
            peak = max(f["load_mb"], f["run_mb"], f["export_mb"])
            print(
                f"  targets at {n:,} assets: total < {TOTAL_TARGET_S:g} s "
                f"{verdict(total < TOTAL_TARGET_S)}, peak < {MEMORY_TARGET_MB / 1024:g} GB "
                f"{verdict(peak < MEMORY_TARGET_MB)}"
            )
    if len(totals) >= 2:
        sizes = np.log(list(totals))
        slope = np.polyfit(sizes, np.log(list(totals.values())), 1)[0]
        print(f"  total time grows as assets^{slope:.2f} (least-squares fit over the sizes above)")


def report_default(repeats: int) -> None:
    """Print (b): one replication of the bundled default scenario, the median of `repeats`."""
    scenario = sim.load_scenario(sim.bundled_scenario())
    seconds = []
    for replication in range(repeats):
        began = time.perf_counter()
        world.run_replication(scenario, seed=scenario.seed, replication=replication)
        seconds.append(time.perf_counter() - began)
    print(f"\n(b) One replication of the default scenario ({len(scenario.assets)} assets)")
    print(
        f"  median {np.median(seconds) * 1000:.0f} ms over {repeats} replications "
        f"(min {min(seconds) * 1000:.0f}, max {max(seconds) * 1000:.0f} ms)"
    )


def report_workers(replications: int, rounds: int) -> None:
    """Print (d): replications per second of a two-variant experiment on the default scenario
    in this process and on a pool of two workers (each the best of `rounds` interleaved
    rounds), and the parallel efficiency."""
    scenario = sim.load_scenario(sim.bundled_scenario())
    variants = variants_of(scenario, ["baseline", "all_cbms"])
    runs = len(variants) * replications
    run_experiment(variants, 1, scenario.seed)  # warm up imports and caches before timing
    rates: dict[int, float] = {1: 0.0, 2: 0.0}
    tables = set()
    for _ in range(rounds):
        for workers in rates:
            executor = executors.sequential() if workers == 1 else executors.process_pool(workers)
            began = time.perf_counter()
            with executor as unordered:
                rows = run_experiment(variants, replications, scenario.seed, unordered).rows
            rates[workers] = max(rates[workers], runs / (time.perf_counter() - began))
            tables.add(str(rows))
    efficiency = rates[2] / (2 * rates[1])
    same = "identical" if len(tables) == 1 else "DIFFERENT"
    print(
        f"\n(d) Experiment throughput: {runs} runs of the default scenario, best of {rounds} "
        f"interleaved rounds ({same} tables)"
    )
    for workers, rate in rates.items():
        print(f"  {workers} worker{'s' if workers > 1 else ' '}  {rate:6.2f} replications/s")
    print(
        f"  parallel efficiency on 2 workers {efficiency:.0%} (pool start-up included)   "
        f"target >= {EFFICIENCY_TARGET:.0%}: {verdict(efficiency >= EFFICIENCY_TARGET)}"
    )


def main() -> None:
    args = parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"cyberttx {sim.__version__} · Python {platform.python_version()} · "
        f"simpy {simpy.__version__} · {platform.machine()} {platform.system()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folders: dict[int, Path] = {}
        print(
            f"\nGenerating models, {args.countries} countries, seed {args.seed} (not timed below)"
        )
        for n in sorted({*sizes, args.events_assets}):
            began = time.perf_counter()
            folders[n] = Path(tmp) / f"model-{n}"
            write_folder(folders[n], synthetic_files(n, args.countries, args.seed))
            print(f"  {n:>9,} assets: {time.perf_counter() - began:6.2f} s")
        report_rates(folders[args.events_assets], args.events_assets, args.repeats, args.rounds)
        report_default(args.repeats)
        report_sizes({n: folders[n] for n in sizes}, args.timeout)
    report_workers(args.replications, args.rounds)


if __name__ == "__main__":
    main()
