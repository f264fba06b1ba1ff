"""The `cyberttx` command: parse arguments, call the Python API, print. Nothing else."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .analysis.export import csv_bytes, run_files
from .analysis.journal import Journal, JournalMismatch, read_journal
from .analysis.metrics import AFFECTED, DOWN
from .analysis.objectives import measure_problems
from .analysis.result import RunResult, run
from .atomic import FolderExists, NotOurs, ours, write_file, write_folder
from .errors import Problem, ScenarioError
from .gc_pause import freeze_large_loads
from .library import DEFAULT_SCENARIO, list_scenarios, resolve_scenario
from .schema.load import load_model_or_scenario, load_scenario
from .schema.scenario import (
    MAX_ROUTINE_INCIDENTS,
    MAX_SEED,
    InfrastructureModel,
    Scenario,
    ScenarioFile,
)
from .schema.variants import VariantError, apply_variant

if TYPE_CHECKING:
    from .analysis.executors import UnorderedMap
    from .analysis.experiment import Experiment

EXIT_INPUT = 2
"""Exit status for input that cannot be used: a malformed scenario, an unknown variant."""
EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C (the shell's convention for SIGINT)."""


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_INPUT)


@contextmanager
def _input_errors(file: object = "error") -> Iterator[None]:
    """Turn errors about the user's input into a short message and exit status 2; `file`
    prefixes messages that do not name one themselves."""
    try:
        yield
    except ScenarioError as error:
        _fail(error.report())
    except (VariantError, KeyError) as error:
        _fail(f"{file}: {error.args[0] if isinstance(error, KeyError) else error}")


def _is_scenario(name: str | None) -> bool:
    """Whether `name` resolves to a scenario file that exists."""
    try:
        return resolve_scenario(name).is_file()
    except (ScenarioError, OSError, ValueError, KeyError):
        return False


def _check_measures(path: Path, resolved: Mapping[str | None, Scenario]) -> None:
    """Raise ScenarioError naming each exercise objective whose `measure` names no number in
    the metrics of the scenario with each variant applied (`resolved`, by variant name; None:
    as written); a misspelt one would otherwise rate U without a word. A problem is reported
    once, with the first variant that shows it."""
    found: dict[tuple[str, str], str] = {}
    for variant, scenario in resolved.items():
        for where, message in measure_problems(scenario):
            with_variant = "" if variant is None else f" (with variant '{variant}')"
            found.setdefault((where, message), message + with_variant)
    if found:
        raise ScenarioError(Problem(str(path), where, text) for (where, _), text in found.items())


def _millions(value: float) -> str:
    return f"{value / 1e6:,.2f} M"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _ranked(totals: dict[str, float], top: int = 5) -> str:
    ranked = sorted(((v, k) for k, v in totals.items() if v > 0), reverse=True)
    shown = " · ".join(f"{k} {_millions(v)}" for v, k in ranked[:top])
    return shown + (f" · (+{len(ranked) - top} more)" if len(ranked) > top else "") or "none"


def _summary(result: RunResult) -> str:
    s, m = result.scenario, result.metrics
    start = s.start.isoformat(sep=" ", timespec="minutes")
    variant = result.variant or "none (the scenario as written)"
    sizes = [
        f"{s.duration_hours:g} h from {start}",
        _count(len(s.countries), "country", "countries"),
        _count(len(s.assets), "asset", "assets"),
        _count(len(s.dependencies), "dependency", "dependencies"),
        _count(len(s.disruptions), "disruption", "disruptions"),
        _count(len(s.campaigns), "campaign", "campaigns"),
    ]
    return "\n".join(
        [
            f"{s.name} — variant: {variant}, seed {result.seed}",
            " · ".join(sizes),
            "",
            f"Service-hours lost   {_millions(m['service_hours_lost'])}"
            "  (weight × inoperability × hours)",
            f"  by country         {_ranked(m['service_hours_lost_by_country'])}",
            f"  by sector          {_ranked(m['service_hours_lost_by_sector'])}",
            f"Peak assets down     {m['peak_assets_down']} of {len(s.assets)}  (q ≥ {DOWN:g})",
            f"Assets affected      {m['assets_affected']} in "
            f"{_count(m['countries_affected'], 'country', 'countries')}  (q ≥ {AFFECTED:g})",
            f"Cascade depth        {_count(m['cascade_depth'], 'hop', 'hops')} along dependencies",
            *(
                f"In event windows     {event}: {_millions(w['total'])} weighted"
                f" ({_ranked({k: v for k, v in w.items() if k != 'total'}, top=4)})"
                for event, w in m["event_window_impact"].items()
            ),
            *_campaign_lines(m["campaigns"]),
            *_response_lines(m),
        ]
    )


def _hours(summary: dict[str, Any]) -> str:
    if not summary["n"]:
        return "—"
    return f"{summary['mean']:.1f} h (p90 {summary['p90']:.1f} h, n={summary['n']})"


