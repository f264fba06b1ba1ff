"""Experiment commands: compare, sweep, levers, each a resumable study on an executor."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..analysis.executors import MAX_WORKERS
from ..analysis.journal import MAX_BATCH_RUNS
from ..analysis.sensitivity import MAX_SAMPLES
from ..atomic import beside
from ..errors import InputError, ScenarioError
from ..report.summary import (
    attribution_lines,
    comparison_lines,
    lever_lines,
    sensitivity_lines,
    sweep_lines,
)
from ..schema.resolve import Resolved

if TYPE_CHECKING:
    from ..analysis.experiment import Experiment
    from ..analysis.study import Study

from . import common
from .common import main


def _run_study(study: Study, folder: Path, options: dict[str, Any]) -> Experiment:
    """Run `study` on the executor the options ask for, with a progress bar (and the time
    left) on standard error; on Ctrl-C, say how to resume and exit 130."""
    from tqdm import tqdm

    from ..analysis.executors import ExecutorUnavailable, executor_for
    from ..analysis.study import Interrupted

    for label in study.changed:
        click.echo(f"Variant {label} changed since the journal was written: redoing it.", err=True)
    if options["resume"] and study.journal is not None and not study.journal.exists():
        click.echo(f"Nothing to resume at {study.journal}; starting afresh.", err=True)
    elif options["resume"] and study.journal is not None and not study.reused:
        click.echo(
            f"No finished run of this experiment could be read from {study.journal}; "
            "starting afresh.",
            err=True,
        )
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
        with (
            executor as pool,
            tqdm(total=study.total, initial=len(study.reused), unit="run", leave=False) as bar,
        ):
            return study.run(pool, options["chunk"], bar.update)
    except Interrupted as stop:
        click.echo(
            f"\nInterrupted: {stop.kept} finished runs are kept in {study.journal}.\n"
            f"Continue with the same command and: --out {folder} --resume"
            if stop.kept
            else "\nInterrupted before any run finished; nothing to keep.",
            err=True,
        )
        sys.exit(common.EXIT_INTERRUPTED)
    except ExecutorUnavailable as error:
        common.fail(f"error: {error}")
    except OSError as error:
        common.fail(f"error: cannot write {study.journal}: {error.strerror or error}")


def _finish(
    study: Study, folder: Path, files: dict[str, bytes], options: dict[str, Any], lines: list[str]
) -> None:
    """Write the experiment's files, drop its journal, and print its results and files."""
    common.save(folder, files, options["force"])
    study.finish()
    for line in lines:
        click.echo(line)
    click.echo(f"\nWrote {folder}/ ({', '.join(files)})")


def _study(
    runs: dict[str, Any], replications: int, seed: int, folder: Path, options: dict[str, Any]
) -> Study:
    """The experiment's study, journalled beside `folder`; exit 2 if its journal is in the
    way or cannot be resumed."""
    from ..analysis.study import Study

    journal = beside(folder, ".journal.jsonl")
    click.get_current_context().meta[common.JOURNAL] = journal
    hint = "; run without --resume and with --force to start again"
    try:
        return Study(runs, replications, seed, journal, options["resume"], options["force"])
    except ScenarioError as error:
        common.fail(f"error: {error.problems[0]}{hint}")
    except InputError as error:
        common.fail(f"error: {error}" + ("" if "--force" in str(error) else hint))


