"""Exercise commands: play, and the MSEL spreadsheet round trip."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..analysis.export import run_files
from ..atomic import beside
from ..gc_pause import gc_paused
from ..library import resolve_scenario
from ..report.summary import count, run_summary
from ..schema.load import load_scenario
from . import common
from .common import main


@main.command("play")
@click.argument("scenario", required=False)
@common.SEED_OPTION
@common.VARIANT_OPTION
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
@common.out_option("Output folder (default: results/<scenario>-play-<timestamp>/).")
@common.FORCE
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
    from ..facilitation.decisions import DecisionsError
    from ..facilitation.play import Console
    from ..facilitation.session import decisions_file, open_session, play_live, replay
    from ..report.aar import after_action_report

    if sum(x is not None for x in (decisions_file_, policy, session)) > 1:
        raise click.UsageError("give at most one of --decisions, --auto and --resume")
    recorded = decisions_file_ or session
    try:
        with common.input_errors(), gc_paused(freeze=True):
            opened = open_session(scenario, variant, seed, recorded, **common.limits())
    except DecisionsError as error:
        common.fail(f"error: {error}")
    for warning in opened.warnings:
        click.echo(f"warning: {warning}", err=True)
    path = opened.resolved.path
    folder = common.output_folder(out, force, f"{path.stem}-play")
    saved = beside(folder, ".session.yaml")
    if saved.exists() and session != saved and not force:
        common.fail(
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
        common.fail(f"error: {error}")
    if played.result is None:
        common.write_one(saved, decisions_file(opened, played))
        again = " ".join(["cyberttx play", *([scenario] if scenario else [])])
        click.echo(f"Saved at {played.stopped_at:.1f} h. Resume with:")
        click.echo(f"  {again} --resume {saved} --out {folder}")
        return
    result = played.result
    about = common.provenance_of(path, began)
    files = run_files(result, about)
    files["decisions.yaml"] = decisions_file(opened, played)
    about |= {"seed": result.seed, "variant": result.variant or "none"}
    with common.input_errors(path):
        files["aar.html"] = after_action_report(
            opened.resolved.written, result, played.taken, played.undone, about
        )
    common.save(folder, files, force)
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
    from ..facilitation.msel import export_msel

    with common.input_errors():
        path = resolve_scenario(scenario)
        loaded = load_scenario(path, **common.limits())
    suffix = out.suffix.lstrip(".") if out and out.suffix in (".csv", ".xlsx") else None
    if fmt and suffix and fmt != suffix:
        raise click.BadParameter(f"{out} ends in .{suffix}, not .{fmt}", param_hint="--format")
    fmt = fmt or suffix or "csv"
    target = out or Path("results") / f"{path.stem}-msel.{fmt}"
    injects = loaded.exercise.injects if loaded.exercise else ()
    common.write_one(target, export_msel(loaded, fmt))  # type: ignore[arg-type]
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
    from ..facilitation.msel import injects_yaml, read_msel

    with common.input_errors(table):
        injects = read_msel(table)
    text = injects_yaml(injects)
    if out is None:
        click.echo(text, nl=False)
        return
    common.write_one(out, text.encode())
    click.echo(f"Wrote {out} ({count(len(injects), 'inject', 'injects')})", err=True)
