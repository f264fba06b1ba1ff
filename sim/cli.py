"""The `cyberttx` command: parse arguments, call the library, print. Nothing else.

Each command is a few calls into the library (`sim.schema.resolve`, `sim.analysis.designs`,
`sim.analysis.study`, `sim.facilitation.session`, `sim.report.summary` ...), which a notebook
can make with the same results.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .analysis.export import experiment_tables, provenance, run_files
from .analysis.result import run_applied
from .atomic import FolderExists, NotAFolder, NotOurs, beside, free_folder, write_file, write_folder
from .errors import InputError, ScenarioError
from .gc_pause import freeze_large_loads
from .library import DEFAULT_SCENARIO, list_scenarios, resolve_scenario
from .report.summary import comparison_lines, count, lever_lines, run_summary, sweep_lines
from .schema.load import load_model_or_scenario, load_scenario
from .schema.resolve import Resolved, resolve
from .schema.scenario import (
    MAX_ROUTINE_INCIDENTS,
    MAX_SEED,
    InfrastructureModel,
    ScenarioFile,
)
from .schema.variants import apply_variant
from .version import __version__

if TYPE_CHECKING:
    from .analysis.executors import UnorderedMap
    from .analysis.experiment import Experiment
    from .analysis.study import Study

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
    prefixes messages that do not name one themselves. Any other exception is a bug."""
    try:
        yield
    except ScenarioError as error:
        _fail(error.report())
    except InputError as error:
        _fail(f"{file}: {error}")


def _save(folder: Path, files: dict[str, bytes], force: bool) -> None:
    """Write `files` as `folder`, all or nothing; exit 2 with a short message if the folder
    exists (without `force`) or cannot be written."""
    try:
        write_folder(folder, files, replace=force)
    except OSError as error:
        _fail(_unwritable(folder, error))


def _unwritable(folder: Path, error: OSError) -> str:
    """Why `folder` cannot be the output, and what to do."""
    if isinstance(error, NotOurs):
        return (
            f"error: {folder} holds files cyberttx did not write; --force replaces only its "
            "own output folders: choose another --out"
        )
    if isinstance(error, FolderExists):
        return f"error: {folder} already exists and is not empty; choose another --out, or --force"
    if isinstance(error, NotAFolder):
        return f"error: {folder} is a file, not a folder; choose another --out"
    return f"error: cannot write {folder}: {error.strerror or error}"


def _folder(out: Path | None, force: bool, default: str) -> Path:
    """The output folder, chosen before long work (see `atomic.free_folder`)."""
    try:
        return free_folder(out, force, f"{default}-{datetime.now():%Y%m%d-%H%M%S}")
    except OSError as error:
        _fail(_unwritable(out or Path(default), error))


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
    return provenance(path, time.perf_counter() - began, " ".join(["cyberttx", *sys.argv[1:]]))


def _resolved(scenario: str | None, variant: str | None = None) -> Resolved:
    """The scenario the command names, with `variant` applied; exit 2 on bad input."""
    with _input_errors():
        resolved = resolve(scenario, **_limits())
    with _input_errors(resolved.path):
        return resolved.with_variant(variant)


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
    resolved = _resolved(scenario, variant)
    began = time.perf_counter()
    result = run_applied(resolved.scenario, resolved.variant, seed)
    folder = _folder(out, force, resolved.path.stem)
    _save(folder, run_files(result, _provenance(resolved.path, began)), force)
    click.echo(run_summary(result))
    click.echo(f"\nWrote {folder}/ (events.csv, series.csv, metrics.json, run.json)")


