"""The performance targets of the project, each printed beside its figure, in one run.

Every figure is a ratio against a baseline measured in the same run (or a count per second
of something that needs none), the median of interleaved rounds, so that a shared, noisy
machine moves both sides alike. What each line means: docs/performance.md.

    python benchmarks/targets.py              # every yardstick, 5 rounds (about 10 minutes)
    python benchmarks/targets.py --rounds 3 --load-assets 20000 --total-assets 20000
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simpy

import sim
from sim.atomic import write_folder
from sim.engine import compiled_cascade, kinds
from sim.engine.topology import build_topology
from sim.engine.world import run_replication
from sim.synthetic import synthetic_files

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import machine_check, measure_in_child


@dataclass
class Line:
    """One yardstick: its figure and target as text, and whether the target is met (None:
    nothing to judge, e.g. a package is missing)."""

    name: str
    figure: str
    target: str
    met: bool | None

    def show(self) -> str:
        verdict = {True: "met", False: "MISSED", None: "—"}[self.met]
        return f"| {self.name} | {self.figure} | {self.target} | {verdict} |"


def median_of(rounds: int, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
    """The median of each figure `measure` returns, over `rounds` calls."""
    seen = [measure() for _ in range(rounds)]
    return {key: statistics.median(r[key] for r in seen) for key in seen[0]}


def cpu(work: Callable[[], object]) -> tuple[float, object]:
    """This process's CPU seconds for `work` (collector paused, after a full collection)."""
    gc.collect()
    gc.disable()
    try:
        began = time.process_time()
        result = work()
        return time.process_time() - began, result
    finally:
        gc.enable()


# -- (1) the CSIRT path against bare SimPy and Ciw on one M/M/c ----------------------------

ARRIVALS, SERVICE, SERVERS = 3.0, 1.0, 4
"""M/M/c: arrivals an hour, services an hour per analyst, analysts (utilisation 0.75)."""


def mmc_engine(hours: float) -> int:
    """Routine incidents through the engine's CSIRT (Poisson arrivals, exponential handling):
    the tasks handled."""
    scenario = sim.load_scenario(
        {
            "name": "M/M/c",
            "start": "2026-01-01T00:00:00Z",
            "duration_hours": hours,
            "countries": [
                {
                    "id": "X",
                    "name": "X",
                    "csirt": {"analysts": SERVERS},
                    "background": {
                        "per_day": ARRIVALS * 24,
                        "handling": {"dist": "exponential", "mean": 1 / SERVICE},
                    },
                }
            ],
            "assets": [
                {
                    "id": "a",
                    "name": "a",
                    "sector": "energy",
                    "country": "X",
                    "recovery": {"dist": "fixed", "hours": 1},
                }
            ],
        },
        max_events=10**8,
    )
    records = run_replication(scenario)
    return sum(row.kind == kinds.WORK for row in records.events)


def mmc_simpy(hours: float) -> int:
    """The same queue in bare SimPy: a `Resource`, a process per task."""
    env = simpy.Environment()
    analysts = simpy.Resource(env, capacity=SERVERS)
    rng = np.random.default_rng(0)
    started = [0]

    def task(hours: float) -> Generator[simpy.Event, None, None]:
        with analysts.request() as turn:
            yield turn
            started[0] += 1
            yield env.timeout(hours)

    def arrivals() -> Generator[simpy.Event, None, None]:
        while True:
            yield env.timeout(rng.exponential(1 / ARRIVALS))
            env.process(task(rng.exponential(1 / SERVICE)))

    env.process(arrivals())
    env.run(until=hours)
    return started[0]