def replications_option(default: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """-n: replications of each variant, paired, at least 2 (for an interval)."""
    return click.option(
        "-n",
        "--replications",
        type=click.IntRange(min=2),
        default=default,
        show_default=True,
        help="Replications of each variant (paired: replication r of every variant meets the "
        "same attacker and recoveries).",
    )


def _experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options every experiment command shares: replications, seed, where to run and in
    what tasks, resuming."""
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
            type=click.IntRange(1, MAX_WORKERS),
            metavar="N",
            help="Run on a local Dask cluster of N worker processes started for the run.",
        ),
        click.option(
            "--chunk",
            type=click.IntRange(min=1, max=MAX_BATCH_RUNS),
            metavar="N",
            help="Replications of one variant per task sent to a worker (default: chosen from "
            "the replications and the workers, so that each worker gets several tasks). "
            "Results are identical whatever the chunk.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(1, MAX_WORKERS),
            help="Local processes to run replications in (default: all cores). Results are "
            "identical whatever the executor.",
        ),
        common.SEED_OPTION,
    ]
    for option in options:
        function = option(function)
    return function


def _provenance_of(resolved: Resolved, began: float, options: dict[str, Any]) -> dict[str, Any]:
    from ..analysis.executors import executor_name

    where = executor_name(options["workers"], options["dask_local"], options["scheduler"])
    return common.provenance_of(resolved.path, began) | {"executor": where}


@main.command("compare")
@click.argument("scenario", required=False)
@click.option(
    "--variants",
    help="Comma-separated variants; the first is the reference (default: the scenario as "
    "written, then every declared variant).",
)
@replications_option(30)
@_experiment_options
@click.option(
    "--cbm-ablation",
    "cbm_ablation_flag",
    is_flag=True,
    help="Instead: no CBMs, each CBM alone, all but one, and all, adopted by every country, on "
    "the scenario with the first of --variants applied; reports each CBM's effect alone and "
    "its marginal effect.",
)
@common.out_option("Output folder (default: results/<scenario>-compare-<timestamp>/).")
@common.FORCE
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
    from ..analysis.designs import DesignError, comparison_design
    from ..report.experiment_report import comparison_files

    resolved = common.resolved_scenario(scenario)
    names = None if variants is None else [v.strip() or None for v in variants.split(",")]
    with common.input_errors(resolved.path):
        try:
            design = comparison_design(resolved, names, cbm_ablation_flag)
        except DesignError as error:
            if variants is None:  # nothing was asked: the scenario is what lacks variants
                common.fail(f"{resolved.path}: variants: {error}")
            raise click.BadParameter(str(error), param_hint="--variants") from None
    seed = resolved.seed(options["seed"])
    folder = common.output_folder(out, options["force"], f"{resolved.path.stem}-compare")
    began = time.perf_counter()
    study = _study(design.runs, replications, seed, folder, options)
    experiment = _run_study(study, folder, options)
    provenance = _provenance_of(resolved, began, options)
    table, files = comparison_files(
        resolved.written, design, experiment, cbm_ablation_flag, provenance, seed
    )
    title = f"{resolved.written.name}: {replications} paired replications of {len(design.runs)}"
    lines = attribution_lines if cbm_ablation_flag else comparison_lines
    _finish(study, folder, files, options, lines(title + " variants", table))


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
@replications_option(20)
@_experiment_options
@common.out_option("Output folder (default: results/<scenario>-sweep-<timestamp>/).")
@common.FORCE
def sweep_command(
    scenario: str | None,
    params: tuple[str, ...],
    variant: str | None,
    replications: int,
    out: Path | None,
    **options: Any,
) -> None:
    """Run SCENARIO at every point of a grid of values, with paired replications.

    Writes replications.csv (and .parquet with pyarrow), sweep.csv (mean service-hours lost
    and its 95% interval per point) and sweep.png/.svg (a line plot with the interval as a
    band).
    """
    from ..analysis.designs import DesignError, parse_grid, sweep_design
    from ..report.sweep import sweep_files

    try:
        grid = parse_grid(params)
    except DesignError as error:
        raise click.BadParameter(str(error), param_hint="--param") from None
    resolved = common.resolved_scenario(scenario, variant)
    with common.input_errors(f"error: --param {' --param '.join(params)}"):
        design = sweep_design(resolved.scenario, grid)
    seed = resolved.seed(options["seed"])
    folder = common.output_folder(out, options["force"], f"{resolved.path.stem}-sweep")
    study = _study(design.runs, replications, seed, folder, options)
    experiment = _run_study(study, folder, options)
    name = resolved.written.name
    summary, files = sweep_files(grid, experiment, name)
    title = f"{name}: {replications} paired replications at {len(design.runs)} points"
    _finish(study, folder, files, options, sweep_lines(title, summary))


@main.command("levers")
@click.argument("scenario", required=False)
@click.option(
    "--variant", help="Audit the scenario with this declared variant applied (default: none)."
)
@replications_option(60)
@_experiment_options
@common.out_option("Output folder (default: results/<scenario>-levers-<timestamp>/).")
@common.FORCE
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

    Writes levers.csv (one row per comparison), replications.csv (and .parquet with pyarrow;
    one row per run, with how far each pathway was used) and levers.png/.svg. Runs on every
    core by default; Ctrl-C stops cleanly and --resume goes on.
    """
    from ..analysis.levers import lever_design, lever_effects
    from ..report.levers import lever_files

    resolved = common.resolved_scenario(scenario, variant)
    with common.input_errors(resolved.path):
        runs, tests = lever_design(resolved.scenario)
    seed = resolved.seed(options["seed"])
    folder = common.output_folder(out, options["force"], f"{resolved.path.stem}-levers")
    study = _study(runs, replications, seed, folder, options)
    experiment = _run_study(study, folder, options)
    effects = lever_effects(resolved.scenario, tests, experiment.rows)
    named = f"{resolved.written.name}{f' ({variant})' if variant else ''}"
    title = f"{named}: {replications} paired runs, seed {seed}"
    files = lever_files(effects, experiment, title)
    _finish(study, folder, files, options, lever_lines(title, effects))


@main.command("sensitivity")
@click.argument("scenario", required=False)
@click.option(
    "--variant",
    help="The declared variant whose effect is judged, e.g. all_cbms (default: every "
    "mechanical CBM adopted by every country, judged against no CBM at all).",
)
@click.option(
    "--against",
    help="The declared variant it is compared with (default: the scenario as written; "
    "without --variant, the variant both start from).",
)
@click.option(
    "--method",
    type=click.Choice(["morris", "sobol"]),  # sensitivity.METHODS, not imported at startup
    default="morris",
    show_default=True,
    help="Morris screening (cheap: which assumptions matter) or Sobol indices (how much).",
)
@click.option(
    "--samples",
    type=click.IntRange(2, MAX_SAMPLES),
    help="Morris trajectories (default 10) or Sobol base samples (a power of two, default "
    "64); the runs are samples x (assumptions + 1) for Morris, x (assumptions + 2) for Sobol, "
    "times 2 x replications.",
)
@click.option(
    "--range",
    "ranges",
    multiple=True,
    metavar="PATH=LOW,HIGH",
    help="Vary PATH over LOW to HIGH (repeatable; replaces the default ranges). PATH is "
    "dotted as in a variant, e.g. countries.HST.csirt.analysts=2,8 (a whole-number value is "
    "rounded for each run; samples.csv shows the values sampled).",
)
@click.option(
    "--ranges",
    "ranges_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="A YAML file mapping each PATH to [LOW, HIGH] (replaces the default ranges; --range "
    "adds to it). Without either, every effect size of docs/cbms.md and the network's rates "
    "vary from half to one and a half times their value.",
)
@click.option(
    "-n",
    "--replications",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Replications at each sampled point, common to the variant and its reference.",
)
@_experiment_options
@common.out_option("Output folder (default: results/<scenario>-sensitivity-<timestamp>/).")
@common.FORCE
def sensitivity_command(
    scenario: str | None,
    variant: str,
    against: str | None,
    method: str,
    samples: int | None,
    ranges: tuple[str, ...],
    ranges_path: Path | None,
    replications: int,
    out: Path | None,
    **options: Any,
) -> None:
    """How robust is a variant's effect to the model's assumptions?

    By default the variant is every mechanical CBM adopted by every country, judged against
    no CBM at all ("all CBMs lower loss"); --variant judges a declared variant instead.
    Samples the assumptions over their ranges (SALib), runs VARIANT and its reference at each
    point on the same replications, and reports the share of the assumption space where
    VARIANT lowers mean service-hours lost, the distribution of its % effect, and which
    assumptions it hinges on. Writes report.html, sensitivity.csv (indices), samples.csv (each
    point's values and effect), replications.csv (and .parquet with pyarrow) and the
    figures. Runs on every core by default, or on Dask; Ctrl-C stops cleanly and --resume
    goes on.
    """
    from ..analysis import sensitivity as study_of
    from ..report.sensitivity import sensitivity_files, sensitivity_title

    began = time.perf_counter()
    resolved = common.resolved_scenario(scenario, against)
    try:
        given = [study_of.parse_range(text) for text in ranges]
        study_of.check(resolved.scenario, given)
    except study_of.SensitivityError as error:
        raise click.BadParameter(str(error), param_hint="--range") from None
    if ranges_path is not None:
        with common.input_errors(ranges_path):
            from_file = study_of.ranges_file(ranges_path)
            study_of.check(resolved.scenario, from_file)
        given = from_file + given
    seed = resolved.seed(options["seed"])
    with common.input_errors():  # its errors name the option (the ranges are checked)
        design = study_of.sensitivity_design(
            resolved.scenario, resolved.written.variants, variant, seed, given, method, samples
        )
    folder = common.output_folder(out, options["force"], f"{resolved.path.stem}-sensitivity")
    points = len(design.x)
    click.echo(f"{points} points x 2 runs x {replications} replications", err=True)
    study = _study(design.runs, replications, seed, folder, options)
    experiment = _run_study(study, folder, options)
    outcome = study_of.sensitivity_outcome(design, experiment.rows)
    title = sensitivity_title(resolved.written.name, design, against)
    provenance = _provenance_of(resolved, began, options)
    files = sensitivity_files(title, design, outcome, experiment, replications, provenance)
    lines = sensitivity_lines(title, method, outcome.indices, outcome.held, points)
    _finish(study, folder, files, options, lines)
