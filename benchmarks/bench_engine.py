"""Engine benchmark: one replication of the default scenario, time and memory by model size
(with campaigns and CSIRTs), and experiment throughput on one and two workers. The project's
targets, each beside its figure, are printed by `targets.py`.

Run on demand (it is not a test): `python benchmarks/bench_engine.py [--sizes 1000,10000,100000]`.
See docs/performance.md for what each figure means and the latest figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import simpy

import sim
from sim.analysis import executors
from sim.analysis.designs import variants_of
from sim.analysis.experiment import run_experiment
from sim.analysis.export import run_files
from sim.analysis.journal import Batch
from sim.atomic import write_folder
from sim.engine import world
from sim.engine.topology import build_topology
from sim.gc_pause import freeze_large_loads, gc_paused
from sim.synthetic import synthetic_files

TOTAL_TARGET_S, MEMORY_TARGET_MB = 20.0, 4096.0
TARGET_ASSETS = 100_000
"""The time and memory targets apply to the model of this many assets."""
EFFICIENCY_TARGET = 0.85
"""Parallel efficiency wanted on two workers."""

RSS_UNIT = 1 if sys.platform == "darwin" else 1024
"""Bytes per unit of `ru_maxrss`: bytes on macOS, KiB on Linux."""


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
    """Wall seconds and peak memory of loading, running and exporting the model in `folder`,
    as the command line does them (it pauses the collector while it loads and runs, and lets
    a large load be frozen out of it)."""
    freeze_large_loads()
    figures = {"imported_mb": peak_mb()}
    began = time.perf_counter()
    with gc_paused(freeze=True):
        scenario = sim.load_scenario(folder / "scenario.yaml")
    figures |= {"load_s": time.perf_counter() - began, "load_mb": peak_mb()}
    began = time.perf_counter()
    with gc_paused():
        result = sim.run(scenario)
    figures |= {"run_s": time.perf_counter() - began, "run_mb": peak_mb()}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        write_folder(Path(out) / "results", run_files(result, {}))
    figures |= {"export_s": time.perf_counter() - began, "export_mb": peak_mb()}
    figures["dependencies"] = len(scenario.dependencies)
    figures["change_points"] = len(result.records.series_q)
    figures["log_rows"] = len(result.records.events)
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


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return int(text)


def sizes(text: str) -> list[int]:
    """An argparse type: comma-separated whole numbers of at least 1."""
    return [positive(part.strip()) for part in text.split(",")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes, default="1000,10000,100000", help="assets per model")
    parser.add_argument("--countries", type=positive, default=5, help="countries per model")
    parser.add_argument("--seed", type=int, default=0, help="generator and scenario seed")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per size in (b)")
    parser.add_argument(
        "--repeats",
        type=positive,
        default=7,
        help="replications of the default scenario timed in (a)",
    )
    parser.add_argument(
        "--replications", type=positive, default=100, help="replications per variant in (c)"
    )
    parser.add_argument(
        "--rounds", type=positive, default=5, help="interleaved rounds in (c); medians kept"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def report_sizes(folders: dict[int, Path], timeout: float) -> None:
    """Print (b): time and peak memory of each phase, one fresh process per size, and how
    the total grows with the number of assets."""
    print("\n(b) Wall time and peak memory by size, each size in a fresh process")
    print(
        f"  {'assets':>9} {'deps':>9} {'load+validate':>13} {'run':>9} {'export':>8} "
        f"{'total':>8} {'log rows':>8} {'change pts':>11}   peak MB after import/load/run/export"
    )
    phases: dict[int, dict[str, float]] = {}
    for n, folder in folders.items():
        f = measure_in_child(folder, timeout)
        if f is None:
            print(f"  {n:>9,} did not finish within {timeout:g} s")
            continue
        total = f["load_s"] + f["run_s"] + f["export_s"]
        phases[n] = {"total": total, "load+validate": f["load_s"], "run": f["run_s"]}
        phases[n]["export"] = f["export_s"]
        print(
            f"  {n:>9,} {f['dependencies']:>9,} {f['load_s']:>11.2f} s {f['run_s']:>7.2f} s "
            f"{f['export_s']:>6.2f} s {total:>6.2f} s {f['log_rows']:>8,} "
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
    if len(phases) >= 2:
        log_assets = np.log(list(phases))
        slopes = {
            phase: np.polyfit(log_assets, np.log([p[phase] for p in phases.values()]), 1)[0]
            for phase in next(iter(phases.values()))
        }
        print(
            "  time grows as assets^k (least-squares fit over the sizes above): "
            + ", ".join(f"{phase} k = {k:.2f}" for phase, k in slopes.items())
        )


def report_default(repeats: int) -> None:
    """Print (a): one replication of the bundled default scenario, the median of `repeats`,
    on a topology built once (as in an experiment)."""
    scenario = sim.load_scenario(sim.bundled_scenario())
    topology = build_topology(scenario)
    seconds = []
    for replication in range(repeats):
        began = time.perf_counter()
        world.run_replication(scenario, replication=replication, topology=topology)
        seconds.append(time.perf_counter() - began)
    print(f"\n(a) One replication of the default scenario ({len(scenario.assets)} assets)")
    print(
        f"  median {np.median(seconds) * 1000:.0f} ms over {repeats} replications "
        f"(min {min(seconds) * 1000:.0f}, max {max(seconds) * 1000:.0f} ms)"
    )


def spin(loops: int) -> float:
    """Seconds this process takes to count to `loops` in Python."""
    began = time.perf_counter()
    for _ in range(loops):
        pass
    return time.perf_counter() - began


def machine_check(loops: int = 20_000_000) -> float:
    """How many times faster two processes do the same CPU-bound work side by side than one
    after the other: 2.0 on two free cores, less where something else is running."""
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(spin, [1000, 1000]))  # start both workers before timing
        alone = spin(loops)
        began = time.perf_counter()
        list(pool.map(spin, [loops, loops]))
        return 2 * alone / (time.perf_counter() - began)


def children_cpu() -> float:
    """CPU seconds used so far by this process's finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def held_per_run(variants: dict[str, sim.Scenario], seed: int) -> float:
    """Bytes an experiment holds per finished run while it goes on: how traced memory, read
    (after a full collection) as the last run arrives, grows between experiments of 10 and
    40 replications per variant."""
    held = []
    for replications in (10, 40):
        final = (list(variants)[-1], replications - 1)

        def note(batch: Batch, final: tuple[str, int] = final) -> None:
            if batch.variant == final[0] and final[1] in batch.replications:
                gc.collect()
                held.append(tracemalloc.get_traced_memory()[0])

        tracemalloc.start()
        run_experiment(variants, replications, seed, on_batch=note)
        tracemalloc.stop()
    return (held[1] - held[0]) / (len(variants) * 30)


