"""The Master Scenario Events List (MSEL): a scenario's injects as a CSV or XLSX table that
facilitators draft in a spreadsheet, and back again. Export then import loses nothing.

Import takes the tables facilitators keep: common header names in English, Spanish and
Portuguese (`Time`, `Inject`, `From`, `To`, `Message`, `Expected action`...), `;`, `,` or tab
separators, UTF-8 with or without a BOM or Windows-1252 text, and rows that give only a date
and time. Export writes UTF-8 with a BOM (so Excel reads accents) and neutralises text a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError

from ..analysis.export import FORMULA_START, neutral
from ..errors import Problem, ScenarioError
from ..schema.exercise import Exercise, Inject
from ..schema.files import read_bytes
from ..schema.load import validation_problems
from ..schema.references import check_references, check_schedule, dotted
from ..schema.scenario import Scenario
from ..schema.yaml_text import (
    Dumper,
    Moved,
    content_end,
    dump,
    indented,
    relocated_fields,
    spliced_or_none,
)

_NESTED_ATTRIBUTES = {
    {"when": "trigger"}.get(f.alias or name, f.alias or name): name
    for name, f in Inject.model_fields.items()
    if any(isinstance(t, type) and issubclass(t, BaseModel) for t in get_args(f.annotation))
}
_NESTED = tuple(_NESTED_ATTRIBUTES)
_COLUMN_OF = {attribute: column for column, attribute in _NESTED_ATTRIBUTES.items()}
"""Inject fields beyond the flat ones (triggers such as `when` and `premise`): a cell holds
the mapping in YAML flow style without braces, e.g. `asset_down: HST-grid, after_hours: 2`."""

MSEL_COLUMNS = (
    "sequence",
    "time_hours",
    "datetime",
    *_NESTED,
    "type",
    "method",
    "from",
    "to",
    "message",
    "expected_action",
    "objective",
)
"""The columns of an exported MSEL, in order (HSEEP style); `datetime` is the calendar time of
`time_hours`, which wins when both are given."""

_TEXT = ("type", "method", "from", "to", "message", "expected_action", "objective", "title")
_EMPTY_IS_TEXT = ("from", "to", "message")
"""Required text fields, for which an empty cell is the empty string."""
_WIDTHS = {"datetime": 26, "from": 22, "to": 22, "message": 60, "expected_action": 40}
_WRAPPED = ("message", "expected_action")
Separator = Literal[",", ";", "\t"]
SEPARATORS: tuple[Separator, ...] = (",", ";", "\t")

ALIASES: dict[str, tuple[str, ...]] = {
    field: tuple(keys.split())
    for field, keys in {
        "sequence": "sequence seq no nr nro num number inject_no inject_number inject_id id "
        "secuencia sequencia numero",
        "time_hours": "time_hours time hour hours time_h scenario_hour scenario_hours hora horas "
        "tiempo",
        "datetime": "datetime date when date_time fecha fecha_hora data data_hora",
        "title": "inject title subject inject_title titulo asunto assunto",
        "type": "type inject_type tipo",
        "method": "method delivery_method channel mode medio canal meio",
        "from": "from sender de remitente remetente",
        "to": "to recipient recipients para destinatario destinatarios",
        "message": "message description body mensaje mensagem descripcion descricao",
        "expected_action": "expected_action expected_actions expected_player_action "
        "expected_response accion_esperada acao_esperada",
        "objective": "objective objetivo",
        **{name: name for name in _NESTED},
    }.items()
}
"""Header names each field is read from, compared lower case with accents, spaces and
punctuation folded to '_' ("Expected action" is expected_action, "Inject #" is inject_no);
`title` heads the message."""

_IGNORED = (
    "controller controllers evaluator evaluators core_capability core_capabilities capability "
    "capabilities notes comments remarks status controlador evaluador avaliador notas "
    "comentarios"
)
IGNORED = tuple(_IGNORED.split())
"""Columns facilitators keep that the scenario has no place for: read and ignored."""

_BY_KEY = {key: field for field, keys in ALIASES.items() for key in keys}
_REQUIRED = (("from",), ("to",), ("message", "title"), ("time_hours", "datetime"))

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


def _flow(value: object) -> str:
    """A nested field as cell text: a YAML flow mapping without its braces."""
    text = yaml.dump(value, Dumper=Dumper, default_flow_style=True, width=10**9)
    return text.strip().removeprefix("{").removesuffix("}")


def _rows(scenario: Scenario) -> list[list[object]]:
    """One row of MSEL_COLUMNS values per inject, by time then sequence."""
    injects = scenario.exercise.injects if scenario.exercise else ()
    rows = []
    for inject in sorted(injects, key=lambda i: (i.time_hours, i.sequence)):
        values = inject.model_dump(by_alias=True)
        values["datetime"] = _when(scenario.start, inject.time_hours)
        for name, attribute in _NESTED_ATTRIBUTES.items():
            nested = getattr(inject, attribute)
            values[name] = "" if nested is None else _flow(nested.model_dump(exclude_defaults=True))
        rows.append([values[column] for column in MSEL_COLUMNS])
    return rows


def _neutral(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading "'" (as does text that already
    starts with one, so that import can take exactly one away)."""
    if isinstance(value, str) and value.startswith("'"):
        return "'" + value
    return neutral(value)


