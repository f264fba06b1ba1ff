"""Engine benchmark: event throughput against bare SimPy, and time and memory by model size.

Run on demand (it is not a test): `python benchmarks/bench_engine.py [--sizes 1000,10000,100000]`.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest import mock

import simpy

import sim
from sim.analysis.export import run_files
from sim.atomic import write_folder
from sim.engine import world
from sim.synthetic import synthetic_files

RATIO_TARGET = 0.5
LOAD_TARGET_S, RUN_TARGET_S, MEMORY_TARGET_MB = 5.0, 10.0, 4096.0
TARGET_ASSETS = 100_000
"""The time and memory targets apply to the model of this many assets."""

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


def engine_rate(scenario: sim.Scenario) -> tuple[int, float]:
    """Events processed by one `run_replication` of `scenario`, and the seconds `env.run` took.

    Raises RuntimeError if the engine no longer builds its environment as `simpy.Environment`.
    """
    CountingEnvironment.latest = None
    with mock.patch.object(world.simpy, "Environment", CountingEnvironment):
        world.run_replication(scenario)
    env = CountingEnvironment.latest
    if env is None:
        raise RuntimeError("run_replication did not use simpy.Environment: update the benchmark")
    return env.events, env.seconds


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
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per size in (b)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def report_rates(folder: Path, assets: int) -> None:
    """Print (a): the engine's events per second against a bare SimPy loop's."""
    engine_events, engine_s = engine_rate(sim.load_scenario(folder / "scenario.yaml"))
    bare_events, bare_s = bare_rate(max(engine_events, 200_000))
    engine, bare = engine_events / engine_s, bare_events / bare_s
    print("\n(a) Events per second, both measured in this process")
    for label, events, seconds, rate in (
        (f"engine, {assets:,}-asset model", engine_events, engine_s, engine),
        ("bare SimPy timeout loop", bare_events, bare_s, bare),
    ):
        print(f"  {label:<28} {events:>11,} events in {seconds:8.2f} s = {rate:>11,.0f} /s")
    ratio = engine / bare
    print(f"  ratio {ratio:.4f}   target >= {RATIO_TARGET:g}: {verdict(ratio >= RATIO_TARGET)}")


def report_sizes(folders: dict[int, Path], timeout: float) -> None:
    """Print (b): time and peak memory of each phase, one fresh process per size."""
    print("\n(b) Wall time and peak memory by size, each size in a fresh process")
    print(
        f"  {'assets':>9} {'deps':>9} {'load+validate':>13} {'run':>9} {'export':>8} "
        f"{'change pts':>11}   peak MB after import/load/run/export"
    )
    for n, folder in folders.items():
        f = measure_in_child(folder, timeout)
        if f is None:
            print(f"  {n:>9,} did not finish within {timeout:g} s")
            continue
        print(
            f"  {n:>9,} {f['dependencies']:>9,} {f['load_s']:>11.2f} s {f['run_s']:>7.2f} s "
            f"{f['export_s']:>6.2f} s {f['change_points']:>11,}   "
            + " / ".join(f"{f[k]:,.0f}" for k in ("imported_mb", "load_mb", "run_mb", "export_mb"))
        )
        if n == TARGET_ASSETS:
            peak = max(f["load_mb"], f["run_mb"], f["export_mb"])
            print(
                f"  targets at {n:,} assets: load+validate < {LOAD_TARGET_S:g} s "
                f"{verdict(f['load_s'] < LOAD_TARGET_S)}, run < {RUN_TARGET_S:g} s "
                f"{verdict(f['run_s'] < RUN_TARGET_S)}, peak < {MEMORY_TARGET_MB / 1024:g} GB "
                f"{verdict(peak < MEMORY_TARGET_MB)}"
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
        report_rates(folders[args.events_assets], args.events_assets)
        report_sizes({n: folders[n] for n in sizes}, args.timeout)


if __name__ == "__main__":
    main()
