"""MSEL export and import: the round trip loses nothing, and bad files give ScenarioError."""

from __future__ import annotations

import csv
import io
import tempfile
from functools import cache
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Scenario, ScenarioError, bundled_scenario, load_scenario
from sim.facilitation.msel import MSEL_COLUMNS, export_msel, injects_yaml, read_msel
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
).map(Inject.model_validate)
INJECTS = st.lists(INJECT, max_size=4, unique_by=lambda i: i.sequence)
Format = Literal["csv", "xlsx"]


@cache
def scenario() -> Scenario:
    return load_scenario(bundled_scenario("continental_final"))


def with_injects(injects: list[Inject] | tuple[Inject, ...]) -> Scenario:
    exercise = Exercise(title="t", injects=tuple(injects))
    return scenario().model_copy(update={"exercise": exercise})


def round_trip(injects: list[Inject], fmt: Format) -> tuple[Inject, ...]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"msel.{fmt}"
        path.write_bytes(export_msel(with_injects(injects), fmt))
        return read_msel(path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@settings(max_examples=40, deadline=None)
@given(injects=INJECTS)
def test_export_then_import_loses_nothing(fmt: Format, injects: list[Inject]) -> None:
    assert round_trip(injects, fmt) == tuple(
        sorted(injects, key=lambda i: (i.time_hours, i.sequence))
    )


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
    rows = list(csv.reader(io.StringIO(export_msel(with_injects(injects), "csv").decode())))
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
        header = export_msel(empty, "csv").decode().splitlines()
        assert header == [",".join(MSEL_COLUMNS)]


def test_xlsx_layout_keeps_formula_like_text_as_text() -> None:
    inject = Inject(sequence=1, time_hours=0, sender="a", recipient="b", message="=1+1")
    book = openpyxl.load_workbook(io.BytesIO(export_msel(with_injects([inject]), "xlsx")))
    sheet = book["MSEL"]
    assert [c.value for c in sheet[1]] == list(MSEL_COLUMNS)
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    message = sheet.cell(row=2, column=MSEL_COLUMNS.index("message") + 1)
    assert (message.value, message.data_type, message.quotePrefix) == ("=1+1", "s", True)
    assert message.alignment.wrap_text
    assert sheet.column_dimensions["H"].width == 60


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
    path = write_csv(tmp_path / "m.csv", [["sequence", "time_hours", "to", "notes", "to"]])
    expected = ", ".join(MSEL_COLUMNS)
    assert messages(path) == [
        f"{path}: line 1: {problem} (the columns are {expected})"
        for problem in (
            "unknown column 'notes'",
            "column 'to' appears twice",
            "missing column 'from'",
            "missing column 'message'",
        )
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
