"""Exercise commands: play, and the MSEL spreadsheet round trip."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..gc_pause import gc_paused
from ..library import resolve_scenario
from ..report.summary import count, run_summary
from ..schema.load import load_scenario
from . import common
from .common import main


@main.command("play")
@click.argument("scenario", required=False)
@common.EXERCISE_SEED
@common.VARIANT_OPTION
@click.option(
    "--decisions",
    "decisions_file_",
    type=common.FILE,
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
    type=common.FILE,
    help="Continue a session saved with 'q' (its .session.yaml) where it stopped.",
)
@common.MSEL_OPTION
@common.out_option("Output folder (default: results/<scenario>-play-<timestamp>/).")
@common.FORCE
def play_command(
    scenario: str | None,
    seed: int | None,
    variant: str | None,
    decisions_file_: Path | None,
    policy: str | None,
    session: Path | None,
    msel: Path | None,
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
    from ..facilitation.decisions import DecisionsError
    from ..facilitation.outputs import exercise_files
    from ..facilitation.play import Console
    from ..facilitation.session import SavedSession, open_session, play_live, replay

    if sum(x is not None for x in (decisions_file_, policy, session)) > 1:
        raise click.UsageError("give at most one of --decisions, --auto and --resume")
    recorded = decisions_file_ or session
    try:
        with common.input_errors(), gc_paused(freeze=True):
            opened = open_session(scenario, variant, seed, recorded, msel, **common.limits())
    except DecisionsError as error:
        common.fail(f"error: {error}")
    for warning in opened.warnings:
        click.echo(f"warning: {warning}", err=True)
    path = opened.resolved.path
    folder = common.output_folder(out, force, f"{path.stem}-play")
    saved = SavedSession.of(folder)
    with common.input_errors():
        saved.check(session, replace=force)
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
        common.fail(f"error: {error}")
    if played.result is None:
        try:
            saved.save(opened, played)
        except OSError as error:
            common.fail(f"error: cannot write {saved.path}: {error.strerror or error}")
        again = " ".join(["cyberttx play", *([scenario] if scenario else [])])
        click.echo(f"Saved at {played.stopped_at:.1f} h. Resume with:")
        click.echo(f"  {again} --resume {saved.path} --out {folder}")
        return
    result = played.result
    with common.input_errors(path):
        files = exercise_files(opened, played, opened.moves, (), common.provenance_of(path, began))
    common.save(folder, files, force)
    saved.finished(session)
    click.echo(run_summary(result))
    click.echo(f"\n{len(played.taken)} decisions taken. Wrote {folder}/ ({', '.join(files)})")


@main.group("msel")
def msel_group() -> None:
    """Master Scenario Events List: the exercise's injects as a spreadsheet and back.

    Facilitators draft the timeline in a spreadsheet; `msel import` reads it (common header
    names, `;`, `,` or tab separators, UTF-8 or Windows-1252) and prints the `injects:` block
    or, with --into, writes a copy of a scenario with them. `msel export` writes a scenario's
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
    "--separator",
    type=click.Choice([",", ";", "tab"]),
    default=",",
    show_default=True,
    help="CSV separator; with ';' (what Spanish or Portuguese Excel expects) hours take a "
    "decimal comma.",
)
@click.option(
    "--out",
    type=common.FILE,
    help="File to write (default: results/<scenario>-msel.<format>).",
)
def msel_export_command(
    scenario: str | None, fmt: str | None, separator: str, out: Path | None
) -> None:
    """Write the injects of SCENARIO (default: the bundled default) as a MSEL table: sequence,
    time_hours, datetime, type, method, from, to, message, expected_action, objective. CSV is
    UTF-8 with a BOM (Excel reads its accents); text a spreadsheet would run as a formula
    starts with '. A scenario without an `exercise:` is refused (exit 2)."""
    from ..facilitation.msel import export_msel

    with common.input_errors():
        path = resolve_scenario(scenario)
        loaded = load_scenario(path, **common.limits())
    suffix = out.suffix.lstrip(".") if out and out.suffix in (".csv", ".xlsx") else None
    if fmt and suffix and fmt != suffix:
        raise click.BadParameter(f"{out} ends in .{suffix}, not .{fmt}", param_hint="--format")
    if loaded.exercise is None:
        common.fail(
            f"error: {path} has no `exercise:`, so no injects to export; draft a table and "
            f"add it with `cyberttx msel import TABLE --into {path} --out NEW.yaml`"
        )
    fmt = fmt or suffix or "csv"
    target = out or Path("results") / f"{path.stem}-msel.{fmt}"
    sep = "\t" if separator == "tab" else separator
    common.write_one(target, export_msel(loaded, fmt, sep))  # type: ignore[arg-type]
    injects = loaded.exercise.injects
    click.echo(f"Wrote {target} ({count(len(injects), 'inject', 'injects')})")