def _response_lines(m: dict[str, Any]) -> list[str]:
    if not m["csirts"]:
        return []
    t, c = m["incident_timings"], m["cooperation"]
    load = " · ".join(
        f"{country} {v['utilisation']:.0%} busy, wait {v['mean_wait_hours'] or 0:.1f} h"
        for country, v in m["csirts"].items()
    )
    return [
        "",
        f"Time to detect       {_hours(t['detect'])}",
        f"Time to contain      {_hours(t['contain'])}",
        f"CSIRTs               {load}",
        f"Cooperation          {c['assistance_answered']}/{c['assistance_requested']} requests "
        f"for analysts answered · {c['takedowns']} takedowns · {c['indicators_shared']} "
        f"indicator sets shared, {c['indicators_received']} received",
        f"Indicators           {c['advisories_issued']} national advisories · "
        f"{c['stages_blocked_holding_indicators']} intrusion stages blocked on held indicators",
        f"Containment          {c['intrusions_evicted']} intrusions evicted before impact · "
        f"{c['outages_shortened']} outages shortened · {c['spreads_prevented']} spreads stopped",
    ]


def _campaign_lines(outcomes: dict[str, dict[str, Any]]) -> list[str]:
    width = max([19, *(len(cid) + 2 for cid in outcomes)])
    header = "intrusions · detected · blocked · succeeded · assets hit"
    lines = ["", f"{'Campaigns':<{width}}  {header}"]
    for cid, o in outcomes.items():
        lines.append(
            f"  {cid:<{width - 2}} {o['attempted']:>10} · {o['detected']:>8} · {o['blocked']:>7} · "
            f"{o['succeeded']:>9} · {o['assets_impacted']:>10}"
        )
    return lines if outcomes else []


def _save(folder: Path, files: dict[str, bytes], force: bool) -> None:
    """Write `files` as `folder`, all or nothing; exit 2 with a short message if the folder
    exists (without `force`) or cannot be written."""
    try:
        write_folder(folder, files, replace=force)
    except NotOurs:
        _fail(
            f"error: {folder} holds files cyberttx did not write; --force replaces only its "
            "own output folders: choose another --out"
        )
    except FolderExists:
        _fail(f"error: {folder} already exists and is not empty; choose another --out, or --force")
    except OSError as error:
        _fail(f"error: cannot write {folder}: {error.strerror or error}")


def _write(path: Path, data: bytes) -> None:
    """Write one file atomically; exit 2 with a short message if it cannot be written."""
    try:
        write_file(path, data)
    except OSError as error:
        _fail(f"error: cannot write {path}: {error.strerror or error}")


