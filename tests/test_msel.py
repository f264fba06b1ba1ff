"""MSEL export and import: the round trip loses nothing, and bad files give ScenarioError."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim import Scenario, ScenarioError, bundled_scenario, load_scenario
from sim.analysis.export import FORMULA_START
from sim.cli import main
from sim.facilitation.msel import (
    ALIASES,
    MSEL_COLUMNS,
    SEPARATORS,
    export_msel,
    injects_yaml,
    read_msel,
    with_msel,
)
from sim.schema.base import HIDDEN_CHARACTERS
from sim.schema.exercise import Exercise, Inject

# Text a file can hold (no lone surrogates); csv reads NUL characters only from Python 3.11.
# Text a scenario may hold: no lone surrogates, and none of the hidden characters it refuses.
CHARS = st.characters(codec="utf-8", exclude_characters=HIDDEN_CHARACTERS)
TRICKY = ("=", "=SUM(A1)", "+1", "-", "@x", ",", '"', "\r", "\r\n", "\n", " ", "\t", "\ufffe")
ESCAPES = ("_x000D_", "_x005F_", "_x", "x0041_")
TEXT = st.lists(st.text(CHARS, max_size=6) | st.sampled_from((*TRICKY, *ESCAPES)), max_size=4).map(
    "".join
)
IDS = st.text(
    st.characters(exclude_categories=("Z", "C"), exclude_characters=">"), min_size=1, max_size=8
)
INJECT = st.fixed_dictionaries(
    {
        "sequence": st.integers(min_value=1),
        "time_hours": st.floats(min_value=0, allow_nan=False, allow_infinity=False),
        "type": TEXT.filter(bool),
        "method": TEXT.filter(bool),
        "sender": TEXT.filter(bool),
        "recipient": TEXT.filter(bool),
        "message": TEXT.filter(bool),
        "expected_action": TEXT,
        "objective": st.none() | IDS,
    }
)


def _inject(fields: dict[str, object]) -> Inject | None:
    """The inject, or None where the schema refuses it (an `incident` at a fixed time)."""
    try:
        return Inject.model_validate(fields)
    except ValidationError:
        return None


INJECTS = st.lists(
    INJECT.map(_inject).filter(bool),
    max_size=4,
    unique_by=lambda i: i.sequence,  # type: ignore
)
Format = Literal["csv", "xlsx"]
Separator = Literal[",", ";", "\t"]
TABLES = [("csv", s) for s in SEPARATORS] + [("xlsx", ",")]
"""Every kind of file export writes: CSV with each separator, and XLSX."""


@cache
def scenario() -> Scenario:
    return load_scenario(bundled_scenario("continental_final"))


def with_injects(injects: list[Inject] | tuple[Inject, ...]) -> Scenario:
    exercise = Exercise(title="t", injects=tuple(injects))
    return scenario().model_copy(update={"exercise": exercise})


def by_time(injects: list[Inject] | tuple[Inject, ...]) -> tuple[Inject, ...]:
    return tuple(sorted(injects, key=lambda i: (i.time_hours, i.sequence)))


def round_trip(
    scenario: Scenario, fmt: Format, separator: Separator = ",", start: bool = False
) -> tuple[Inject, ...]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"msel.{fmt}"
        path.write_bytes(export_msel(scenario, fmt, separator))
        return read_msel(path, start=scenario.start if start else None)


@pytest.mark.parametrize(("fmt", "separator"), TABLES)
@settings(max_examples=30, deadline=None)
@given(injects=INJECTS)
def test_export_then_import_loses_nothing(
    fmt: Format, separator: Separator, injects: list[Inject]
) -> None:
    assert round_trip(with_injects(injects), fmt, separator) == by_time(injects)


def exercises() -> list[str]:
    return sorted(p.stem for p in bundled_scenario("continental_final").parent.glob("*.yaml"))


@pytest.mark.parametrize("name", exercises())
def test_every_bundled_exercise_survives_a_round_trip(name: str) -> None:
    loaded = load_scenario(bundled_scenario(name))
    if loaded.exercise is None:
        return  # refused by the command line: see test_an_exercise_less_export_exits_2
    for fmt, separator in TABLES:
        injects = round_trip(loaded, fmt, separator, start=True)
        assert injects == by_time(loaded.exercise.injects), (name, fmt, separator)


@settings(max_examples=40, deadline=None)
@given(injects=INJECTS)
def test_injects_yaml_loads_back(injects: list[Inject]) -> None:
    data = yaml.safe_load(injects_yaml(injects))
    assert tuple(Inject.model_validate(item) for item in data["injects"]) == tuple(injects)


def test_injects_yaml_leaves_out_defaults() -> None:
    inject = Inject(sequence=1, time_hours=2, sender="a", recipient="b", message="m")
    assert injects_yaml([inject]) == (
        "injects:\n- sequence: 1\n  time_hours: 2.0\n  from: a\n  to: b\n  message: m\n"
    )


def test_csv_rows_follow_time_then_sequence_with_wall_clock_time() -> None:
    injects = [
        Inject(sequence=3, time_hours=1.5, sender="a", recipient="b", message="late"),
        Inject(sequence=2, time_hours=0.1, sender="a", recipient="b", message='x, "y"'),
        Inject(sequence=1, time_hours=1.5, sender="a", recipient="b", message="tie"),
    ]
    data = export_msel(with_injects(injects), "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == MSEL_COLUMNS
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        ("2", "0.1", "2026-07-16T12:06:00-05:00"),
        ("1", "1.5", "2026-07-16T13:30:00-05:00"),
        ("3", "1.5", "2026-07-16T13:30:00-05:00"),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_injects_gives_just_the_header(tmp_path: Path, fmt: Format) -> None:
    for empty in (scenario().model_copy(update={"exercise": None}), with_injects(())):
        path = tmp_path / f"m.{fmt}"
        path.write_bytes(export_msel(empty, fmt))
        assert read_msel(path) == ()
        header = export_msel(empty, "csv").decode("utf-8-sig").splitlines()
        assert header == [",".join(MSEL_COLUMNS)]


def test_xlsx_layout_neutralises_formula_like_text() -> None:
    inject = Inject(sequence=1, time_hours=0, sender="a", recipient="b", message="=1+1")
    book = openpyxl.load_workbook(io.BytesIO(export_msel(with_injects([inject]), "xlsx")))
    sheet = book["MSEL"]
    assert [c.value for c in sheet[1]] == list(MSEL_COLUMNS)
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    message = sheet.cell(row=2, column=MSEL_COLUMNS.index("message") + 1)
    assert (message.value, message.data_type) == ("'=1+1", "s")
    assert message.alignment.wrap_text
    letter = openpyxl.utils.get_column_letter(MSEL_COLUMNS.index("message") + 1)
    assert sheet.column_dimensions[letter].width == 60


def csv_cells(data: bytes, separator: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator))


def xlsx_cells(data: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["MSEL"]
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize(("fmt", "separator"), TABLES)
@settings(max_examples=30, deadline=None)
@given(injects=INJECTS)
def test_no_exported_text_cell_starts_like_a_formula(
    fmt: Format, separator: Separator, injects: list[Inject]
) -> None:
    data = export_msel(with_injects(injects), fmt, separator)
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    rows = csv_cells(data, separator) if fmt == "csv" else xlsx_cells(data)
    numbers = {MSEL_COLUMNS.index("sequence"), MSEL_COLUMNS.index("time_hours")}
    for row in rows[1:]:
        for k, cell in enumerate(row):
            if isinstance(cell, str) and k not in numbers:
                assert not cell.startswith(FORMULA_START), (k, cell)


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


HEADER = ["sequence", "time_hours", "from", "to", "message"]


def messages(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        read_msel(path)
    return [str(p) for p in caught.value.problems]


def test_a_hand_drafted_csv_takes_defaults_and_skips_empty_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            ["Sequence", "time_hours", "from", "to", "message", "objective"],
            ["1", "2", "Control", "CSIRT", "Go", ""],
            [],
            ["", "", "", "", "", ""],
            ["2", "0.5", "Control", "CSIRT", "Later", "obj"],
        ],
    )
    assert read_msel(path) == (
        Inject(sequence=1, time_hours=2, sender="Control", recipient="CSIRT", message="Go"),
        Inject(
            sequence=2,
            time_hours=0.5,
            sender="Control",
            recipient="CSIRT",
            message="Later",
            objective="obj",
        ),
    )


def test_a_hand_drafted_xlsx_reads_numbers_in_text_columns_as_text(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", [HEADER, [1, 2, "Control", 112, "Call"]])
    assert read_msel(path) == (
        Inject(sequence=1, time_hours=2, sender="Control", recipient="112", message="Call"),
    )


def test_every_invalid_csv_cell_is_named_by_line_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            [*HEADER, "objective"],
            ["1", "soon", "a", "b", "two\nlines", ""],
            ["0", "1", "a", "b", "c", "not an id"],
        ],
    )
    found = messages(path)
    assert found[0] == f"{path}: line 2: time_hours: Input should be a valid number, " + (
        "unable to parse string as a number"
    )
    assert found[1].startswith(f"{path}: line 4: sequence: Input should be greater than")
    assert found[2].startswith(f"{path}: line 4: objective: String should match pattern")
    assert len(found) == 3


def test_invalid_xlsx_cells_are_named_by_row_and_column(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", [HEADER, [1, 1, "a", "b", "c"], [None, -1, "a", "b"]])
    assert messages(path) == [
        f"{path}: line 3: sequence: Field required",
        f"{path}: line 3: time_hours: Input should be greater than or equal to 0",
        f"{path}: line 3: message: String should have at least 1 character",
    ]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_duplicate_sequence_numbers_are_refused(tmp_path: Path, suffix: str) -> None:
    rows: list[list[object]] = [HEADER, ["1", "0", "a", "b", "c"], ["1", "2", "a", "b", "d"]]
    write = write_csv if suffix == "csv" else write_xlsx
    path = write(tmp_path / f"m.{suffix}", rows)
    assert messages(path) == [f"{path}: line 3: sequence: duplicate sequence 1: line 2 has it too"]


def test_columns_are_checked(tmp_path: Path) -> None:
    header = ["sequence", "time_hours", "to", "Notas de campo", "Recipients", "Controller"]
    path = write_csv(tmp_path / "m.csv", [header])
    found = messages(path)
    assert found[0].startswith(f"{path}: line 1: column 4: unknown column 'Notas de campo'")
    assert found[1:] == [
        f"{path}: line 1: column 5: column 'Recipients' gives to, as column 'to' does",
        f"{path}: line 1: missing column 'from'",
        f"{path}: line 1: missing column 'message' (or 'title')",
    ]


def test_a_value_under_no_header_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", [HEADER, [1, 0, "a", "b", "c", "stray"]])
    assert messages(path) == [f"{path}: line 2: a value in column 6, which has no header"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("m.txt", b"sequence\n", "is not an MSEL file: expected a .csv or .xlsx file"),
        ("m.csv", b"", "is empty; expected a header row naming the columns"),
        ("m.csv", b"\xff\xfe\x00\x81binary", "not a readable CSV table"),
        ("m.xlsx", b"", "not a readable .xlsx workbook"),
        ("m.xlsx", b"PK\x03\x04 truncated", "not a readable .xlsx workbook"),
        ("m.xlsx", b"\x00\x01\x02 not a zip", "not a readable .xlsx workbook"),
        ("missing.csv", None, "no such file"),
        ("folder.csv", "dir", "is a directory, not a CSV table"),
        ("folder.xlsx", "dir", "is a directory, not an .xlsx workbook"),
    ],
)
def test_unreadable_files_give_a_scenario_error(
    tmp_path: Path, name: str, content: bytes | str | None, expected: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    [message] = messages(path)
    assert message.startswith(f"{path}: {expected}")


def test_a_damaged_export_gives_a_scenario_error(tmp_path: Path) -> None:
    inject = Inject(sequence=1, time_hours=0, sender="a", recipient="b", message="m")
    data = export_msel(with_injects([inject]), "xlsx")
    path = tmp_path / "m.xlsx"
    path.write_bytes(data[: len(data) // 2])
    [message] = messages(path)
    assert message.startswith(f"{path}: not a readable .xlsx workbook")


# What facilitators keep in Excel: their own header names, ';' and decimal commas, cp1252.

FACILITATOR = Path(__file__).parent / "data" / "facilitator_msel.csv"
"""A hand-made MSEL as Spanish Excel saves it: `Time;Inject;From;To;Message;Expected action`
plus Controller and Core capability columns, Windows-1252, CRLF, hours with decimal commas."""


def test_a_facilitators_spreadsheet_imports_with_its_accents() -> None:
    injects = read_msel(FACILITATOR)
    assert [i.sequence for i in injects] == [1, 2, 3, 4]  # numbered in file order
    assert [i.time_hours for i in injects] == [0.5, 6, 12.25, 30]  # 12,25 and T+30:00
    assert injects[1].sender == "Ministério de Minas e Energia"
    assert injects[2].message.startswith("Llamada de la Policía — La Policía pregunta")
    assert 'café "Olé"' in injects[2].message
    assert injects[0].expected_action == "Confirmar contactos"


def test_a_facilitators_spreadsheet_becomes_a_scenario_that_plays(tmp_path: Path) -> None:
    new = tmp_path / "grid_exercise.yaml"
    args = ["msel", "import", str(FACILITATOR), "--into", "grid_cascade", "--out", str(new)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    scenario = load_scenario(new)  # it validates, includes re-pointed from its new folder
    assert scenario.exercise is not None
    assert scenario.exercise.injects == read_msel(FACILITATOR, start=scenario.start)
    assert "Ministério" in new.read_text(encoding="utf-8")
    run = tmp_path / "run"
    played = CliRunner().invoke(main, ["play", str(new), "--auto", "first", "--out", str(run)])
    assert played.exit_code == 0, played.output
    assert (run / "aar.html").exists()


SPELLINGS = {
    "sequence": ("sequence", "Inject #", "No."),
    "time_hours": ("time_hours", "Time", "Hours", "Hora"),
    "from": ("from", "From", "Sender", "Remitente"),
    "to": ("to", "To", "Recipients", "Destinatário"),
    "message": ("message", "Message", "Description", "Body", "Descripción"),
    "expected_action": ("expected_action", "Expected action", "EXPECTED  ACTION"),
}


def test_every_spelling_is_an_alias() -> None:
    for field, spellings in SPELLINGS.items():
        keys = {s.lower().replace(" ", "_").strip("._#") for s in spellings}
        assert keys & set(ALIASES[field]), field


def respell(header: str, draw: st.DataObject) -> str:
    """`header` in another case, with spaces around it."""
    cased = "".join(c.upper() if draw.draw(st.booleans()) else c.lower() for c in header)
    return draw.draw(st.sampled_from(["", " "])) + cased + draw.draw(st.sampled_from(["", "  "]))


def encodings(text: str) -> list[str]:
    found = ["utf-8", "utf-8-sig"]
    try:
        text.encode("cp1252")
        found.append("cp1252")
    except UnicodeEncodeError:
        pass
    return found


@settings(max_examples=60, deadline=None)
@given(injects=INJECTS.filter(bool), data=st.data())
def test_header_spelling_separator_and_encoding_change_nothing(
    injects: list[Inject], data: st.DataObject
) -> None:
    """Read with any alias in any case, any separator and any encoding a spreadsheet
    writes, a table gives what its canonical CSV gives."""
    canonical = export_msel(with_injects(injects), "csv")
    rows = csv_cells(canonical)
    expected = round_trip(with_injects(injects), "csv")
    keep = [k for k, name in enumerate(rows[0]) if name in SPELLINGS or name == "objective"]
    keep += [k for k, name in enumerate(rows[0]) if name in ("type", "method")]
    header = [
        respell(data.draw(st.sampled_from(SPELLINGS.get(rows[0][k], (rows[0][k],)))), data)
        for k in keep
    ]
    separator = data.draw(st.sampled_from(SEPARATORS))
    buffer = io.StringIO(newline="")
    quoting = data.draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    writer = csv.writer(buffer, delimiter=separator, quoting=quoting)  # CRLF, as Excel
    writer.writerow([*header, "Controller", "Core capability"])
    writer.writerows([[row[k] for k in keep] + ["Ana", "Planning"] for row in rows[1:]])
    text = buffer.getvalue()
    encoding = data.draw(st.sampled_from(encodings(text)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.csv"
        path.write_bytes(text.encode(encoding))
        assert read_msel(path) == expected


START = scenario().start


@settings(max_examples=40, deadline=None)
@given(minutes=st.integers(min_value=0, max_value=96 * 60), style=st.integers(0, 3))
def test_a_row_may_give_only_a_date_and_time(minutes: int, style: int) -> None:
    """Hours from the scenario's start, whatever the spelling of the date; without the
    scenario, refused with a message saying to pass it."""
    moment = START + timedelta(minutes=minutes)
    written = [
        moment.isoformat(),
        moment.strftime("%Y-%m-%d %H:%M"),
        moment.strftime("%d/%m/%Y %H:%M") if moment.day > 12 else moment.strftime("%Y-%m-%d %H:%M"),
        moment.strftime("%d.%m.%Y %H:%M"),
    ][style]
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(
            Path(folder) / "m.csv",
            [["Date", "From", "To", "Message"], [written, "a", "b", "c"]],
        )
        [inject] = read_msel(path, start=START)
        assert inject.time_hours == pytest.approx(minutes / 60, abs=1e-9)
        [message] = messages(path)
        assert message.startswith(f"{path}: line 2: Date: a date and time without scenario hours")
        assert "pass the scenario" in message


def test_dates_and_times_are_checked(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            ["Time", "When", "From", "To", "Message"],
            ["1", "2026-07-16 13:00", "a", "b", "agrees"],
            ["2", "2026-07-16 13:00", "a", "b", "disagrees"],
            ["", "2026-07-15 13:00", "a", "b", "before the start"],
            ["", "07/08/2026 10:00", "a", "b", "day or month?"],
            ["09:00", "", "a", "b", "clock or duration?"],
        ],
    )
    with pytest.raises(ScenarioError) as caught:
        read_msel(path, start=START)
    found = [str(p) for p in caught.value.problems]
    assert [m.split(": ")[1:3] for m in found] == [
        ["line 3", "When"],
        ["line 4", "When"],
        ["line 5", "When"],
        ["line 6", "Time"],
    ]
    assert "is hour 1, but Time says 2" in found[0]
    assert "before the scenario's start" in found[1]
    assert "YYYY-MM-DD" in found[2]
    assert "T+09:00" in found[3]


@pytest.mark.parametrize(
    ("written", "hours"),
    [
        ("2,5", 2.5),
        ("2.5", 2.5),
        ("2.5 h", 2.5),
        ("T+2,5", 2.5),
        ("H+02:30", 2.5),
        ("+1:15:36", 1.26),
    ],
)
def test_hours_are_read_as_facilitators_write_them(
    tmp_path: Path, written: str, hours: float
) -> None:
    path = tmp_path / "m.csv"
    path.write_text(f"Hour;From;To;Message\n{written};a;b;c\n", encoding="utf-8")
    [inject] = read_msel(path)
    assert inject.time_hours == pytest.approx(hours)


def test_an_inject_column_of_numbers_is_the_sequence(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "m.xlsx",
        [["Inject", "Time", "From", "To", "Message"], [7, 1, "a", "b", "c"], [3, 2, "a", "b", "d"]],
    )
    assert [i.sequence for i in read_msel(path)] == [7, 3]
    titled = write_xlsx(
        tmp_path / "t.xlsx",
        [["Subject", "Time", "From", "To", "Message"], ["Phase 2", 1, "a", "b", ""]],
    )
    assert [(i.sequence, i.message) for i in read_msel(titled)] == [(1, "Phase 2")]


def test_known_extra_columns_are_ignored_and_unknown_ones_named(tmp_path: Path) -> None:
    header = ["Time", "From", "To", "Message", "Controller", "Evaluator", "Core capability"]
    path = write_csv(tmp_path / "m.csv", [header, ["1", "a", "b", "c", "Ana", "Luis", "Ops"]])
    assert len(read_msel(path)) == 1
    path = write_csv(
        tmp_path / "m.csv", [[*header, "Budget"], ["1", "a", "b", "c", "", "", "", "9"]]
    )
    [message] = messages(path)
    assert message.startswith(f"{path}: line 1: column 8: unknown column 'Budget'")


def test_bad_cells_are_named_by_the_header_as_written(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("Time;Sender;To;Description\nsoon;a;b;c\n1;;b;c\n".encode("cp1252"))
    assert messages(path) == [
        f"{path}: line 2: Time: Input should be a valid number, unable to parse string as a number",
        f"{path}: line 3: Sender: String should have at least 1 character",
    ]


def test_with_msel_replaces_the_injects_and_checks_them(tmp_path: Path) -> None:
    grid = load_scenario(bundled_scenario("grid_cascade")).model_copy(update={"exercise": None})
    played = with_msel(grid, FACILITATOR)
    assert played.exercise is not None and len(played.exercise.injects) == 4
    assert played.model_copy(update={"exercise": None}) == grid
    late = write_csv(
        tmp_path / "late.csv",
        [["Time", "From", "To", "Message", "Objective"], ["500", "a", "b", "c", "nope"]],
    )
    with pytest.raises(ScenarioError) as caught:
        with_msel(grid, late)
    assert all(p.file == str(late) for p in caught.value.problems)
    assert {p.path for p in caught.value.problems} == {
        "exercise.injects[0].objective",
        "exercise.injects[0].time_hours",
    }


# The command line.


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_an_exercise_less_export_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    text = bundled_scenario("grid_cascade").read_text(encoding="utf-8")
    models = bundled_scenario("grid_cascade").parent.parent / "infrastructure_models"
    bare = text[: text.index("\nexercise:")].replace("../infrastructure_models", str(models))
    (tmp_path / "grid_bare.yaml").write_text(bare, encoding="utf-8")
    code, output = cli("msel", "export", str(tmp_path / "grid_bare.yaml"), "--out", str(out))
    assert code == 2 and not out.exists()
    [line] = output.splitlines()
    assert "grid_bare.yaml" in line and "exercise" in line


def test_import_into_keeps_the_scenarios_comments_and_refuses_to_overwrite(tmp_path: Path) -> None:
    source = tmp_path / "s.yaml"
    original = bundled_scenario("continental_final").read_text(encoding="utf-8")
    source.write_text(
        original.replace(
            "../infrastructure_models/",
            str(bundled_scenario("continental_final").parents[1] / "infrastructure_models") + "/",
        ),
        encoding="utf-8",
    )
    table = tmp_path / "m.xlsx"
    assert cli("msel", "export", str(source), "--out", str(table))[0] == 0
    code, output = cli("msel", "import", str(table), "--into", str(source), "--out", str(source))
    assert code == 2 and "--force" in output
    before = source.read_text(encoding="utf-8")
    code, output = cli(
        "msel", "import", str(table), "--into", str(source), "--out", str(source), "--force"
    )
    assert code == 0, output
    after = source.read_text(encoding="utf-8")
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in after.splitlines() for line in comments)
    loaded = load_scenario(source)
    assert loaded.exercise is not None
    assert loaded.exercise.injects == by_time(
        load_scenario(bundled_scenario("continental_final")).exercise.injects
    )  # type: ignore[union-attr]
    code, output = cli("msel", "import", str(table), "--into", str(source))
    assert code == 2 and "--out" in output


def test_an_invalid_import_into_writes_nothing(tmp_path: Path) -> None:
    table = write_csv(
        tmp_path / "m.csv", [["Time", "From", "To", "Message"], ["500", "a", "b", "c"]]
    )
    out = tmp_path / "new.yaml"
    code, output = cli("msel", "import", str(table), "--into", "grid_cascade", "--out", str(out))
    assert code == 2 and not out.exists()
    assert f"{out}: exercise.injects[0].time_hours: falls due after the scenario ends" in output