@msel_group.command("import")
@click.argument("table", type=click.Path(path_type=Path))
@click.option(
    "--into",
    metavar="SCENARIO",
    help="Write a copy of SCENARIO (a file or a bundled name) with these injects under "
    "`exercise.injects` to --out; dates in the table are read against its start.",
)
@click.option(
    "--out",
    type=common.FILE,
    help="File to write: the YAML (default: print it), or with --into the new scenario.",
)
@click.option("--force", is_flag=True, help="With --into, replace an existing --out.")
def msel_import_command(table: Path, into: str | None, out: Path | None, force: bool) -> None:
    """Read a MSEL table (.csv or .xlsx) and print its injects as YAML to paste under a
    scenario's `exercise:`, or with --into write the scenario with them. Every bad cell is
    reported with its line and column (exit 2)."""
    from ..facilitation.msel import injects_yaml, read_msel

    if into is not None:
        _import_into(table, into, out, force)
        return
    with common.input_errors(table):
        injects = read_msel(table)
    text = injects_yaml(injects)
    if out is None:
        click.echo(text, nl=False)
        return
    common.write_one(out, text.encode())
    click.echo(f"Wrote {out} ({count(len(injects), 'inject', 'injects')})", err=True)


def _import_into(table: Path, into: str, out: Path | None, force: bool) -> None:
    """msel import TABLE --into SCENARIO --out NEW.yaml: checked, then written atomically."""

    from ..facilitation.msel import scenario_with_msel

    with common.input_errors():
        path = resolve_scenario(into)
        source = load_scenario(path, **common.limits())
    if out is None:
        common.fail(f"error: --into {into} writes a new scenario: give --out NEW.yaml")
    if out.exists() and not force:
        same = out.resolve() == path.resolve()
        what = f"is the scenario {into} itself" if same else "already exists"
        common.fail(f"error: {out} {what}; choose another --out, or --force to replace it")
    if out.is_dir():
        common.fail(f"error: {out} is a folder; --out names the scenario file to write")
    with common.input_errors(table):
        text, injects = scenario_with_msel(path, source, table, out)
    merged = common.write_scenario_copy(out, text)
    assert merged.exercise is not None and merged.exercise.injects == injects
    click.echo(
        f"Wrote {out}: {path.name} with {count(len(injects), 'inject', 'injects')} from {table}"
    )