def mmc_ciw(hours: float) -> int:
    """The same queue in Ciw (customers whose service started)."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(ARRIVALS)],
        service_distributions=[ciw.dists.Exponential(SERVICE)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(0)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(hours)
    return len(simulation.get_all_records())


def csirt_path(rounds: int, hours: float) -> list[Line]:
    try:
        import ciw  # noqa: F401

        peers = {"engine": mmc_engine, "simpy": mmc_simpy, "ciw": mmc_ciw}
    except ImportError:
        peers = {"engine": mmc_engine, "simpy": mmc_simpy}

    def measure() -> dict[str, float]:
        per_task = {}
        for name, run in peers.items():
            seconds, tasks = cpu(lambda run=run: run(hours))
            per_task[name] = seconds / tasks * 1e6  # type: ignore[operator]
        return {**per_task, "ratio": per_task["simpy"] / per_task["engine"]}

    m = median_of(rounds, measure)
    ciw_text = f", Ciw {m['ciw']:.1f} µs" if "ciw" in m else ", Ciw not installed"
    return [
        Line(
            f"CSIRT path on M/M/{SERVERS}, per task (bare SimPy Resource = 1)",
            f"{m['engine']:.1f} µs against {m['simpy']:.1f} µs{ciw_text}: "
            f"**ratio {m['ratio']:.2f}**",
            "≥ 0.45",
            m["ratio"] >= 0.45,
        )
    ]


# -- (2) the settle: Python against compiled -----------------------------------------------


def settle(rounds: int, folder: Path) -> list[Line]:
    if not compiled_cascade.available:
        return [Line("compiled settle", "numba not installed", "≥ 3×", None)]
    model = sim.load_scenario(folder / "scenario.yaml")
    default = sim.load_scenario(sim.bundled_scenario())
    shapes = {id(s): build_topology(s) for s in (model, default)}

    def replication(scenario: sim.Scenario, cascade: str, runs: int = 1) -> float:
        """CPU seconds per replication, over `runs` of them."""
        shape = shapes[id(scenario)]

        def work() -> None:
            for number in range(runs):
                run_replication(scenario, replication=number, topology=shape, cascade=cascade)

        return cpu(work)[0] / runs

    replication(model, "compiled")  # compile (or load the cache) before timing

    def measure() -> dict[str, float]:
        python, compiled = replication(model, "python"), replication(model, "compiled")
        small_python = replication(default, "python", runs=20)
        small_auto = replication(default, "auto", runs=20)
        return {
            "python": python,
            "compiled": compiled,
            "speedup": python / compiled,
            "small": small_python / small_auto,
        }

    m = median_of(rounds, measure)
    assets = len(model.assets)
    return [
        Line(
            f"one replication of the {assets:,}-asset model, compiled settle",
            f"{m['python'] * 1e3:.0f} ms in Python, {m['compiled'] * 1e3:.0f} ms compiled: "
            f"**{m['speedup']:.2f}×**",
            "≥ 3×",
            m["speedup"] >= 3,
        ),
        Line(
            "default scenario, an experiment's settle ('auto') against Python",
            f"**{m['small']:.2f}×** (below {compiled_cascade.COMPILED_FROM:,} assets 'auto' "
            "is the Python settle)",
            "no slower (≥ 0.95×)",
            m["small"] >= 0.95,
        ),
    ]


# -- (3) loading: today's loader against the columnar one ----------------------------------

LOAD_CHILD = """
import json, time
from pathlib import Path
from sim.gc_pause import freeze_large_loads, gc_paused
from sim.schema.load import load_scenario
paused = {paused}
if paused:
    freeze_large_loads()
began = time.perf_counter()
if paused:
    with gc_paused(freeze=True):
        load_scenario({path!r}, columnar={columnar})
else:
    load_scenario({path!r}, columnar={columnar})
