"""The Master Scenario Events List (MSEL): a scenario's injects as a CSV or XLSX table that
facilitators draft in a spreadsheet, and back again. Export then import loses nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from ..schema.exercise import Inject
from ..schema.files import read_bytes
from ..schema.load import line_path, read_csv, validation_problems
from ..schema.scenario import Scenario

MSEL_COLUMNS = (
    "sequence",
    "time_hours",
    "datetime",
    "type",
    "method",
    "from",
    "to",
    "message",
    "expected_action",
    "objective",
)
"""The columns of an MSEL, in order (HSEEP style); `datetime` is informational only."""

_INFORMATIONAL = "datetime"
_REQUIRED = ("sequence", "time_hours", "from", "to", "message")
_TEXT = ("type", "method", "from", "to", "message", "expected_action", "objective")
_EMPTY_IS_TEXT = ("from", "to", "message")
"""Required text fields, for which an empty cell is the empty string."""
_WIDTHS = {"datetime": 26, "from": 22, "to": 22, "message": 60, "expected_action": 40}
_WRAPPED = ("message", "expected_action")
_FORMULA_START = "=+-@"
"""First characters that make a spreadsheet read typed text as a formula."""

# OOXML escapes characters XML cannot carry as _xHHHH_; a literal "_xHHHH_" escapes its '_'.
# Carriage returns are escaped too, since XML parsers turn them into line feeds.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_XML_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")

_Cells = Sequence[object]


def _when(start: datetime, hours: float) -> str:
    """The wall-clock time of scenario hour `hours`, ISO 8601 with offset ('' if out of range)."""
    try:
        return (start + timedelta(hours=hours)).isoformat(timespec="seconds")
    except OverflowError:
        return ""


def _rows(scenario: Scenario) -> list[list[object]]:
    """One row of MSEL_COLUMNS values per inject, by time then sequence."""
    injects = scenario.exercise.injects if scenario.exercise else ()
    rows = []
    for inject in sorted(injects, key=lambda i: (i.time_hours, i.sequence)):
        values = inject.model_dump(by_alias=True)
        values[_INFORMATIONAL] = _when(scenario.start, inject.time_hours)
        rows.append([values[column] for column in MSEL_COLUMNS])
    return rows


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(MSEL_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _put(cell: Cell, value: object) -> None:
    """Store `value` so that it reads back identically: text stays text (never a formula),
    and a number that Excel would round (to 16 significant digits) is stored as exact text."""
    if isinstance(value, str):
        if value:
            cell.value = _XML_UNSAFE.sub(lambda m: f"_x{ord(m[0]):04X}_", value)
            cell.data_type = "s"
            cell.quotePrefix = value[0] in _FORMULA_START
    elif isinstance(value, int):
        cell.value = value if abs(value) < 2**53 else str(value)
    elif isinstance(value, float):
        cell.value = value if float(f"{value:.16g}") == value else repr(value)
    else:
        cell.value = value


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "MSEL"
    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for column, name in enumerate(MSEL_COLUMNS, start=1):
        sheet.cell(row=1, column=column, value=name).font = bold
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = _WIDTHS.get(name, max(len(name) + 4, 12))
        for row, values in enumerate(rows, start=2):
            cell = sheet.cell(row=row, column=column)
            _put(cell, values[column - 1])
            if name in _WRAPPED:
                cell.alignment = wrapped
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_msel(scenario: Scenario, fmt: Literal["csv", "xlsx"]) -> bytes:
    """The scenario's injects as an MSEL file: a header, then one row per inject by time and
    sequence (just the header when there are none). CSV is UTF-8; XLSX has a sheet "MSEL"."""
    rows = _rows(scenario)
    return _csv(rows) if fmt == "csv" else _xlsx(rows)


MAX_MSEL_ROWS = 10_000
"""The most rows an MSEL workbook is read for (its header included)."""

MAX_MSEL_COLUMNS = 64
"""Columns beyond this are not read (an MSEL has ten)."""


def _xlsx_table(path: Path) -> tuple[_Cells, list[tuple[int, _Cells]]]:
    """The header and non-empty rows (with their row numbers) of the "MSEL" sheet, or else
    the first; text is unescaped and formulas give their last computed values."""
    data = read_bytes(path, "an .xlsx workbook")
    table: list[_Cells] = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = next((s for s in book.worksheets if s.title == "MSEL"), book.worksheets[0])
            for row in sheet.iter_rows(max_col=MAX_MSEL_COLUMNS, values_only=True):
                if len(table) > MAX_MSEL_ROWS:
                    break
                table.append(
                    [
                        _XML_ESCAPED.sub(lambda m: chr(int(m[1], 16)), v)
                        if isinstance(v, str)
                        else v
                        for v in row
                    ]
                )
        finally:
            book.close()
    except Exception as error:  # openpyxl raises all kinds of errors on a damaged file
        problem = f"not a readable .xlsx workbook ({type(error).__name__})"
        raise ScenarioError.one(path, problem) from None
    if len(table) > MAX_MSEL_ROWS:
        raise ScenarioError.one(
            path, f"has more than {MAX_MSEL_ROWS:,} rows; an MSEL has a few hundred"
        )
    if not table or not any(_filled(v) for v in table[0]):
        raise ScenarioError.one(path, "is empty; expected a header row naming the columns")
    rows = [(n, r) for n, r in enumerate(table[1:], start=2) if any(_filled(v) for v in r)]
    return table[0], rows


def _filled(value: object) -> bool:
    return value is not None and value != ""


def _columns(path: Path, header: _Cells) -> list[str]:
    """The column names (lower case; '' for an unnamed column), checked against MSEL_COLUMNS."""
    names = ["" if h is None else str(h).strip().lower() for h in header]
    problems = [f"unknown column '{n}'" for n in names if n and n not in MSEL_COLUMNS]
    problems += [f"column '{n}' appears twice" for n in MSEL_COLUMNS if names.count(n) > 1]
    problems += [f"missing column '{n}'" for n in _REQUIRED if n not in names]
    if problems:
        expected = ", ".join(MSEL_COLUMNS)
        raise ScenarioError(
            Problem(str(path), "line 1", f"{p} (the columns are {expected})") for p in problems
        )
    return names


def _record(names: list[str], cells: _Cells) -> dict[str, object]:
    """The fields of one row: empty cells take defaults, numbers in text columns become text."""
    record: dict[str, object] = {}
    for name, value in zip(names, cells, strict=True):
        if name in ("", _INFORMATIONAL):
            continue
        if _filled(value):
            record[name] = str(value) if name in _TEXT and not isinstance(value, str) else value
        elif name in _EMPTY_IS_TEXT:
            record[name] = ""
    return record


def read_msel(path: Path | str) -> tuple[Inject, ...]:
    """The injects of an MSEL file (.csv or .xlsx), in file order; `datetime` is ignored.

    Raises ScenarioError naming the file, line (or sheet row) and column of every problem:
    unreadable file, unknown or missing columns, invalid cells, duplicate sequence numbers.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = read_csv(path)
    elif suffix == ".xlsx":
        header, rows = _xlsx_table(path)
    else:
        raise ScenarioError.one(path, "is not an MSEL file: expected a .csv or .xlsx file")
    names, file = _columns(path, header), str(path)
    problems: list[Problem] = []
    injects: list[Inject] = []
    first_line: dict[int, int] = {}
    for line, cells in rows:
        problems += [
            Problem(file, f"line {line}", f"a value in column {i + 1}, which has no header")
            for i, value in enumerate(cells)
            if _filled(value) and not names[i]
        ]
        try:
            inject = Inject.model_validate(_record(names, cells))
        except ValidationError as error:
            problems += validation_problems(error, file, lambda loc, n=line: line_path(n, loc))
            continue
        earlier = first_line.setdefault(inject.sequence, line)
        if earlier != line:
            message = f"duplicate sequence {inject.sequence}: line {earlier} has it too"
            problems.append(Problem(file, line_path(line, ("sequence",)), message))
        injects.append(inject)
    if problems:
        raise ScenarioError(problems)
    return tuple(injects)


class _Dumper(yaml.SafeDumper):
    """Double-quotes text with the line breaks YAML 1.1 has beyond CR and LF (NEL, LS, PS),
    which PyYAML would otherwise write unescaped and read back as plain line breaks."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if any(c in data for c in "\x85\u2028\u2029"):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_Dumper.add_representer(str, _Dumper.represent_str)


def injects_yaml(injects: Iterable[Inject]) -> str:
    """A YAML `injects:` list to paste under a scenario's `exercise:`; fields at their
    defaults are left out."""
    items = [i.model_dump(by_alias=True, exclude_defaults=True) for i in injects]
    return yaml.dump({"injects": items}, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
