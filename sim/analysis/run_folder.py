"""A run's output folder read back: the scenario it ran (checked to be the same file) and
its event log, for exports that describe what happened in a run or a played exercise."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine import kinds
from ..engine.records import EVENT_COLUMNS, Row
from ..errors import InputError, ScenarioError
from ..library import library_root
from ..schema.base import MAX_SEED
from ..schema.defenders import LEVELS
from ..schema.files import read_bytes
from ..schema.resolve import Resolved, resolve
from ..schema.scenario import MAX_ROUTINE_INCIDENTS
from .export import FORMULA_START

MAX_EVENT_ROWS = 5_000_000
"""The most rows an events.csv may hold (a 100,000-asset run writes about 400,000)."""

KNOWN_KINDS = frozenset(kinds.KINDS)
STAGE_KINDS = frozenset(
    (
        kinds.DETECTED,
        kinds.INTRUSION_STOPPED,
        kinds.STAGE_SUCCESS,
        kinds.STAGE_BLOCKED,
        kinds.BLOCK_REASON,
    )
)
"""Kinds whose value is the number of a stage of the row's campaign."""
LEVEL_KINDS = frozenset((kinds.TRIAGED, kinds.RETRIAGED))
"""Kinds whose detail is a severity level."""


class RunFolderError(InputError):
    """A run folder that cannot be read back; the message names the file and field."""


class _RunJson(BaseModel):
    """What an export needs of run.json: which scenario file, variant and seed."""

    model_config = ConfigDict(extra="ignore")
    scenario_file: Annotated[str, Field(min_length=1, max_length=4096)]
    scenario_file_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", alias="resolved_scenario_sha256")]
    variant: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    seed: Annotated[int, Field(ge=0, le=MAX_SEED, strict=True)]


@dataclass(frozen=True)
class RunFolder:
    """A finished run or played exercise: its folder, its scenario (the variant it ran
    applied), its seed and its event log."""

    path: Path
    resolved: Resolved
    seed: int
    events: tuple[Row, ...]


def read_run_folder(
    folder: Path,
    scenario: Path | None = None,
    *,
    allowed: Sequence[Path] = (),
    max_events: int = MAX_ROUTINE_INCIDENTS,
) -> RunFolder:
    """The run `folder` holds (what `cyberttx run` or `play` wrote). Its scenario is the file
    run.json names, or `scenario` for a folder moved from another machine; either must be
    the very file the run read (same SHA-256), which is checked before it is parsed, and
    resolve to the very scenario the run ran (includes, tables and variant: the digest
    run.json records); `allowed` and `max_events` as for `load_scenario`. A play with
    `--msel` ran other injects, so its folder is refused.

    Raises RunFolderError, or ScenarioError for the scenario, naming the file and field.
    """
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: not a folder (give the folder a run or play wrote)")
    run = _run_json(folder / "run.json")
    path = scenario or _named_scenario(folder, run.scenario_file, allowed)
    try:
        data = read_bytes(path, "a scenario file")
    except ScenarioError as error:
        hint = "" if scenario else "; give it with --scenario if the folder was moved"
        raise RunFolderError(f"{error.problems[0]}{hint}") from None
    if hashlib.sha256(data).hexdigest() != run.scenario_file_sha256:
        raise RunFolderError(
            f"{folder / 'run.json'}: scenario_file_sha256: {path} is not the file this run "
            "read (it has changed since, or is another file)"
        )
    resolved = resolve(path, run.variant, allowed=allowed, max_events=max_events)
    ran = next(
        (
            s
            for s in (resolved.scenario, resolved.scenario.as_exercised())
            if s.digest() == run.digest
        ),
        None,
    )
    if ran is None:
        raise RunFolderError(
            f"{folder / 'run.json'}: resolved_scenario_sha256: the scenario as resolved now "
            "(its includes, tables and variant) is not the one this run ran"
        )
    resolved = Resolved(resolved.path, resolved.written, resolved.variant, ran)
    events = tuple(_events(folder / "events.csv", resolved))
    return RunFolder(folder, resolved, run.seed, events)