def _unneutral(value: str) -> str:
    """The text `_neutral` was given."""
    if value[:1] == "'" and value[1:2] and value[1] in (*FORMULA_START, "'"):
        return value[1:]
    return value


def _csv(rows: list[list[object]], separator: Separator) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow(MSEL_COLUMNS)
    hours = MSEL_COLUMNS.index("time_hours")
    for row in rows:
        cells = [_neutral(v) for v in row]
        if separator == ";":  # the locales whose Excel writes ';' write decimal commas
            cells[hours] = repr(row[hours]).replace(".", ",")
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


def _put(cell: Cell, value: object) -> None:
    """Store `value` so that it reads back identically: text stays text (formula-like text
    neutralised), and a number that Excel would round (to 16 significant digits) is stored
    as exact text."""
    if isinstance(value, str):
        if value:
            text = str(_neutral(value))
            cell.value = _XML_UNSAFE.sub(lambda m: f"_x{ord(m[0]):04X}_", text)
            cell.data_type = "s"
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


def export_msel(
    scenario: Scenario, fmt: Literal["csv", "xlsx"], separator: Separator = ","
) -> bytes:
    """The scenario's injects as an MSEL file: a header, then one row per inject by time and
    sequence (just the header when there are none). CSV is UTF-8 with a BOM, separated by
    `separator` (with ';', hours take a decimal comma); XLSX has a sheet "MSEL". Text that a
    spreadsheet would run as a formula starts with "'"."""
    rows = _rows(scenario)
    return _csv(rows, separator) if fmt == "csv" else _xlsx(rows)


MAX_MSEL_ROWS = 10_000
"""The most rows an MSEL table is read for (its header included)."""

MAX_MSEL_COLUMNS = 64
"""Columns beyond this are not read (an MSEL has about ten)."""


def _too_long(path: Path) -> ScenarioError:
    return ScenarioError.one(
        path, f"has more than {MAX_MSEL_ROWS:,} rows; an MSEL has a few hundred"
    )


@dataclass(frozen=True)
class _Table:
    header: _Cells
    rows: list[tuple[int, _Cells]]
    """The non-empty rows, each with the line (CSV) or sheet row (XLSX) it starts on."""
    separator: str = ""


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252, the 'ANSI' of Western Excel."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _separator(text: str) -> str:
    """The separator that splits the header line into most cells (',' on a tie)."""
    line = text[: text.find("\n")] if "\n" in text else text
    counts = {s: len(next(csv.reader([line], delimiter=s), [])) for s in SEPARATORS}
    return max(SEPARATORS, key=lambda s: counts[s])