def _out_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def non_empty(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
        if value is not None and not value.strip():
            raise click.BadParameter("must name a folder")
        return None if value is None else Path(value)

    return click.option("--out", callback=non_empty, help=help_text)


SEED = click.IntRange(min=0, max=MAX_SEED)
"""A root seed: a whole number from 0 to 2**63 - 1."""

FORCE = click.option(
    "--force", is_flag=True, help="Replace the output folder (and any journal) if it exists."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cyberttx")
@click.option(
    "--allow-path",
    "allowed",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also read included models and tables from this folder (repeatable). By default "
    "only the scenario's own folder and the bundled library are read.",
)
@click.option(
    "--max-events",
    type=click.IntRange(min=1),
    default=MAX_ROUTINE_INCIDENTS,
    show_default=True,
    help="Refuse a scenario (or variant) expected to make more routine incidents a run "
    "(background rates x duration). Each costs memory; raise it for long, busy scenarios.",
)
@click.pass_context
def main(ctx: click.Context, allowed: tuple[Path, ...], max_events: int) -> None:
    """Tabletop cyber-exercise simulation: infrastructure cascades and cyber campaigns.

    Start with `cyberttx run` (the bundled default scenario), `cyberttx list` for the library,
    and `cyberttx validate FILE` while writing your own scenario.
    """
    ctx.obj = {"allowed": allowed, "max_events": max_events}
    freeze_large_loads()  # this process loads one scenario and ends
    for stream in (sys.stdout, sys.stderr):  # a console that cannot show "≥" shows "?"
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def _limits() -> dict[str, Any]:
    """What the loader may read and accept: --allow-path folders and --max-events."""
    obj = click.get_current_context().find_root().obj or {}
    return {
        "allowed": tuple(obj.get("allowed", ())),
        "max_events": obj.get("max_events", MAX_ROUTINE_INCIDENTS),
    }


def _provenance(path: Path, began: float) -> dict[str, Any]:
    """Where a result came from: the scenario file, the software and when it finished."""
    return {
        "scenario_file": str(path),
        "scenario_file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "package_version": __version__,
        "python": platform.python_version(),
        "command": " ".join(["cyberttx", *sys.argv[1:]]),
        "wall_seconds": round(time.perf_counter() - began, 4),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


@main.command("run")
@click.argument("scenario", required=False)
@click.option("--seed", type=SEED, help="Root seed (default: the scenario's).")
@click.option("--variant", help="Apply a named variant of the scenario (default: none).")
@_out_option("Output folder, which must not exist yet (default: results/<scenario>-<timestamp>/).")
@FORCE
def run_command(
    scenario: str | None, seed: int | None, variant: str | None, out: Path | None, force: bool
) -> None:
    """Run SCENARIO once and write its records.

    SCENARIO is a YAML file or the name of a bundled scenario (default: the bundled
    default scenario). Writes events.csv (event log), series.csv (inoperability change
    points: q holds from `time` until the asset's next row), metrics.json and run.json
    (provenance) into the output folder, all or nothing.
    """
    with _input_errors():
        path = resolve_scenario(scenario)
        loaded = load_scenario(path, **_limits())
    with _input_errors(path):
        began = time.perf_counter()
        result = run(loaded, variant=variant, seed=seed)
    provenance = _provenance(path, began)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _free_folder(out, force, f"{path.stem}-{stamp}")
    _save(folder, run_files(result, provenance), force)
    click.echo(_summary(result))
    click.echo(f"\nWrote {folder}/ (events.csv, series.csv, metrics.json, run.json)")


@main.command("validate")
@click.argument("files", nargs=-1, required=True)
def validate_command(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print OK or every problem with its file and field path.

    Exit status 0 when every file is valid, 2 otherwise.
    """
    failed = False
    for name in files:
        try:
            path = resolve_scenario(name)
            scenario = load_model_or_scenario(path, **_limits())
            if scenario.exercise is not None and scenario.exercise.objectives:
                _check_measures(
                    path,
                    {None: scenario} | {v: apply_variant(scenario, v) for v in scenario.variants},
                )
        except (ScenarioError, KeyError) as error:
            failed = True
            message = error.report() if isinstance(error, ScenarioError) else error.args[0]
            click.echo(message, err=True)
            continue
        click.echo(
            f"OK {name}: {len(scenario.countries)} countries, {len(scenario.assets)} assets, "
            f"{len(scenario.dependencies)} dependencies, {len(scenario.variants)} variants"
        )
    if failed:
        sys.exit(EXIT_INPUT)


@main.command("schema")
@click.option(
    "--kind",
    type=click.Choice(["scenario", "model"]),
    default="scenario",
    show_default=True,
    help="Scenario files, or infrastructure model files (infrastructure_models/*.yaml).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def schema_command(kind: str, out: Path | None) -> None:
    """Print the JSON Schema of the scenario language, for editors' YAML support."""
    model = ScenarioFile if kind == "scenario" else InfrastructureModel
    text = json.dumps(model.model_json_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        _write(out, text.encode())
        click.echo(f"Wrote {out}")


@main.command("list")
def list_command() -> None:
    """List the bundled scenarios with their names and descriptions."""
    for name, path in list_scenarios().items():
        with _input_errors():
            scenario = load_scenario(path, **_limits())
        marker = " (default)" if name == DEFAULT_SCENARIO else ""
        first_line = scenario.description.strip().split(". ")[0].rstrip(".")
        click.echo(f"{name}{marker}: {scenario.name}. {first_line}.")


@main.command("graph")
@click.argument("source", required=False)
@_out_option(
    "File name without extension (default: results/<name>-graph); .png and .svg are added."
)
def graph_command(source: str | None, out: Path | None) -> None:
    """Draw the dependency graph of a scenario or infrastructure model to PNG and SVG.

    SOURCE is a scenario or model file, or a bundled scenario's name (default: the default
    scenario). Assets are grouped by country (columns) and sector (bands), sized by weight;
    cross-border dependencies are red. A model of more than 1,000 assets is drawn as one block
    per country and sector, with lines as thick as the dependencies between blocks.
    """
    from .report.graph import draw_graph

    with _input_errors():
        path = resolve_scenario(source)
        scenario = load_model_or_scenario(path, **_limits())
    stem = out or Path("results") / f"{path.stem}-graph"
    written = []
    for kind, data in draw_graph(scenario).items():
        target = stem.with_name(f"{stem.name}.{kind}")
        _write(target, data)
        written.append(str(target))
    click.echo(f"Wrote {' and '.join(written)}")


def _progress(executor: UnorderedMap, done: int) -> UnorderedMap:
    """`executor` with a progress bar (and the time left) on standard error; `done` runs were
    finished before."""
    from tqdm import tqdm

    def unordered(
        work: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        with tqdm(total=done + len(jobs), initial=done, unit="run", leave=False) as bar:
            for pair in executor(work, shared, jobs):
                bar.update()
                yield pair

    return unordered


def _executor(workers: int | None, dask_local: int | None, scheduler: str | None) -> Any:
    """The executor the options ask for: Dask, a process pool, or this process."""
    from .analysis import executors

    if dask_local is not None and scheduler is not None:
        raise click.UsageError("give --dask-local or --scheduler, not both")
    if workers is not None and (dask_local is not None or scheduler is not None):
        raise click.UsageError(
            "--workers sets local processes; with Dask, --dask-local sets the workers"
        )
    if dask_local is not None or scheduler is not None:
        return executors.dask(dask_local, scheduler)
    workers = workers or os.cpu_count() or 1
    return executors.process_pool(workers) if workers > 1 else executors.sequential()


def _executor_name(options: dict[str, Any]) -> str:
    if options["scheduler"]:
        return f"Dask cluster at {options['scheduler']}"
    if options["dask_local"]:
        return f"local Dask cluster of {options['dask_local']} workers"
    return f"{options['workers'] or os.cpu_count() or 1} local process(es)"


def _free_folder(out: Path | None, force: bool, default: str) -> Path:
    """The output folder, chosen before a long experiment: `out` (refused if it holds
    results and not `force`) or the first free `results/<default>[-n]`."""
    if out is not None:
        if out.exists() and not out.is_dir():
            _fail(f"error: {out} is a file, not a folder; choose another --out")
        if out.is_dir() and any(out.iterdir()) and not force:
            _fail(f"error: {out} already exists and is not empty; choose another --out, or --force")
        if out.is_dir() and not ours(out):
            _fail(
                f"error: {out} holds files cyberttx did not write; --force replaces only its "
                "own output folders: choose another --out"
            )
        return out
    for n in itertools.count(1):
        candidate = Path("results") / (default if n == 1 else f"{default}-{n}")
        if not candidate.exists() and not _beside(candidate, ".journal.jsonl").exists():
            return candidate
    raise AssertionError("unreachable")


def _beside(folder: Path, suffix: str) -> Path:
    """A working file next to an output folder: its journal or saved session."""
    return folder.with_name(folder.name + suffix)


def _resumable(path: Path, seed: int, runs: dict[str, Any], options: dict[str, Any]) -> Any:
    """The finished runs of the journal at `path` that this experiment can reuse, saying so."""
    if path.exists() and not (options["resume"] or options["force"]):
        _fail(
            f"error: {path} holds an interrupted experiment; add --resume to continue it "
            "(or --force to start again)"
        )
    if not options["resume"]:
        return {}
    if not path.exists():
        click.echo(f"Nothing to resume at {path}; starting afresh.", err=True)
        return {}
    try:
        done, changed = read_journal(path, seed, runs)
    except JournalMismatch as error:
        _fail(f"error: {path}: {error}; run without --resume and with --force to start again")
    except ScenarioError as error:
        _fail(f"error: {error.problems[0]}; run without --resume and with --force to start again")
    for label in changed:
        click.echo(f"Variant {label} changed since the journal was written: redoing it.", err=True)
    return done


def _experiment(
    runs: dict[str, Any], replications: int, seed: int, options: dict[str, Any], folder: Path
) -> tuple[Experiment, Journal]:
    """Run an experiment with a journal beside `folder`: resumed from it with --resume; on
    Ctrl-C, kept for a later --resume (exit 130)."""
    from .analysis.executors import ExecutorUnavailable
    from .analysis.experiment import run_experiment

    path = _beside(folder, ".journal.jsonl")
    done = _resumable(path, seed, runs, options)
    total = len(runs) * replications
    reused = {
        key: result for key, result in done.items() if key[0] in runs and key[1] < replications
    }
    if options["resume"] and done:
        click.echo(f"Resuming: {len(reused)} of {total} runs already done ({path})", err=True)
    journal: Journal | None = None
    try:
        with _executor(options["workers"], options["dask_local"], options["scheduler"]) as pool:
            journal = Journal(path, seed, runs, done)
            experiment = run_experiment(
                runs, replications, seed, _progress(pool, len(reused)), reused, journal.record
            )
    except KeyboardInterrupt:
        kept = len(done) + (journal.entries if journal else 0)
        if journal is not None:
            journal.close()
            if not kept:
                journal.remove()
        click.echo(
            f"\nInterrupted: {kept} finished runs are kept in {path}.\n"
            f"Continue with the same command and: --out {folder} --resume"
            if kept
            else "\nInterrupted before any run finished; nothing to keep.",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    except ExecutorUnavailable as error:
        if journal is not None:
            journal.close()
        _fail(f"error: {error}")
    except OSError as error:
        _fail(f"error: cannot write {path}: {error.strerror or error}")
    journal.close()
    return experiment, journal


def _experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options every experiment command shares: replications, seed, where to run,
    resuming."""
    options = [
        click.option(
            "--resume",
            is_flag=True,
            help="Continue an interrupted experiment from the journal beside its --out "
            "folder, without redoing finished runs.",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:PORT); "
            "its workers need cyberttx installed.",
        ),
        click.option(
            "--dask-local",
            type=click.IntRange(min=1),
            metavar="N",
            help="Run on a local Dask cluster of N worker processes started for the run.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            help="Local processes to run replications in (default: all cores). Results are "
            "identical whatever the executor.",
        ),
        click.option(
            "--seed",
            type=SEED,
            help="Root seed (default: the scenario's).",
        ),
    ]
    for option in options:
        function = option(function)
    return function


def _tables(
    rows: list[dict[str, Any]], summary: list[dict[str, Any]], name: str
) -> dict[str, bytes]:
    """replications.csv (and .parquet with pyarrow) and a summary table, as file contents."""
    import pandas as pd

    table = pd.DataFrame(rows)
    files = {
        "replications.csv": csv_bytes(table),
        name: csv_bytes(pd.DataFrame(summary)),
    }
    if importlib.util.find_spec("pyarrow") is not None:
        files["replications.parquet"] = table.to_parquet(index=False)
    return files


def _chosen_variants(loaded: Any, given: str | None, ablation: bool) -> list[str | None]:
    """The variants to compare (None: as written). By default, every declared variant, after
    the scenario as written unless a declared variant is identical to it."""
    if given is None:
        written = loaded.digest()
        same = any(apply_variant(loaded, v).digest() == written for v in loaded.variants)
        return [*([] if same else [None]), *loaded.variants]
    chosen = [v.strip() or None for v in given.split(",")]
    repeated = sorted({v or "as_written" for v in chosen if chosen.count(v) > 1})
    if repeated:
        raise click.BadParameter(f"{', '.join(repeated)} given twice", param_hint="--variants")
    if len(chosen) < 2 and not ablation:
        raise click.BadParameter(
            "name at least two variants to compare (an empty name is the scenario as written)",
            param_hint="--variants",
        )
    return chosen


@main.command("compare")
@click.argument("scenario", required=False)
@click.option(
    "--variants",
    help="Comma-separated variants; the first is the reference (default: the scenario as "
    "written, then every declared variant).",
)
@click.option("-n", "--replications", type=click.IntRange(min=2), default=30, show_default=True)
@_experiment_options
@click.option(
    "--cbm-ablation",
    "cbm_ablation_flag",
    is_flag=True,
    help="Instead: no CBMs, each CBM alone, all but one, and all, adopted by every country, on "
    "the scenario with the first of --variants applied; reports each CBM's effect alone and "
    "its marginal effect.",
)
@_out_option("Output folder (default: results/<scenario>-compare-<timestamp>/).")
@FORCE
def compare_command(
    scenario: str | None,
    variants: str | None,
    replications: int,
    cbm_ablation_flag: bool,
    out: Path | None,
    **options: Any,
) -> None:
    """Run variants of SCENARIO over paired replications and compare them with the first.

    Writes replications.csv (one row per variant x replication; also replications.parquet
    when pyarrow is installed), comparison.csv (mean difference against the first variant,
    with the 95% paired interval and the wider interval an unpaired comparison would give),
    plots as PNG and SVG, and report.html, one self-contained page with all of it. A progress
    bar with the time left runs on standard error; Ctrl-C stops cleanly and --resume goes on.
    """
    from .analysis.experiment import (
        ablation_description,
        attribution,
        cbm_ablation,
        compare,
        variants_of,
    )
    from .report.experiment_report import experiment_report

    with _input_errors():
        path = resolve_scenario(scenario)
        loaded = load_scenario(path, **_limits())
    chosen = _chosen_variants(loaded, variants, cbm_ablation_flag)
    with _input_errors(path):
        if cbm_ablation_flag:
            runs = cbm_ablation(apply_variant(loaded, chosen[0] if variants else None))
            descriptions = {label: ablation_description(label) for label in runs}
        else:
            runs = variants_of(loaded, chosen)
            descriptions = {
                label: str(loaded.variants.get(label, {}).get("description", "")) for label in runs
            } | {"as_written": "The scenario as written, no variant applied"}
    seed = loaded.seed if options["seed"] is None else options["seed"]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _free_folder(out, options["force"], f"{path.stem}-compare-{stamp}")
    began = time.perf_counter()
    experiment, journal = _experiment(runs, replications, seed, options, folder)
    rows = experiment.rows
    results = attribution(rows) if cbm_ablation_flag else compare(rows)
    provenance = _provenance(path, began) | {"executor": _executor_name(options)}
    files = _tables(rows, results, "comparison.csv") | experiment_report(
        loaded, runs, experiment, results, descriptions, provenance, seed
    )
    _save(folder, files, options["force"])
    journal.remove()
    click.echo(f"{loaded.name}: {replications} paired replications of {len(runs)} variants")
    click.echo("difference in service-hours lost, in millions (95% CI):")
    for row in results:
        paired = row["paired_half_width"] / 1e6
        unpaired = row["unpaired_half_width"] / 1e6
        click.echo(
            f"  {row['variant']:<26} vs {row['against']:<26} {row['mean_difference'] / 1e6:+9.2f}"
            f" ± {paired:.2f} paired  (± {unpaired:.2f} unpaired)"
        )
    click.echo(f"\nWrote {folder}/ ({', '.join(files)})")


@main.command("sweep")
@click.argument("scenario", required=False)
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    help="PATH=V1,V2,... a scenario value to vary, e.g. countries.HST.csirt.analysts=2,6,10 "
    "or parameters.indicator_block=0.2,0.5,0.8 or network.sharing_coverage=0.4,0.8; "
    "repeat for a grid.",
)
@click.option("--variant", help="Apply this variant first (default: none).")
@click.option("-n", "--replications", type=click.IntRange(min=2), default=20, show_default=True)
@_experiment_options
@_out_option("Output folder (default: results/<scenario>-sweep-<timestamp>/).")
@FORCE
def sweep_command(
    scenario: str | None,
    params: tuple[str, ...],
    variant: str | None,
    replications: int,
    out: Path | None,
    **options: Any,
) -> None:
    """Run SCENARIO at every point of a grid of values, with paired replications.

    Writes replications.csv, sweep.csv (mean service-hours lost and its 95% interval per
    point) and sweep.png/.svg (a line plot with the interval as a band).
    """
    from .analysis.experiment import summarise, sweep_grid, sweep_points
    from .report.sweep import sweep_plot

    grid: dict[str, list[Any]] = {}
    for param in params:
        path, sep, values = param.partition("=")
        if not sep or not path.strip() or not values:
            raise click.BadParameter(f"'{param}' is not PATH=V1,V2,...", param_hint="--param")
        if path.strip() in grid:
            raise click.BadParameter(f"'{path.strip()}' given twice", param_hint="--param")
        grid[path.strip()] = [_plain_value(v, param) for v in values.split(",")]
    with _input_errors():
        path_ = resolve_scenario(scenario)
        loaded = load_scenario(path_, **_limits())
    with _input_errors(path_):
        chosen = apply_variant(loaded, variant)
    try:
        points = sweep_points(chosen, grid)
    except VariantError as error:
        _fail(f"error: --param {' --param '.join(params)}: {error}")
    seed = loaded.seed if options["seed"] is None else options["seed"]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _free_folder(out, options["force"], f"{path_.stem}-sweep-{stamp}")
    experiment, journal = _experiment(points, replications, seed, options, folder)
    values = sweep_grid(grid)
    summary = [
        values[s["variant"]] | s | {"contain_mean_hours": c["mean"]}
        for s, c in zip(
            summarise(experiment.rows),
            summarise(experiment.rows, "contain_mean_hours"),
            strict=True,
        )
    ]
    files = _tables(experiment.rows, summary, "sweep.csv")
    files |= sweep_plot(summary, list(grid), loaded.name)
    _save(folder, files, options["force"])
    journal.remove()
    click.echo(f"{loaded.name}: {replications} paired replications at {len(points)} points")
    for row in summary:
        click.echo(
            f"  {row['variant']:<40} {row['mean'] / 1e6:9.2f} M ± {row['half_width'] / 1e6:.2f}"
        )
    click.echo(f"\nWrote {folder}/ ({', '.join(files)})")


def _plain_value(text: str, param: str) -> Any:
    """One --param value: a number, true/false, null or text, as YAML reads a plain scalar;
    lists, mappings and tags are refused (BadParameter)."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if (value is None and text.strip() not in {"null", "~", ""}) or isinstance(value, list | dict):
        raise click.BadParameter(
            f"'{param}': each value must be a number, true/false or text", param_hint="--param"
        )
    return value


@main.command("levers")
@click.argument("scenario", required=False)
@click.option(
    "--variant", help="Audit the scenario with this declared variant applied (default: none)."
)
@click.option("-n", "--replications", type=click.IntRange(min=2), default=60, show_default=True)
@_experiment_options
@_out_option("Output folder (default: results/<scenario>-levers-<timestamp>/).")
@FORCE
def levers_command(
    scenario: str | None,
    variant: str | None,
    replications: int,
    out: Path | None,
    **options: Any,
) -> None:
    """Audit every lever of SCENARIO: does it move the loss, by how much, and if not, why not.

    The levers are each mechanical CBM (adopted by every country: alone against none, and
    marginal: all against all but it) and each CSIRT's analysts (halved and one and a half
    times, against the scenario as given). Each effect is the mean paired difference in
    service-hours lost over common random numbers, in millions and as % of the reference's
    mean, with a 95% bootstrap interval and how many runs it lowered and raised. A lever that
    is not resolved in the direction its mechanism gives it gets a diagnosis in words: what
    the scenario lacks, or which link of its pathway the runs never reached, and about how
    many replications would resolve it.

    Writes levers.csv (one row per comparison), replications.csv (one row per run, with how
    far each pathway was used) and levers.png/.svg. Runs on every core by default; Ctrl-C
    stops cleanly and --resume goes on.
    """
    from .analysis.levers import lever_design, lever_effects
    from .report.levers import levers_plot

    with _input_errors():
        path = resolve_scenario(scenario)
        loaded = load_scenario(path, **_limits())
    with _input_errors(path):
        audited = apply_variant(loaded, variant)
        runs, tests = lever_design(audited)
    seed = loaded.seed if options["seed"] is None else options["seed"]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _free_folder(out, options["force"], f"{path.stem}-levers-{stamp}")
    experiment, journal = _experiment(runs, replications, seed, options, folder)
    effects = lever_effects(audited, tests, experiment.rows)
    named = f"{loaded.name}{f' ({variant})' if variant else ''}"
    title = f"{named}: {replications} paired runs, seed {seed}"
    files = _tables(experiment.rows, [e.row() for e in effects], "levers.csv")
    files |= levers_plot(effects, title)
    _save(folder, files, options["force"])
    journal.remove()
    for line in _lever_lines(title, effects):
        click.echo(line)
    click.echo(f"\nWrote {folder}/ ({', '.join(files)})")


def _lever_lines(title: str, effects: list[Any]) -> list[str]:
    """The audit as a table, then a diagnosis for each lever not resolved as expected."""
    lines = [
        title,
        "Effect on service-hours lost (negative: less loss): mean, and 95% bootstrap interval",
        "",
        "% of the reference's mean: no CBM for 'alone', all but the CBM for 'marginal', the "
        "scenario as given for analysts",
        "",
        f"  {'lever':<20} {'comparison':<20} {'millions':>9} {'%':>8}  {'interval, %':<18}"
        f" {'runs -/+':>9}  verdict",
    ]
    for e in effects:
        interval = f"[{e.percent(e.low):+.2f}, {e.percent(e.high):+.2f}]"
        share = f"{e.percent(e.effect):>+7.2f}%"
        if e.baseline_mean == 0:  # nothing lost: no percentage
            interval, share = "(no loss)", "    n/a"
        mark = "" if e.as_expected else "  *"
        lines.append(
            f"  {e.lever:<20} {e.test:<20} {e.effect / 1e6:>+9.2f} {share}"
            f"  {interval:<18} {e.runs_lower:>4}/{e.runs_higher:<4}  {e.verdict}{mark}"
        )
    odd = [e for e in effects if not e.as_expected]
    if odd:
        lines += ["", "* not resolved in its mechanism's direction, and why:"]
        for e in odd:
            lines.append(f"  {e.lever} ({e.test}): {e.diagnosis}")
    else:
        lines += ["", "Every lever is resolved in the direction its mechanism gives it."]
    return lines


@main.command("generate")
@click.option("--assets", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--countries", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--seed", type=SEED, default=0, show_default=True)
@_out_option("Folder to create (required).")
@FORCE
def generate_command(assets: int, countries: int, seed: int, out: Path | None, force: bool) -> None:
    """Write a synthetic infrastructure model and a scenario that runs on it.

    The folder gets scenario.yaml (countries with CSIRTs, a regional network, campaigns from
    the templates, a few disruptions, variants) naming
    assets.csv and dependencies.csv. Run it with `cyberttx run OUT/scenario.yaml`.
    """
    from .synthetic import synthetic_files

    if out is None:
        raise click.UsageError("Missing option '--out'.")
    files = synthetic_files(assets=assets, countries=countries, seed=seed)
    _save(out, files, force)
    click.echo(f"Wrote {out}/ (scenario.yaml, assets.csv, dependencies.csv)")


@main.command("play")
@click.argument("scenario", required=False)
@click.option("--seed", type=SEED, help="Root seed (default: the scenario's).")
@click.option("--variant", help="Apply a named variant of the scenario first (default: none).")
@click.option(
    "--decisions",
    "decisions_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Replay the decisions recorded in FILE (a decisions.yaml) without prompts.",
)
@click.option(
    "--auto",
    "policy",
    metavar="POLICY",
    help="Decide by a scripted policy without prompts: default, first, last, "
    "prefer:ACTION or avoid:ACTION (e.g. prefer:share_indicators, avoid:share_indicators).",
)
@click.option(
    "--resume",
    "session",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Continue a session saved with 'q' (its .session.yaml) where it stopped.",
)
@_out_option("Output folder (default: results/<scenario>-play-<timestamp>/).")
@FORCE
def play_command(
    scenario: str | None,
    seed: int | None,
    variant: str | None,
    decisions_file: Path | None,
    policy: str | None,
    session: Path | None,
    out: Path | None,
    force: bool,
) -> None:
    """Run SCENARIO as a facilitated exercise.

    Injects are printed as they fall due, and the run pauses after each: press Enter to go
    on, `s` for the status board (assets down, open incidents, CSIRT queues), `j HOURS` to
    jump ahead, `u` to undo the last decision, `q` to save and quit (resume later with
    --resume). At each decision point choose an option by number (Enter takes the default).
    Every decision is logged with scenario and wall-clock time. At the end the folder gets
    the run's records, decisions.yaml (replay it with --decisions) and aar.html, the
    after-action report.
    """
    from .facilitation.decisions import (
        DecisionsError,
        Recorder,
        policy_choice,
        read_decisions,
        write_decisions,
    )
    from .facilitation.play import Console, play

    if sum(x is not None for x in (decisions_file, policy, session)) > 1:
        raise click.UsageError("give at most one of --decisions, --auto and --resume")
    header: dict[str, Any] = {}
    named_there = variant_there = False
    recorded: list[Any] = []
    if decisions_file or session:
        try:
            header, recorded = read_decisions(decisions_file or session)  # type: ignore[arg-type]
        except DecisionsError as error:
            _fail(f"error: {error}")
        named_there = scenario is None and header.get("scenario") is not None
        variant_there = variant is None and header.get("variant") is not None
        scenario = scenario or header.get("scenario")
        for name, given in (("seed", seed), ("variant", variant)):
            if given is not None and header.get(name) not in (None, given):
                click.echo(
                    f"warning: the decisions were recorded with {name} "
                    f"{header[name]}; playing {given} instead",
                    err=True,
                )
        seed = header.get("seed") if seed is None else seed
        variant = header.get("variant") if variant is None else variant
    if named_there and not _is_scenario(scenario):
        _fail(f"{decisions_file or session}: scenario: no scenario file or bundled scenario")
    with _input_errors():
        path = resolve_scenario(scenario)
        try:
            loaded = load_scenario(path, **_limits())
        except ScenarioError as error:
            if not named_there:
                raise
            _fail(f"{decisions_file or session}: scenario: {error.problems[0]}")
    if variant_there and variant not in loaded.variants and variant != "baseline":
        _fail(f"{decisions_file or session}: variant: not a variant of {path}")
    with _input_errors(path):
        chosen = apply_variant(loaded, variant)
        _check_measures(path, {variant: chosen})
    if chosen.exercise is None:
        _fail(f"{path}: exercise: this scenario has no exercise to play (see docs/exercises.md)")
    if header.get("resolved_scenario_sha256") not in (None, chosen.digest()):
        click.echo("warning: the decisions were recorded on a different scenario", err=True)
    used_seed = chosen.seed if seed is None else seed
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _free_folder(out, force, f"{path.stem}-play-{stamp}")
    saved = _beside(folder, ".session.yaml")
    if saved.exists() and session != saved and not force:
        _fail(
            f"error: {saved} holds a saved session; continue it with --resume "
            "(or --force to start again)"
        )
    about = {
        "scenario": str(path),
        "resolved_scenario_sha256": chosen.digest(),
        "seed": used_seed,
        "variant": variant,
    }
    began = time.perf_counter()
    try:
        if decisions_file or policy:
            from .engine.exercise import run_exercise

            fallback = (lambda point, world: policy_choice(policy, point)) if policy else None
            recorder = Recorder(recorded, fallback, f"policy:{policy}" if policy else "default")
            records = run_exercise(chosen, used_seed, recorder)
            taken, undone = recorder.taken, []
        else:

            def ask(text: str) -> str:
                try:
                    return str(click.prompt(text, default="", show_default=False))
                except click.exceptions.Abort:
                    return "q"  # end of input: save rather than lose the session

            stopped = float(header.get("stopped_at", -1))
            console = Console(ask, click.echo)
            outcome = play(chosen, used_seed, console, recorded, stopped, header.get("undone"))
            records, taken, undone = outcome.records, outcome.decisions, outcome.undone
            if records is None:
                data = write_decisions(taken, about | {"stopped_at": outcome.stopped_at}, undone)
                _write(saved, data)
                again = " ".join(["cyberttx play", *([scenario] if scenario else [])])
                click.echo(f"Saved at {outcome.stopped_at:.1f} h. Resume with:")
                click.echo(f"  {again} --resume {saved} --out {folder}")
                return
    except DecisionsError as error:
        _fail(f"error: {decisions_file or session}: {error}")
    result = RunResult(chosen, variant, used_seed, records)
    provenance = _provenance(path, began)
    files = run_files(result, provenance)
    files["decisions.yaml"] = write_decisions(taken, about, undone)
    provenance |= {"seed": used_seed, "variant": variant or "none"}
    files["aar.html"] = _after_action(loaded, result, taken, undone, provenance)
    _save(folder, files, force)
    if session is not None and session == saved:
        session.unlink(missing_ok=True)
    click.echo(_summary(result))
    click.echo(f"\n{len(taken)} decisions taken. Wrote {folder}/ ({', '.join(files)})")


def _after_action(
    loaded: ScenarioFile | Any,
    result: RunResult,
    taken: list[Any],
    undone: list[Any],
    provenance: dict[str, Any],
) -> bytes:
    """The after-action report: the room's run against the same scenario without decisions,
    the baseline variant and the best declared variant, on the same seed."""
    from dataclasses import asdict

    from .report.aar import aar_report

    def metrics_of(scenario: Any) -> dict[str, Any]:
        return run(scenario, seed=result.seed).metrics

    counterfactuals = {"no decisions taken": metrics_of(result.scenario)}
    resolved = {name: apply_variant(loaded, name) for name in loaded.variants}
    variants = {name: metrics_of(scenario) for name, scenario in resolved.items()}
    if "baseline" in resolved and resolved["baseline"].digest() != result.scenario.digest():
        counterfactuals["variant baseline"] = variants["baseline"]
    if variants:
        best = min(variants, key=lambda name: variants[name]["service_hours_lost"])
        counterfactuals[f"best variant: {best}"] = variants[best]
    return aar_report(
        result.scenario,
        result.metrics,
        result.records.events,
        [asdict(d) for d in taken],
        counterfactuals,
        provenance,
        undone=[asdict(d) for d in undone],
    )


@main.group("msel")
def msel_group() -> None:
    """Master Scenario Events List: the exercise's injects as a spreadsheet and back.

    Facilitators draft the timeline in a spreadsheet; `msel import` turns it into the
    `injects:` block of a scenario's `exercise:`, and `msel export` writes a scenario's
    injects for review. A round trip loses nothing.
    """


@msel_group.command("export")
@click.argument("scenario", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    help="File format (default: from the --out suffix, else csv).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: results/<scenario>-msel.<format>).",
)
def msel_export_command(scenario: str | None, fmt: str | None, out: Path | None) -> None:
    """Write the injects of SCENARIO (default: the bundled default) as a MSEL table: sequence,
    time_hours, datetime, type, method, from, to, message, expected_action, objective."""
    from .facilitation.msel import export_msel

    with _input_errors():
        path = resolve_scenario(scenario)
        loaded = load_scenario(path, **_limits())
    suffix = out.suffix.lstrip(".") if out and out.suffix in (".csv", ".xlsx") else None
    if fmt and suffix and fmt != suffix:
        raise click.BadParameter(f"{out} ends in .{suffix}, not .{fmt}", param_hint="--format")
    fmt = fmt or suffix or "csv"
    target = out or Path("results") / f"{path.stem}-msel.{fmt}"
    injects = loaded.exercise.injects if loaded.exercise else ()
    _write(target, export_msel(loaded, fmt))  # type: ignore[arg-type]
    click.echo(f"Wrote {target} ({_count(len(injects), 'inject', 'injects')})")


@msel_group.command("import")
@click.argument("table", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the YAML to this file (default: print it).",
)
def msel_import_command(table: Path, out: Path | None) -> None:
    """Read a MSEL table (.csv or .xlsx) and print its injects as YAML to paste under a
    scenario's `exercise:`. Every bad cell is reported with its line and column (exit 2)."""
    from .facilitation.msel import injects_yaml, read_msel

    with _input_errors(table):
        injects = read_msel(table)
    text = injects_yaml(injects)
    if out is None:
        click.echo(text, nl=False)
        return
    _write(out, text.encode())
    click.echo(f"Wrote {out} ({_count(len(injects), 'inject', 'injects')})", err=True)