def _run_json(path: Path) -> _RunJson:
    try:
        data = json.loads(read_bytes(path, "a run.json file", limit=2**20))
    except ScenarioError as error:
        raise RunFolderError(str(error.problems[0])) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RunFolderError(f"{path}: not a run.json file (not JSON)") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: not a run.json file (expected an object)")
    try:
        return _RunJson.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise RunFolderError(
            f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None


def _events(path: Path, resolved: Resolved) -> Iterator[Row]:
    """The rows of events.csv, each checked: a known kind, a finite time within the run,
    countries, assets and campaigns the scenario has, stage numbers of the campaign and
    severity levels."""
    try:
        text = read_bytes(path, "an events.csv file").decode("utf-8")
    except ScenarioError as error:
        raise RunFolderError(str(error.problems[0])) from None
    except UnicodeDecodeError:
        raise RunFolderError(f"{path}: not an events.csv file (not UTF-8)") from None
    try:
        yield from _rows(path, text, resolved)
    except csv.Error as error:
        raise RunFolderError(f"{path}: not an events.csv file ({error})") from None


def _rows(path: Path, text: str, resolved: Resolved) -> Iterator[Row]:
    scenario = resolved.scenario
    known = {
        "country": {c.id for c in scenario.countries},
        "asset": {a.id for a in scenario.assets},
        "campaign": {c.id for c in scenario.campaigns},
    }
    reader = csv.reader(io.StringIO(text, newline=""))
    if next(reader, None) != list(EVENT_COLUMNS):
        raise RunFolderError(f"{path}: line 1: columns are not {', '.join(EVENT_COLUMNS)}")
    stages = {c.id: len(c.stages) for c in scenario.campaigns}
    for line, cells in enumerate(reader, start=2):
        if line > MAX_EVENT_ROWS + 1:
            raise RunFolderError(f"{path}: more than {MAX_EVENT_ROWS:,} rows")
        if len(cells) != len(EVENT_COLUMNS):
            raise RunFolderError(f"{path}: line {line}: {len(cells)} cells, not 8")
        row = Row(
            _number(cells[0], path, line, "time", empty=False),
            cells[1],
            *map(_plain, cells[2:6]),
            _number(cells[6], path, line, "value", empty=True),
            _plain(cells[7]),
        )
        if row.kind not in KNOWN_KINDS:
            raise RunFolderError(f"{path}: line {line}: kind: not an event kind")
        if not 0 <= row.time <= scenario.duration_hours:
            raise RunFolderError(f"{path}: line {line}: time: outside the scenario's hours")
        for column, ids in known.items():
            value = getattr(row, column)
            if value and value not in ids:
                raise RunFolderError(
                    f"{path}: line {line}: {column}: not in the scenario {resolved.path.name}"
                )
        if row.kind in LEVEL_KINDS and row.detail not in LEVELS:
            raise RunFolderError(f"{path}: line {line}: detail: not a severity level")
        if row.kind in STAGE_KINDS and not (
            row.campaign and row.value.is_integer() and 0 <= row.value < stages[row.campaign]
        ):
            raise RunFolderError(f"{path}: line {line}: value: not a stage of its campaign")
        yield row


SCENARIO_SUFFIXES = (".yaml", ".yml")


def _named_scenario(folder: Path, named: str, allowed: Sequence[Path]) -> Path:
    """The scenario file run.json names, if it may be read: a YAML file under the current
    folder, the bundled library or an `allowed` folder. Judged on the name before anything
    is read or even looked up, so that a run.json from elsewhere cannot have another file
    read, nor learn whether one exists."""
    path = Path(os.path.abspath(named))
    roots = [Path.cwd(), library_root(), *(Path(os.path.abspath(a)) for a in allowed)]
    if path.suffix.lower() in SCENARIO_SUFFIXES and any(path.is_relative_to(r) for r in roots):
        return path
    raise RunFolderError(
        f"{folder / 'run.json'}: scenario_file: not a YAML file under the current folder, the "
        "bundled library or an --allow-path folder; give the scenario with --scenario FILE"
    )


def _plain(cell: str) -> str:
    """A text cell as the run held it (undoing the "'" that neutralised a formula)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


def _number(cell: str, path: Path, line: int, column: str, *, empty: bool) -> float:
    if not cell and empty:
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise RunFolderError(f"{path}: line {line}: {column}: not a number") from None
    if not math.isfinite(value):
        raise RunFolderError(f"{path}: line {line}: {column}: not a finite number")
    return value