def _csv_table(path: Path) -> _Table:
    data = read_bytes(path, "a CSV table")
    try:
        text = _decode(data)
        separator = _separator(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ScenarioError.one(path, "is empty; expected a header row naming the columns")
        rows: list[tuple[int, _Cells]] = []
        start = reader.line_num + 1
        for cells in reader:
            if len(rows) >= MAX_MSEL_ROWS:
                raise _too_long(path)
            if any(cells):
                rows.append((start, cells[:MAX_MSEL_COLUMNS]))
            start = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as error:
        raise ScenarioError.one(path, f"not a readable CSV table ({error})") from None
    return _Table(header[:MAX_MSEL_COLUMNS], rows, separator)


def _xlsx_table(path: Path) -> _Table:
    """The header and non-empty rows of the "MSEL" sheet, or else the first; text is
    unescaped and formulas give their last computed values."""
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
        raise _too_long(path)
    if not table or not any(_filled(v) for v in table[0]):
        raise ScenarioError.one(path, "is empty; expected a header row naming the columns")
    rows = [(n, r) for n, r in enumerate(table[1:], start=2) if any(_filled(v) for v in r)]
    return _Table(table[0], rows)


def _filled(value: object) -> bool:
    return value is not None and value != ""


def _key(header: object) -> str:
    """A header as compared with ALIASES: lower case, accents dropped, '#' read as 'no',
    runs of anything but letters and digits folded to '_'."""
    text = unicodedata.normalize("NFKD", str(header).replace("#", " no ").lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@dataclass(frozen=True)
class _Columns:
    fields: dict[int, str]
    """The field each read column gives, by column index."""
    names: dict[str, str]
    """The header each field was read from, as written."""
    named: frozenset[int]
    """Every column with a header (read or ignored)."""


def _columns(path: Path, header: _Cells) -> _Columns:
    """What each column gives; raises ScenarioError for unknown, repeated or missing ones."""
    fields: dict[int, str] = {}
    names: dict[str, str] = {}
    named: set[int] = set()
    problems = []
    known = ", ".join(c for c in MSEL_COLUMNS)
    for index, cell in enumerate(header):
        if not _filled(cell) or not str(cell).strip():
            continue
        named.add(index)
        written, key = str(cell).strip(), _key(cell)
        field = _BY_KEY.get(key)
        if field is None and key not in IGNORED:
            message = (
                f"unknown column '{written}' (the columns are {known}, or aliases such as "
                "Time, Inject, From, To, Message; see docs/exercises.md)"
            )
            problems.append(Problem(str(path), f"line 1: column {index + 1}", message))
        elif field in names:
            message = f"column '{written}' gives {field}, as column '{names[field]}' does"
            problems.append(Problem(str(path), f"line 1: column {index + 1}", message))
        elif field is not None:
            fields[index], names[field] = field, written
    for options in _REQUIRED:
        if not any(o in names for o in options):
            message = f"missing column '{options[0]}'"
            if len(options) > 1:
                message += f" (or '{options[1]}')"
            problems.append(Problem(str(path), "line 1", message))
    if problems:
        raise ScenarioError(problems)
    return _Columns(fields, names, frozenset(named))


# Scenario hours as facilitators write them: 2.5, 2,5 (decimal comma), 2.5 h, T+2.5, H+02:30.
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")
_OFFSET = re.compile(r"(?:[TH]\s*)?\+?\s*(\d+(?:[.,]\d+)?)\s*h?", re.IGNORECASE)
_ELAPSED = re.compile(r"(?:[TH]\s*)?\+\s*(\d+):([0-5]\d)(?::([0-5]\d))?", re.IGNORECASE)
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
_SLASHED = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_NOT_A_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|nan)\w*", re.I)


class _Refused(ValueError):
    """A cell that cannot be read, with what to write instead."""


def _hours(value: object, decimal_comma: bool) -> object:
    """Scenario hours from a time cell; a datetime for a date and time; else the value as is
    (for the schema to refuse in its own words)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, timedelta):
        return value.total_seconds() / 3600
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        raise _Refused(
            f"{value.isoformat()} is a clock time: write hours since the start, or T+HH:MM, "
            "or put the date and time in a Datetime column"
        )
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _NOT_A_NUMBER.fullmatch(text):
        return text
    if decimal_comma and _DECIMAL_COMMA.fullmatch(text):
        return text.replace(",", ".")
    if (match := _ELAPSED.fullmatch(text)) is not None:
        hours, minutes, seconds = match.groups()
        return int(hours) + int(minutes) / 60 + int(seconds or 0) / 3600
    if (match := _OFFSET.fullmatch(text)) is not None and (
        text[:1] in "TtHh+" or text[-1:] in "hH"
    ):
        return float(match[1].replace(",", "."))
    if _CLOCK.fullmatch(text):
        raise _Refused(
            f"'{text}' could be a clock time or a duration: write T+{text} for "
            f"{text} after the start, or put the date and time in a Datetime column"
        )
    if len(text) >= 10 and text[:4].isdigit() and text[4:5] == "-":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return value


def _day_first(values: Iterable[object]) -> bool | None:
    """Whether the column's d/m/yyyy dates put the day first (from the dates that tell)."""
    firsts = set()
    for value in values:
        if isinstance(value, str) and (match := _SLASHED.fullmatch(value.strip())):
            if match[2] == "." or int(match[1]) > 12:
                firsts.add(True)
            elif int(match[3]) > 12:
                firsts.add(False)
    return firsts.pop() if len(firsts) == 1 else None


def _datetime(value: object, day_first: bool | None) -> datetime:
    """A date and time cell; raises _Refused for what is not one."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    if (match := _SLASHED.fullmatch(text)) is not None:
        a, b = int(match[1]), int(match[3])
        day_first = True if match[2] == "." else day_first
        if a != b and a <= 12 and b <= 12 and day_first is None:
            raise _Refused(
                f"'{text}' could be day/month or month/day: write the date as YYYY-MM-DD"
            )
        day, month = (a, b) if (day_first or a > 12) and b <= 12 else (b, a)
        clock = [int(x or 0) for x in match.groups()[4:]]
        try:
            return datetime(int(match[4]), month, day, *clock)
        except ValueError as error:
            raise _Refused(f"'{text}' is not a date and time ({error})") from None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _Refused(
            f"'{text}' is not a date and time: write YYYY-MM-DD HH:MM (or DD/MM/YYYY HH:MM)"
        ) from None


def _hours_since(moment: datetime, start: datetime) -> float:
    zone: tzinfo | None = start.tzinfo
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    hours = (moment - start).total_seconds() / 3600
    if hours < 0:
        raise _Refused(
            f"{moment.isoformat(timespec='minutes')} is before the scenario's start "
            f"({start.isoformat(timespec='minutes')})"
        )
    return hours


def _sequence(value: object) -> object:
    """A sequence number: 7, 7.0, '7', or a code ending in the number ('INJ-007')."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*[A-Za-z#_ -]*?(\d{1,18})\s*", value)
        if match and not value.strip().startswith("-"):
            return int(match[1])
    return value


