"""The `cyberttx` group, its shared options, and how front-end failures become one line
and exit status 2."""

from __future__ import annotations

import importlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from ..analysis.export import provenance
from ..atomic import FolderExists, NotAFolder, NotOurs, free_folder, write_file, write_folder
from ..errors import InputError, Problem, ScenarioError
from ..gc_pause import freeze_large_loads, gc_paused
from ..schema.resolve import Resolved, resolve
from ..schema.scenario import MAX_ROUTINE_INCIDENTS, MAX_SEED, Scenario
from ..version import __version__

EXIT_INPUT = 2
"""Exit status for input that cannot be used: a malformed scenario, an unknown variant."""
EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C (the shell's convention for SIGINT)."""


def fail(message: str) -> NoReturn:
    """Print `message` on standard error and exit with status 2."""
    click.echo(message, err=True)
    sys.exit(EXIT_INPUT)


@contextmanager
def input_errors(file: object = "error") -> Iterator[None]:
    """Turn errors about the user's input into a short message and exit status 2; `file`
    prefixes messages that do not name one themselves. Any other exception is a bug."""
    try:
        yield
    except ScenarioError as error:
        fail(error.report())
    except InputError as error:
        fail(f"{file}: {error}")


def save(folder: Path, files: dict[str, bytes], force: bool) -> None:
    """Write `files` as `folder`, all or nothing; exit 2 with a short message if the folder
    exists (without `force`) or cannot be written."""
    try:
        write_folder(folder, files, replace=force)
    except OSError as error:
        fail(unwritable(folder, error))


def unwritable(folder: Path, error: OSError) -> str:
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


def output_folder(out: Path | None, force: bool, default: str) -> Path:
    """The output folder, chosen before long work (see `atomic.free_folder`)."""
    try:
        return free_folder(out, force, f"{default}-{datetime.now():%Y%m%d-%H%M%S}")
    except OSError as error:
        fail(unwritable(out or Path(default), error))


def write_one(path: Path, data: bytes) -> None:
    """Write one file atomically; exit 2 with a short message if it cannot be written."""
    try:
        write_file(path, data)
    except OSError as error:
        fail(f"error: cannot write {path}: {error.strerror or error}")


@contextmanager
def hours_bar(hours: float) -> Iterator[Callable[[float], None] | None]:
    """A progress callback that shows a run's simulated hours on stderr once it has taken
    two seconds, on a terminal only (None elsewhere: the run then goes straight through)."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=round(hours, 1), unit="h", delay=2, leave=False, desc="simulated") as bar:
        yield lambda hour: bar.update(round(hour, 1) - bar.n)


def write_scenario_copy(out: Path, text: str) -> Scenario:
    """Write `text`, a scenario file's YAML edited for `out`, once it loads as a valid
    scenario from out's folder; exit 2 naming `out` and every problem otherwise."""
    import yaml

    from ..schema.load import load_scenario

    checked = str(out.parent / "<scenario>")
    try:
        merged = load_scenario(yaml.safe_load(text), base_dir=out.parent, **limits())
    except ScenarioError as error:
        problems = [
            Problem(str(out) if p.file == checked else p.file, p.path, p.message)
            for p in error.problems
        ]
        problems.append(Problem(str(out), "", "not written: the new scenario is invalid"))
        fail(ScenarioError(problems).report())
    write_one(out, text.encode())
    return merged


def out_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The --out option, refusing an empty name."""

    def non_empty(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
        if value is None:
            return None
        if not value.strip():
            raise click.BadParameter("must name a folder")
        path = Path(value)
        if Path.cwd().is_relative_to(os.path.abspath(path)):  # `.`, `..`, `/` ...
            raise click.BadParameter(
                "must name a new folder, not the current one or one holding it"
            )
        return path

    return click.option("--out", callback=non_empty, help=help_text)


class Finite(click.FloatRange):
    """A number in a range, never NaN (which every comparison of FloatRange lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


SEED = click.IntRange(min=0, max=MAX_SEED)
"""A root seed: a whole number from 0 to 2**63 - 1."""

FILE = click.Path(dir_okay=False, path_type=Path)
"""A file path option's type (it may not exist yet)."""

SEED_OPTION = click.option("--seed", type=SEED, help="Root seed (default: the scenario's).")
VARIANT_OPTION = click.option(
    "--variant", help="Apply a named variant of the scenario (default: none)."
)

EXERCISE_SEED = click.option(
    "--seed", type=SEED, help="Root seed (default: the exercise's, else the scenario's)."
)
MSEL_OPTION = click.option(
    "--msel",
    type=FILE,
    help="Play the injects of this MSEL table (.csv or .xlsx, as `msel import` reads it) "
    "instead of the scenario's.",
)

FORCE = click.option(
    "--force",
    is_flag=True,
    help="Replace the output folder if it exists (and an experiment's journal).",
)


COMMAND_MODULES = {
    **dict.fromkeys(("run", "validate", "schema", "list", "graph", "generate"), "scenarios"),
    **dict.fromkeys(("compare", "sweep", "levers", "sensitivity"), "experiments"),
    **dict.fromkeys(("play", "msel", "decisions"), "exercises"),
    "serve": "serve",
    "export": "interop",
    "campaign": "campaigns",
}
"""The module of `sim.cli` that defines each command."""


JOURNAL = "cyberttx.journal"
"""Key of `click.Context.meta` under which an experiment command names its journal."""


NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())
"""What click 8.2 and later raise for a group called without a command (8.1 exits)."""


def _usage_failure(error: click.UsageError) -> NoReturn:
    """A malformed option or argument as one line naming the command, and exit status 2
    (a group called without a command shows its help, as click does)."""
    if isinstance(error, NO_ARGS_IS_HELP):
        error.show()
        sys.exit(error.exit_code)
    command = error.ctx.command_path if error.ctx else "cyberttx"
    fail(f"{command}: {error.format_message()} (see {command} -h)")


class LazyGroup(click.Group):
    """A group whose commands are defined in modules imported when first needed, so that
    `cyberttx run` does not import what `serve` or `compare` use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMAND_MODULES and name not in self.commands:
            importlib.import_module(f"sim.cli.{COMMAND_MODULES[name]}")
        return super().get_command(ctx, name)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as error:  # a bad option of `cyberttx` itself
            _usage_failure(error)

    def invoke(self, ctx: click.Context) -> Any:
        """A malformed option or argument ends with one line naming the command and what is
        wrong (exit 2), not click's usage block. Ctrl-C outside what a command handles itself
        (loading, drawing the report) ends with a line (and, for an experiment, how to
        resume) and the shell's status for it, not click's "Aborted!" and status 1. Outputs
        are written all at once, so nothing is left half-written."""
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # a command's bad option or argument
            _usage_failure(error)
        except KeyboardInterrupt:
            click.echo("\nInterrupted; no output was written.", err=True)
            journal = ctx.meta.get(JOURNAL)
            if journal is not None and Path(journal).exists():
                click.echo(
                    f"The finished runs are kept in {journal}: add --resume to the same "
                    "command to finish without redoing them.",
                    err=True,
                )
            sys.exit(EXIT_INTERRUPTED)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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


def limits() -> dict[str, Any]:
    """What the loader may read and accept: --allow-path folders and --max-events."""
    obj = click.get_current_context().find_root().obj or {}
    return {
        "allowed": tuple(obj.get("allowed", ())),
        "max_events": obj.get("max_events", MAX_ROUTINE_INCIDENTS),
    }


def provenance_of(path: Path, began: float) -> dict[str, Any]:
    """The provenance of a result from `path` whose work began at `began` (perf_counter)."""
    return provenance(path, time.perf_counter() - began, " ".join(["cyberttx", *sys.argv[1:]]))


def resolved_scenario(scenario: str | None, variant: str | None = None) -> Resolved:
    """The scenario the command names, with `variant` applied; exit 2 on bad input."""
    with input_errors(), gc_paused(freeze=True):  # a large load makes few cycles
        resolved = resolve(scenario, **limits())
    with input_errors(resolved.path):
        return resolved.with_variant(variant)
