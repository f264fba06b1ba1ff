"""Columnar loading of CSV tables gives exactly what row-by-row validation gives: the same
scenario, or the same problems."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import model_validator

from sim import ScenarioError, load_scenario
from sim.atomic import write_folder
from sim.schema.columnar import build_items, split_plain
from sim.schema.infrastructure import Asset, Dependency
from sim.schema.load import read_csv
from sim.synthetic import synthetic_files


def both(path: Path) -> tuple[object, object]:
    """What the columnar and the row-by-row loader make of a scenario: the scenario, or the
    problems as text."""
    found = []
    for columnar in (True, False):
        try:
            found.append(load_scenario(path, columnar=columnar))
        except ScenarioError as error:
            found.append([str(p) for p in error.problems])
    return found[0], found[1]


@pytest.mark.parametrize(("assets", "countries", "seed"), [(1, 1, 0), (40, 3, 1), (600, 2, 7)])
def test_synthetic_models_load_the_same_both_ways(
    tmp_path: Path, assets: int, countries: int, seed: int
) -> None:
    write_folder(tmp_path / "m", synthetic_files(assets, countries, seed))
    fast, slow = both(tmp_path / "m" / "scenario.yaml")
    assert fast == slow and fast.digest() == slow.digest()  # type: ignore[attr-defined]
    pairs = zip(fast.assets + fast.dependencies, slow.assets + slow.dependencies, strict=True)  # type: ignore[attr-defined]
    for a, b in pairs:
        assert a.__dict__ == b.__dict__ and a.model_fields_set == b.model_fields_set


def test_generated_tables_take_the_columnar_path() -> None:
    """Asset and Dependency are models the columnar path checks without falling back."""
    files = synthetic_files(50, 2, 0)
    for name, model in (("assets.csv", Asset), ("dependencies.csv", Dependency)):
        table = split_plain(files[name])
        assert table is not None
        items = build_items(model, table.header, table.cells)
        assert items is not None and len(items) == len(table.lines)


def test_a_model_the_columnar_path_cannot_vouch_for_falls_back() -> None:
    class Checked(Dependency):
        @model_validator(mode="after")
        def _never(self) -> Checked:
            raise ValueError("no")

    cells = [("a",), ("b",), ("0.5",)]
    assert build_items(Dependency, ["supplier", "dependent", "strength"], cells) is not None
    assert build_items(Checked, ["supplier", "dependent", "strength"], cells) is None
    assert build_items(Dependency, ["supplier", "dependent", "colour"], cells) is None
    assert build_items(Dependency, ["supplier", "dependent"], cells[:2]) is None  # required


TEXT = st.text(st.sampled_from(["a", "é", ",", ";", " ", '"', "\n", "\r", "\x00", "\u200b"]))


@settings(max_examples=300, deadline=None)
@given(TEXT, st.booleans())
def test_plain_splitting_reads_as_the_csv_module_does(text: str, bom: bool) -> None:
    data = ("\ufeff" if bom else "") + text
    table = split_plain(data.encode())
    if table is None:
        return
    header, rows = read_csv(Path("t.csv"), data.encode())  # never raises where split_plain reads
    assert table.header == header and list(table.lines) == [line for line, _ in rows]
    assert [list(row) for row in zip(*table.cells, strict=True)] == [cells for _, cells in rows]


SCENARIO = """name: t
start: "2026-01-01T00:00:00Z"
duration_hours: 24
countries: [{id: A, name: Aland}, {id: B, name: Bland}]
assets_csv: a.csv
dependencies_csv: d.csv
"""
HEADER = ["id", "name", "sector", "country", "operator", "owner", "weight", "backup_hours"]
ASSETS = [
    [*HEADER, "recovery.dist", "recovery.median", "recovery.p90", "recovery.hours", "prevention"],
    ["A-grid", "Grid", "energy", "A", "public", "", "2", "0", "lognormal", "2", "6", "", "0.5"],
    ["A-hosp", "Hospital", "health", "A", "", "Care", "1e3", "4.5", "fixed", "", "", "2", ""],
    ["B-core", "Core", "telecom", "B", "private", "Tel", "", ".5", "lognormal", "1", "3", "", "1"],
    ["B-bank", "Bank", "finance", "B", "public", "", "7", "", "fixed", "", "", "0", "0"],
]
DEPENDENCIES = [
    ["supplier", "dependent", "kind", "strength", "delay_hours"],
    ["A-grid", "A-hosp", "physical", "0.9", "0"],
    ["A-grid", "B-core", "", "0.25", "1.5"],
    ["B-core", "B-bank", "cyber", "1", ""],
]
NUMBERS = ["", " ", "-1", "1e999", "nan", "inf", "0x10", "1_0", "+1", "5.", "2E-3", "1.5.2"]
WORDS = ["watr", "energy", "Public", "weibull", "fixed", "A", "ZZ", "A-grid", " B-core", "a>b"]
ODD = ["\u0661", "x\u200by", "x\x07", "\ufeff", 'say "hi"', "two\nlines", "a,b", "x" * 130]
CELLS = st.sampled_from([*NUMBERS, *WORDS, *ODD, "y" * 301, "é"])


def _table(rows: list[list[str]], edits: list[tuple[int, int, str]], raw: bool) -> str:
    rows = [list(row) for row in rows]
    for r, c, cell in edits:
        row = rows[r % len(rows)]
        row[c % len(row)] = cell
    if raw:  # no quoting: the cells' commas and line breaks change the table's shape
        return "".join(",".join(row) + "\n" for row in rows)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


EDITS = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), CELLS), max_size=3)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    EDITS,
    EDITS,
    st.booleans(),
    st.sampled_from(["", "\ufeff"]),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(0, 6),
)
def test_bad_cells_give_the_same_problems_both_ways(
    asset_edits: list[tuple[int, int, str]],
    dependency_edits: list[tuple[int, int, str]],
    raw: bool,
    bom: str,
    newline: str,
    blank_at: int,
) -> None:
    assets = _table(ASSETS, asset_edits, raw).splitlines(keepends=True)
    assets.insert(min(blank_at, len(assets)), ",,\n" if blank_at % 2 else "\n")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "s.yaml").write_text(SCENARIO)
        text = bom + "".join(assets).replace("\n", newline)
        (root / "a.csv").write_bytes(text.encode())
        (root / "d.csv").write_text(_table(DEPENDENCIES, dependency_edits, raw))
        fast, slow = both(root / "s.yaml")
    assert fast == slow