def _nested(value: object) -> object:
    """A trigger cell, `asset_down: X, country: Y`, as the mapping it writes."""
    if not isinstance(value, str):
        return value
    text = _unneutral(value.strip())
    try:
        data = yaml.safe_load("{" + text + "}")
    except yaml.YAMLError:
        raise _Refused(
            f"'{text}' is not a trigger: write e.g. 'asset_down: HST-grid, country: HST'"
        ) from None
    return data


@dataclass
class _Reader:
    file: str
    columns: _Columns
    start: datetime | None
    decimal_comma: bool
    day_first: bool | None
    refused: set[str] = field(default_factory=set)
    """The fields of the current row whose cells were refused (time_hours for a date)."""

    def where(self, line: int, field: str, rest: tuple[Any, ...] = ()) -> str:
        field = _COLUMN_OF.get(field, field)
        name = self.columns.names.get(field, field)
        return f"line {line}: {dotted((name, *rest))}"

    def record(self, line: int, cells: _Cells, problems: list[Problem]) -> dict[str, object]:
        """The fields of one row: empty cells take defaults, numbers in text columns become
        text, neutralised text loses its "'", times and dates become scenario hours."""
        found: dict[str, object] = {}
        self.refused.clear()
        for index, value in enumerate(cells):
            field = self.columns.fields.get(index)
            if _filled(value) and index not in self.columns.named:
                message = f"a value in column {index + 1}, which has no header"
                problems.append(Problem(self.file, f"line {line}", message))
            if field is None or not _filled(value):
                continue
            try:
                found[field] = self.cell(field, value)
            except _Refused as refused:
                problems.append(Problem(self.file, self.where(line, field), str(refused)))
                self.refused.add(_NESTED_ATTRIBUTES.get(field, field))
                if field == "datetime":  # the row's hours are unknown, not missing
                    self.refused.add("time_hours")
        record = {
            _NESTED_ATTRIBUTES.get(f, f): found[f] for f in found if f not in ("title", "datetime")
        }
        for field in _EMPTY_IS_TEXT:
            record.setdefault(field, "")
        title = found.get("title")
        if isinstance(title, str):
            record["message"] = f"{title} — {record['message']}" if record["message"] else title
        moment = found.get("datetime")
        if isinstance(record.get("time_hours"), date):
            moment = record.pop("time_hours")
        if isinstance(moment, date):
            self.place(line, record, moment, problems)
        return record

    def cell(self, field: str, value: object) -> object:
        if field in _TEXT:
            text = value if isinstance(value, str) else str(value)
            return _unneutral(text)
        if field == "sequence":
            return _sequence(value)
        if field == "time_hours":
            return _hours(value, self.decimal_comma)
        if field == "datetime":
            return _datetime(value, self.day_first)
        return _nested(value)

    def place(
        self, line: int, record: dict[str, object], moment: datetime | date, problems: list
    ) -> None:
        """Set the row's hours from its date and time, or check they agree with its hours."""
        field = "datetime" if "datetime" in self.columns.names else "time_hours"
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day)
        if self.start is None:
            if "time_hours" not in record:
                message = (
                    "a date and time without scenario hours needs the scenario's start: "
                    "pass the scenario (msel import TABLE --into SCENARIO --out NEW.yaml)"
                )
                problems.append(Problem(self.file, self.where(line, field), message))
                self.refused.add("time_hours")
            return
        try:
            hours = _hours_since(moment, self.start)
        except _Refused as refused:
            problems.append(Problem(self.file, self.where(line, field), str(refused)))
            self.refused.add("time_hours")
            return
        given = record.get("time_hours")
        if given is None:
            record["time_hours"] = hours
            return
        try:
            differs = abs(float(given) - hours) > 1 / 60  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        if differs:
            message = (
                f"{moment.isoformat(timespec='minutes')} is hour {hours:g}, but "
                f"{self.columns.names['time_hours']} says {given}: correct one or clear "
                "the date"
            )
            problems.append(Problem(self.file, self.where(line, "datetime"), message))