def report_workers(replications: int, rounds: int) -> None:
    """Print (c): replications per second of a two-variant experiment on the default scenario
    in this process and on a pool of two workers in each of `rounds` interleaved rounds, the
    parallel efficiency (taken within each round), what the machine allows, and what an
    experiment keeps per run."""
    scenario = sim.load_scenario(sim.bundled_scenario())
    variants = variants_of(scenario, ["baseline", "all_cbms"])
    runs = len(variants) * replications
    run_experiment(variants, 1, scenario.seed)  # warm up imports before timing
    rates: dict[int, list[float]] = {1: [], 2: []}
    tables, busy = set(), []
    for _ in range(rounds):
        for workers, measured in rates.items():
            executor = executors.sequential() if workers == 1 else executors.process_pool(workers)
            began, cpu = time.perf_counter(), children_cpu()
            with executor as unordered:
                experiment = run_experiment(variants, replications, scenario.seed, unordered)
            wall = time.perf_counter() - began
            if workers == 2:
                busy.append((children_cpu() - cpu) / wall)
            measured.append(runs / wall)
            tables.add(str(experiment.rows))
    efficiencies = [two / (2 * one) for one, two in zip(rates[1], rates[2], strict=True)]
    efficiency = float(np.median(efficiencies))
    same = "identical" if len(tables) == 1 else "DIFFERENT"
    print(
        f"\n(c) Experiment throughput: {runs} runs of the default scenario, medians of {rounds} "
        f"interleaved rounds ({same} tables)"
    )
    for workers, measured in rates.items():
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '}  "
            f"{np.median(measured):6.2f} replications/s"
        )
    print(
        f"  parallel efficiency on 2 workers {efficiency:.0%} (rounds: "
        + ", ".join(f"{e:.0%}" for e in efficiencies)
        + f"; pool start-up included)   target >= {EFFICIENCY_TARGET:.0%}: "
        + verdict(efficiency >= EFFICIENCY_TARGET)
    )
    print(
        f"  the two workers kept {np.median(busy):.2f} cores busy (median); on this machine now, "
        f"two busy processes run {machine_check():.2f}x as fast as one (2.00 = two free cores)"
    )
    held = held_per_run(variants, scenario.seed)
    print(
        f"  an experiment holds {held / 1024:.1f} KB per finished run "
        "(traced as its last run arrives, 10 against 40 replications per variant)"
    )


def main() -> None:
    args = parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print(
        f"cyberttx {sim.__version__} · Python {platform.python_version()} · "
        f"simpy {simpy.__version__} · {platform.machine()} {platform.system()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folders: dict[int, Path] = {}
        print(
            f"\nGenerating models, {args.countries} countries, seed {args.seed} (not timed below)"
        )
        for n in sorted(args.sizes):
            began = time.perf_counter()
            folders[n] = Path(tmp) / f"model-{n}"
            write_folder(folders[n], synthetic_files(n, args.countries, args.seed))
            print(f"  {n:>9,} assets: {time.perf_counter() - began:6.2f} s")
        report_default(args.repeats)
        report_sizes({n: folders[n] for n in args.sizes}, args.timeout)
    report_workers(args.replications, args.rounds)


if __name__ == "__main__":
    main()