seconds = time.perf_counter() - began
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak}}))
"""


def load_in_child(path: Path, columnar: bool, paused: bool) -> dict[str, float]:
    """Seconds to load `path` and the peak memory of a fresh process doing it, with the
    collector paused as the command line loads (or running, as a notebook's load)."""
    code = LOAD_CHILD.format(path=str(path), columnar=columnar, paused=paused)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def loading(rounds: int, folder: Path) -> list[Line]:
    path = folder / "scenario.yaml"

    def measure() -> dict[str, float]:
        figures = {}
        for paused in (True, False):
            rows = load_in_child(path, columnar=False, paused=paused)
            columnar = load_in_child(path, columnar=True, paused=paused)
            figures[f"speedup{paused}"] = rows["seconds"] / columnar["seconds"]
            figures[f"rows{paused}"], figures[f"columnar{paused}"] = (
                rows["seconds"],
                columnar["seconds"],
            )
            if paused:
                figures["rows_mb"], figures["columnar_mb"] = rows["peak_mb"], columnar["peak_mb"]
                figures["memory"] = columnar["peak_mb"] / rows["peak_mb"]
        return figures

    m = median_of(rounds, measure)
    assets = assets_in(folder)
    return [
        Line(
            f"loading the {assets:,}-asset model as the command line does (collector paused)",
            f"{m['rowsTrue']:.2f} s row by row, {m['columnarTrue']:.2f} s columnar: "
            f"**{m['speedupTrue']:.2f}×**",
            "≥ 4×",
            m["speedupTrue"] >= 4,
        ),
        Line(
            "the same load with the collector running (a notebook)",
            f"{m['rowsFalse']:.2f} s against {m['columnarFalse']:.2f} s: "
            f"**{m['speedupFalse']:.2f}×**",
            "≥ 4×",
            m["speedupFalse"] >= 4,
        ),
        Line(
            "loading, peak memory of the process (columnar / row by row)",
            f"{m['columnar_mb']:.0f} MB against {m['rows_mb']:.0f} MB: **{m['memory']:.2f}**",
            "≤ 1",
            m["memory"] <= 1,
        ),
    ]


# -- (4) the experiment's parent: results absorbed per second ------------------------------


def absorption(rounds: int, replications: int) -> list[Line]:
    """Runs that do no work (copies of a real run's results), through a pool of two
    workers: what the parent takes in per second, journal and tables included."""
    from sim.analysis import executors
    from sim.analysis.designs import variants_of
    from sim.analysis.experiment import absorption_rate

    scenario = sim.load_scenario(sim.bundled_scenario())
    variants = variants_of(scenario, ["baseline", "all_cbms"])

    def measure() -> dict[str, float]:
        with tempfile.TemporaryDirectory() as folder, executors.process_pool(2) as pool:
            journal = Path(folder) / "journal.jsonl"
            return {"rate": absorption_rate(variants, replications, scenario.seed, pool, journal)}

    rate = median_of(rounds, measure)["rate"]
    return [
        Line(
            f"results the experiment's parent absorbs per second ({2 * replications:,} no-work "
            "runs, 2 workers, pool start included)",
            f"**{rate:,.0f} /s**",
            "≥ 20,000 /s (with 10,000 runs a variant: fewer weigh the pool's start more)",
            rate >= 20_000,
        )
    ]


# -- (5) the 100k model end to end, and (6) start-up ---------------------------------------

TOTAL_TARGET_S, MEMORY_TARGET_MB = 20.0, 4096.0


def whole_model(folder: Path) -> list[Line]:
    figures = measure_in_child(folder, timeout=1800)
    if figures is None:
        return [Line("whole model", "timed out after 1800 s", "< 20 s", False)]
    total = figures["load_s"] + figures["run_s"] + figures["export_s"]
    peak = max(v for k, v in figures.items() if k.endswith("_mb"))
    assets = assets_in(folder)
    return [
        Line(
            f"{assets:,} assets: load, run and export",
            f"**{total:.1f} s** (load {figures['load_s']:.1f}, run {figures['run_s']:.1f}, "
            f"export {figures['export_s']:.1f})",
            f"< {TOTAL_TARGET_S:.0f} s",
            total < TOTAL_TARGET_S,
        ),
        Line(
            f"{assets:,} assets: peak memory",
            f"**{peak:,.0f} MB**",
            f"< {MEMORY_TARGET_MB:,.0f} MB",
            peak < MEMORY_TARGET_MB,
        ),
    ]


IMPORT_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$")


def startup(rounds: int) -> list[Line]:
    """The share of `cyberttx run`'s wall time (interpreter start to exit) spent importing:
    the top-level imports `-X importtime` reports."""

    def measure() -> dict[str, float]:
        with tempfile.TemporaryDirectory() as out:
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-X", "importtime", "-m", "sim", "run", "--out", f"{out}/r"],
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - began
        imports = sum(
            int(m.group(1)) for m in map(IMPORT_LINE.match, done.stderr.splitlines()) if m
        )  # top-level lines only: their cumulative times cover the nested ones
        return {"wall": wall, "imports": imports / 1e6, "share": imports / 1e6 / wall}

    m = median_of(rounds, measure)
    return [
        Line(
            "`cyberttx run` (default scenario): share of its time spent importing",
            f"{m['imports']:.2f} s of {m['wall']:.2f} s: **{m['share']:.0%}**",
            "≤ 50%",
            m["share"] <= 0.5,
        )
    ]


def assets_in(folder: Path) -> int:
    """The rows of a generated model's asset table."""
    with (folder / "assets.csv").open() as table:
        return sum(1 for _ in table) - 1


def model_folder(root: Path, assets: int, seed: int) -> Path:
    folder = root / f"model-{assets}"
    if not folder.exists():
        write_folder(folder, synthetic_files(assets, 5, seed))
    return folder


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per figure")
    parser.add_argument("--settle-assets", type=int, default=10_000, help="model for (2)")
    parser.add_argument("--load-assets", type=int, default=100_000, help="model for (3)")
    parser.add_argument("--total-assets", type=int, default=100_000, help="model for (5)")
    parser.add_argument("--queue-hours", type=float, default=20_000.0, help="M/M/c length (1)")
    parser.add_argument("--absorbed", type=int, default=10_000, help="no-work runs per variant (4)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed of the models")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print(f"machine check: two processes side by side do {machine_check():.2f}× the work of one")
    rounds = f"{args.rounds} interleaved rounds" if args.rounds > 1 else "1 round"
    print(f"(2.00 on two free cores); medians of {rounds}\n")
    print("| yardstick | figure | target | verdict |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sections: list[Callable[[], list[Line]]] = [
            lambda: csirt_path(args.rounds, args.queue_hours),
            lambda: settle(args.rounds, model_folder(root, args.settle_assets, args.seed)),
            lambda: loading(args.rounds, model_folder(root, args.load_assets, args.seed)),
            lambda: absorption(args.rounds, args.absorbed),
            lambda: whole_model(model_folder(root, args.total_assets, args.seed)),
            lambda: startup(args.rounds),
        ]
        for section in sections:
            for line in section():
                print(line.show(), flush=True)


if __name__ == "__main__":
    main()