def read_msel(path: Path | str, start: datetime | None = None) -> tuple[Inject, ...]:
    """The injects of an MSEL file (.csv or .xlsx), in file order.

    Columns are found by name (ALIASES; IGNORED ones are skipped). Without a sequence column
    the rows are numbered in file order. A row may give its time as scenario hours, as a date
    and time (hours from `start`, the scenario's start; refused without it), or both (they
    must agree). An `Inject`/`Title` column heads the message.

    Raises ScenarioError naming the file, line (or sheet row) and column of every problem:
    unreadable file, unknown or missing columns, invalid cells, duplicate sequence numbers.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_table(path)
    elif suffix == ".xlsx":
        table = _xlsx_table(path)
    else:
        raise ScenarioError.one(path, "is not an MSEL file: expected a .csv or .xlsx file")
    columns = _columns(path, table.header)
    dated = [i for i, f in columns.fields.items() if f in ("datetime", "time_hours")]
    day_first = _day_first(r[i] for _, r in table.rows for i in dated if i < len(r))
    title = next((i for i, f in columns.fields.items() if f == "title"), None)
    if title is not None and "sequence" not in columns.names:
        cells = [r[title] for _, r in table.rows if title < len(r) and _filled(r[title])]
        if cells and all(_whole(c) for c in cells):  # an `Inject` column of numbers
            columns.fields[title] = "sequence"
            columns.names["sequence"] = columns.names.pop("title")
    reader = _Reader(str(path), columns, start, table.separator in (";", "\t"), day_first)
    problems: list[Problem] = []
    injects: list[Inject] = []
    first_line: dict[int, int] = {}
    for count, (line, cells) in enumerate(table.rows, start=1):
        record = reader.record(line, cells, problems)
        if "sequence" not in columns.names:
            record["sequence"] = count
        try:
            inject = Inject.model_validate(record)
        except ValidationError as error:
            problems += [
                p
                for p in validation_problems(
                    error, str(path), lambda loc, n=line: _located(reader, n, loc)
                )
                if not any(p.path == reader.where(line, f) for f in reader.refused)
            ]
            continue
        earlier = first_line.setdefault(inject.sequence, line)
        if earlier != line:
            message = f"duplicate sequence {inject.sequence}: line {earlier} has it too"
            problems.append(Problem(str(path), reader.where(line, "sequence"), message))
        injects.append(inject)
    if problems:
        raise ScenarioError(problems)
    return tuple(injects)


def _whole(value: object) -> bool:
    """Whether a cell holds a whole number."""
    if isinstance(value, str):
        return value.strip().isdigit()
    return isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)


def _located(reader: _Reader, line: int, loc: tuple[Any, ...]) -> str:
    if not loc:
        return f"line {line}"
    return reader.where(line, str(loc[0]), tuple(loc[1:]))


def with_msel(scenario: Scenario, table: Path | str) -> Scenario:
    """`scenario` with its exercise's injects replaced by those of the MSEL `table` (an
    exercise titled after the scenario is created if it has none); dates in the table are
    read against the scenario's start. Raises ScenarioError naming the table for a bad cell
    or an inject that does not fit the scenario (an unknown objective, a time past the end)."""
    injects = read_msel(table, start=scenario.start)
    exercise = scenario.exercise or Exercise(title=_title(scenario))
    changed = scenario.model_copy(
        update={"exercise": exercise.model_copy(update={"injects": injects})}
    )
    findings = check_references(changed) + check_schedule(changed)
    if findings:
        raise ScenarioError(Problem(str(table), dotted(loc), msg) for loc, msg in findings)
    return changed


def _title(scenario: Scenario) -> str:
    return f"{scenario.name} exercise"[:300]


def _items(injects: Iterable[Inject]) -> list[dict[str, Any]]:
    return [i.model_dump(by_alias=True, exclude_defaults=True) for i in injects]


def injects_yaml(injects: Iterable[Inject]) -> str:
    """A YAML `injects:` list to paste under a scenario's `exercise:`; fields at their
    defaults are left out."""
    return dump({"injects": _items(injects)})


def _spliced(text: str, injects: tuple[Inject, ...], title: str) -> str | None:
    """`text` with its exercise's injects replaced in place, keeping its comments and layout;
    None where the layout is not a plain block mapping."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    exercise = next((v for k, v in root.value if k.value == "exercise"), None)
    if exercise is None:
        tail = "" if text.endswith("\n") or not text else "\n"
        return text + tail + dump({"exercise": {"title": title, "injects": _items(injects)}})
    if not isinstance(exercise, yaml.MappingNode) or exercise.flow_style or not exercise.value:
        return None
    block = injects_yaml(injects)
    found = next(((k, v) for k, v in exercise.value if k.value == "injects"), None)
    if found is None:
        first = exercise.value[0][0]
        at = first.start_mark.index
        return (
            text[:at]
            + indented(block, first.start_mark.column)
            + " " * (first.start_mark.column)
            + text[at:]
        )
    key, value = found
    at = key.start_mark.index
    end = content_end(text, at, value.end_mark.index)
    if text[end - 1 : end] == "\n":
        block_text = indented(block, key.start_mark.column)
    else:
        block_text = indented(block, key.start_mark.column).rstrip("\n")
    return text[:at] + block_text + text[end:]