@msel_group.command("generate")
@click.argument("scenario", required=False)
@common.SEED_OPTION
@common.VARIANT_OPTION
@click.option(
    "--out",
    type=common.FILE,
    help="File to write: .yaml (the `exercise:` block), .csv or .xlsx (the MSEL table); "
    "default: print the YAML.",
)
def msel_generate_command(
    scenario: str | None, seed: int | None, variant: str | None, out: Path | None
) -> None:
    """Draft an exercise for SCENARIO from one simulated run: each significant event (a
    campaign's first impact or detection per country, the heaviest sector outages, the first
    severe incident, assistance, event windows) becomes an inject triggered by the same fact,
    so it can never contradict a run, and decision points come where the levers act. The
    draft is checked against the scenario before it is written. Review and edit it before
    playing: paste the YAML into the scenario, or edit the table and `msel import --into`."""
    from ..facilitation.msel import export_msel
    from ..facilitation.msel_generate import (
        draft_exercise,
        exercise_yaml,
        fuller_seed,
        with_exercise,
    )

    suffix = out.suffix.lower() if out is not None else ".yaml"
    if suffix not in (".yaml", ".yml", ".csv", ".xlsx"):
        common.fail(f"error: --out {out}: write .yaml, .yml, .csv or .xlsx, not '{suffix}'")
    resolved = common.resolved_scenario(scenario, variant)
    with common.input_errors(resolved.path), gc_paused(freeze=True):
        drafted = draft_exercise(resolved.scenario, resolved.seed(seed))
        checked = with_exercise(resolved.path, drafted, **common.limits())
    if suffix in (".csv", ".xlsx"):
        data = export_msel(checked, "csv" if suffix == ".csv" else "xlsx")
    else:
        data = exercise_yaml(drafted).encode()
    what = (
        f"{count(len(drafted.injects), 'inject', 'injects')}, "
        f"{count(len(drafted.decision_points), 'decision point', 'decision points')}"
    )
    if out is None:
        click.echo(data.decode(), nl=False)
        click.echo(f"Drafted {what}: review before playing.", err=True)
    else:
        common.write_one(out, data)
        click.echo(f"Wrote {out} ({what}; seed {resolved.seed(seed)}): review before playing.")
    if len(drafted.decision_points) == 0:
        with gc_paused(freeze=True):
            better = fuller_seed(resolved.scenario, resolved.seed(seed), drafted)
        if better is not None:
            click.echo(
                f"Little happens in the run of seed {resolved.seed(seed)} (no decision point "
                f"to draft): --seed {better} drafts more; give the exercise that seed.",
                err=True,
            )


@main.command("decisions")
@click.argument("scenario", required=False)
@common.EXERCISE_SEED
@common.VARIANT_OPTION
@click.option(
    "-n",
    "--replications",
    type=click.IntRange(min=1, max=1000),
    default=20,
    show_default=True,
    help="Paired replications each option is measured over.",
)
@click.option(
    "--out",
    type=common.FILE,
    help="Also write the table as CSV to this file.",
)
def decisions_command(
    scenario: str | None,
    seed: int | None,
    variant: str | None,
    replications: int,
    out: Path | None,
) -> None:
    """Measure what each decision option of SCENARIO's exercise does to the service-hours
    lost: every option other than its point's default, taken alone, against every point at
    its default, over paired replications (the same random numbers, so the difference is
    the option's own). Beside each, the effect the scenario expects (`expect:` on the
    option) and whether the measure agrees: the table a facilitator checks before running
    an exercise, and the one docs/exercises.md quotes."""
    from tqdm import tqdm

    from ..analysis.decision_effects import decision_effects, runs_per_replication
    from ..report.decision_table import decision_csv, decision_lines

    resolved = common.resolved_scenario(scenario, variant)
    exercise = resolved.scenario.exercise
    if exercise is None or not exercise.decision_points:
        common.fail(f"{resolved.path}: exercise: no decision points to measure")
    root = resolved.scenario.exercise_seed(seed)
    total = replications * runs_per_replication(resolved.scenario)
    with gc_paused(freeze=True), tqdm(total=total, unit="run", leave=False) as bar:
        effects = decision_effects(resolved.scenario, root, replications, bar.update)
    click.echo(
        f"{exercise.title or resolved.scenario.name}: {replications} replications of seed {root}"
    )
    for line in decision_lines(effects, replications):
        click.echo(line)
    if out is not None:
        common.write_one(out, decision_csv(effects, replications))
        click.echo(f"\nWrote {out}")