@main.command("validate")
@click.argument("files", nargs=-1, required=True)
def validate_command(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print OK or every problem with its file and field path.

    Exit status 0 when every file is valid, 2 otherwise.
    """
    from .facilitation.session import check_measures

    failed = False
    for name in files:
        try:
            path = resolve_scenario(name)
            scenario = load_model_or_scenario(path, **_limits())
            if scenario.exercise is not None and scenario.exercise.objectives:
                variants = {v: apply_variant(scenario, v) for v in scenario.variants}
                check_measures(path, {None: scenario} | variants)
        except InputError as error:
            failed = True
            click.echo(error.report() if isinstance(error, ScenarioError) else str(error), err=True)
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


def _run_study(study: Study, folder: Path, options: dict[str, Any]) -> Experiment:
    """Run `study` on the executor the options ask for, with a progress bar; on Ctrl-C, say
    how to resume and exit 130."""
    from .analysis.executors import ExecutorUnavailable, executor_for
    from .analysis.study import Interrupted

    for label in study.changed:
        click.echo(f"Variant {label} changed since the journal was written: redoing it.", err=True)
    if options["resume"] and study.journal is not None and not study.journal.exists():
        click.echo(f"Nothing to resume at {study.journal}; starting afresh.", err=True)
    if study.reused:
        click.echo(
            f"Resuming: {len(study.reused)} of {study.total} runs already done ({study.journal})",
            err=True,
        )
    try:
        executor = executor_for(options["workers"], options["dask_local"], options["scheduler"])
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        with executor as pool:
            return study.run(_progress(pool, len(study.reused)))
    except Interrupted as stop:
        click.echo(
            f"\nInterrupted: {stop.kept} finished runs are kept in {study.journal}.\n"
            f"Continue with the same command and: --out {folder} --resume"
            if stop.kept
            else "\nInterrupted before any run finished; nothing to keep.",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    except ExecutorUnavailable as error:
        _fail(f"error: {error}")
    except OSError as error:
        _fail(f"error: cannot write {study.journal}: {error.strerror or error}")


def _study(
    runs: dict[str, Any], replications: int, seed: int, folder: Path, options: dict[str, Any]
) -> Study:
    """The experiment's study, journalled beside `folder`; exit 2 if its journal is in the
    way or cannot be resumed."""
    from .analysis.study import Study

    journal = beside(folder, ".journal.jsonl")
    hint = "; run without --resume and with --force to start again"
    try:
        return Study(runs, replications, seed, journal, options["resume"], options["force"])
    except ScenarioError as error:
        _fail(f"error: {error.problems[0]}{hint}")
    except InputError as error:
        _fail(f"error: {error}" + ("" if "--force" in str(error) else hint))


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


def _provenance_of(resolved: Resolved, began: float, options: dict[str, Any]) -> dict[str, Any]:
    from .analysis.executors import executor_name

    where = executor_name(options["workers"], options["dask_local"], options["scheduler"])
    return _provenance(resolved.path, began) | {"executor": where}


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
    from .analysis.designs import DesignError, ablation_design, variants_design
    from .analysis.experiment import attribution, compare
    from .report.experiment_report import experiment_report

    resolved = _resolved(scenario)
    names = None if variants is None else [v.strip() or None for v in variants.split(",")]
    try:
        with _input_errors(resolved.path):
            if cbm_ablation_flag:
                first = names[0] if names else None
                design = ablation_design(resolved.with_variant(first).scenario)
            else:
                design = variants_design(resolved.written, names)
    except DesignError as error:
        raise click.BadParameter(str(error), param_hint="--variants") from None
    seed = resolved.seed(options["seed"])
    folder = _folder(out, options["force"], f"{resolved.path.stem}-compare")
    began = time.perf_counter()
    study = _study(design.runs, replications, seed, folder, options)
    experiment = _run_study(study, folder, options)
    rows = experiment.rows
    results = attribution(rows) if cbm_ablation_flag else compare(rows)
    files = experiment_tables(rows, results, "comparison.csv") | experiment_report(
        resolved.written,
        design.runs,
        experiment,
        results,
        design.descriptions,
        _provenance_of(resolved, began, options),
        seed,
    )
    _save(folder, files, options["force"])
    study.finish()
    title = f"{resolved.written.name}: {replications} paired replications of {len(design.runs)}"
    for line in comparison_lines(title + " variants", results):
        click.echo(line)
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
    from .analysis.designs import sweep_design
    from .analysis.experiment import summarise, sweep_grid
    from .report.sweep import sweep_plot

    grid: dict[str, list[Any]] = {}
    for param in params:
        path, sep, values = param.partition("=")
        if not sep or not path.strip() or not values:
            raise click.BadParameter(f"'{param}' is not PATH=V1,V2,...", param_hint="--param")
        if path.strip() in grid:
            raise click.BadParameter(f"'{path.strip()}' given twice", param_hint="--param")
        grid[path.strip()] = [_plain_value(v, param) for v in values.split(",")]
    resolved = _resolved(scenario, variant)
    with _input_errors(f"error: --param {' --param '.join(params)}"):
        design = sweep_design(resolved.scenario, grid)
    seed = resolved.seed(options["seed"])
    folder = _folder(out, options["force"], f"{resolved.path.stem}-sweep")
    study = _study(design.runs, replications, seed, folder, options)
    experiment = _run_study(study, folder, options)
    values = sweep_grid(grid)
    summary = [
        values[s["variant"]] | s | {"contain_mean_hours": c["mean"]}
        for s, c in zip(
            summarise(experiment.rows),
            summarise(experiment.rows, "contain_mean_hours"),
            strict=True,
        )
    ]
    name = resolved.written.name
    files = experiment_tables(experiment.rows, summary, "sweep.csv")
    files |= sweep_plot(summary, list(grid), name)
    _save(folder, files, options["force"])
    study.finish()
    title = f"{name}: {replications} paired replications at {len(design.runs)} points"
    for line in sweep_lines(title, summary):
        click.echo(line)
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

    resolved = _resolved(scenario, variant)
    with _input_errors(resolved.path):
        runs, tests = lever_design(resolved.scenario)
    seed = resolved.seed(options["seed"])
    folder = _folder(out, options["force"], f"{resolved.path.stem}-levers")
    study = _study(runs, replications, seed, folder, options)
    experiment = _run_study(study, folder, options)
    effects = lever_effects(resolved.scenario, tests, experiment.rows)
    named = f"{resolved.written.name}{f' ({variant})' if variant else ''}"
    title = f"{named}: {replications} paired runs, seed {seed}"
    files = experiment_tables(experiment.rows, [e.row() for e in effects], "levers.csv")
    files |= levers_plot(effects, title)
    _save(folder, files, options["force"])
    study.finish()
    for line in lever_lines(title, effects):
        click.echo(line)
    click.echo(f"\nWrote {folder}/ ({', '.join(files)})")


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
    "decisions_file_",
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
    decisions_file_: Path | None,
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
    from .facilitation.decisions import DecisionsError
    from .facilitation.play import Console
    from .facilitation.session import decisions_file, open_session, play_live, replay
    from .report.aar import after_action_report

    if sum(x is not None for x in (decisions_file_, policy, session)) > 1:
        raise click.UsageError("give at most one of --decisions, --auto and --resume")
    recorded = decisions_file_ or session
    try:
        with _input_errors():
            opened = open_session(scenario, variant, seed, recorded, **_limits())
    except DecisionsError as error:
        _fail(f"error: {error}")
    for warning in opened.warnings:
        click.echo(f"warning: {warning}", err=True)
    path = opened.resolved.path
    folder = _folder(out, force, f"{path.stem}-play")
    saved = beside(folder, ".session.yaml")
    if saved.exists() and session != saved and not force:
        _fail(
            f"error: {saved} holds a saved session; continue it with --resume "
            "(or --force to start again)"
        )
    began = time.perf_counter()

    def ask(text: str) -> str:
        try:
            return str(click.prompt(text, default="", show_default=False))
        except click.exceptions.Abort:
            return "q"  # end of input: save rather than lose the session

    try:
        if decisions_file_ or policy:
            played = replay(opened, policy)
        else:
            played = play_live(opened, Console(ask, click.echo))
    except DecisionsError as error:
        _fail(f"error: {error}")
    if played.result is None:
        _write(saved, decisions_file(opened, played))
        again = " ".join(["cyberttx play", *([scenario] if scenario else [])])
        click.echo(f"Saved at {played.stopped_at:.1f} h. Resume with:")
        click.echo(f"  {again} --resume {saved} --out {folder}")
        return
    result = played.result
    about = _provenance(path, began)
    files = run_files(result, about)
    files["decisions.yaml"] = decisions_file(opened, played)
    about |= {"seed": result.seed, "variant": result.variant or "none"}
    with _input_errors(path):
        files["aar.html"] = after_action_report(
            opened.resolved.written, result, played.taken, played.undone, about
        )
    _save(folder, files, force)
    if session is not None and session == saved:
        session.unlink(missing_ok=True)
    click.echo(run_summary(result))
    click.echo(f"\n{len(played.taken)} decisions taken. Wrote {folder}/ ({', '.join(files)})")


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
    click.echo(f"Wrote {target} ({count(len(injects), 'inject', 'injects')})")


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
    click.echo(f"Wrote {out} ({count(len(injects), 'inject', 'injects')})", err=True)