def _expected(data: Any, injects: tuple[Inject, ...], title: str, moved: Moved | None) -> Any:
    """The scenario mapping `data` with `injects`, and its paths relocated."""
    data = dict(data)
    exercise = dict(data.get("exercise") or {"title": title})
    exercise["injects"] = _items(injects)
    data["exercise"] = exercise
    return relocated_fields(data, moved)


def scenario_text_with_injects(
    text: str, injects: tuple[Inject, ...], title: str, moved: Moved | None = None
) -> str:
    """The YAML of a scenario file (`text`) with `injects` under `exercise.injects`, replaced
    in place so that comments and layout stay (the whole file is rewritten where its layout
    is unusual: flow style, anchors). An `exercise:` titled `title` is added if there is
    none. With `moved`, the copy goes to another folder and the files it names are
    re-pointed so that they still resolve."""
    expected = _expected(yaml.safe_load(text), injects, title, moved)
    kept = spliced_or_none(lambda: _spliced(text, injects, title), expected, moved)
    return kept or dump(expected)


def scenario_with_msel(
    path: Path, scenario: Scenario, table: Path, out: Path
) -> tuple[str, tuple[Inject, ...]]:
    """`msel import TABLE --into SCENARIO --out OUT`: the text of a copy of the scenario file
    `path` (loaded as `scenario`) to write as `out`, with the injects of the MSEL `table`
    (its dates read against the scenario's start), and those injects. Raises ScenarioError
    for a bad table."""
    injects = read_msel(table, start=scenario.start)
    title = f"{scenario.name} exercise"[:300]
    folders = (path.parent.resolve(), out.parent.resolve())
    moved = folders if folders[0] != folders[1] else None
    text = read_bytes(path, "a scenario file").decode("utf-8")
    return scenario_text_with_injects(text, injects, title, moved), injects
