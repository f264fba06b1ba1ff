"""Fuzzing every file a user hands over: Hypothesis mutates valid scenarios, decisions files
(which are also the format of saved sessions), MSEL tables (CSV and XLSX), sweep parameters
and experiment journals (wrong types at every level, deletions, duplications,
huge values, NaN and infinities, hidden characters, formula-like text), and each mutation
goes through the command that reads it. The only outcomes allowed: success, or exit 2 with a
message naming the file; never a traceback, never output on refusal, always bounded time.

CYBERTTX_FUZZ_EXAMPLES=N (default 25) sets the examples per target; CI runs the default,
a longer run is `CYBERTTX_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import bundled_scenario
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("CYBERTTX_FUZZ_EXAMPLES", "25"))
SECONDS = 20.0
"""The longest any one command may take on a mutated file."""

HOSTILE = st.sampled_from(
    [
        None,
        "",
        "x" * 5000,
        -1,
        0,
        10**30,
        1e308,
        float("nan"),
        float("inf"),
        -float("inf"),
        True,
        [],
        {},
        [1, [2, [3]]],
        {"a": {"b": None}},
        "=cmd|'/C calc'!A0",
        "evil\u202etxt",
        "nul\x00byte",
        "9999-12-31T23:00:00Z",
        "../../../../etc/passwd",
        "$x^2$",
        "²",
    ]
)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested mappings and lists."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with one to three mutations: a value replaced by a hostile one, a key or item
    deleted, or an item duplicated."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        where = paths(data)
        if not where:
            break
        path = draw(st.sampled_from(where))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        kind = draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
        if kind == "replace":
            parent[last] = copy.deepcopy(draw(HOSTILE))  # never the shared constant
        elif kind == "delete":
            del parent[last]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return data


def check(args: list[str], out: Path, file: Path) -> None:
    """Run a command; it must succeed or refuse in one short message naming `file`."""
    began = time.perf_counter()
    result = CliRunner().invoke(main, args)
    elapsed = time.perf_counter() - began
    assert elapsed < SECONDS, (args, elapsed)
    assert result.exit_code in (0, 2), (args, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert not out.exists(), args  # nothing written on refusal
        assert str(file) in result.output or file.name in result.output, result.output


@cache
def scenario_base() -> dict[str, Any]:
    """A small scenario using most of the language: network, CBMs, a campaign, an exercise."""
    data = yaml.safe_load(bundled_scenario("ransomware_wave").read_text())
    data["include"] = [str(ROOT / "infrastructure_models" / "two_countries.yaml")]
    data["duration_hours"] = 48
    data["events"] = [
        {
            "id": "e",
            "name": "summit",
            "country": "AUR",
            "windows": [{"name": "w", "start_hours": 2, "end_hours": 20, "incident_surge": 2}],
        }
    ]
    data["exercise"] = {
        "title": "t",
        "teams": [{"id": "t", "name": "team"}],
        "injects": [{"sequence": 1, "time_hours": 1, "from": "a", "to": "b", "message": "m"}],
        "decision_points": [
            {
                "id": "d",
                "at_hours": 5,
                "team": "t",
                "prompt": "?",
                "options": [
                    {"label": "no"},
                    {
                        "label": "yes",
                        "actions": [
                            {"action": "request_assistance", "country": "BOR", "from": "AUR"}
                        ],
                    },
                ],
            }
        ],
    }
    return data


@FUZZ
@given(data=st.data())
def test_mutated_scenarios_run_or_are_refused(tmp_path_factory: Any, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    scenario = data.draw(mutated(scenario_base()))
    path = tmp / "s.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True))
    check(["validate", str(path)], tmp / "none", path)
    check(["run", str(path), "--out", str(tmp / "run")], tmp / "run", path)


@cache
def decisions_base() -> dict[str, Any]:
    return {
        "scenario": "continental_final",
        "seed": 5,
        "variant": None,
        "decisions": [
            {"point": "alert-before-the-final", "option": 1, "label": "x", "time_hours": 20.0},
            {"point": "venue-network", "option": 0, "label": "y", "time_hours": 63.0},
        ],
    }


@FUZZ
@given(data=st.data())
def test_mutated_decisions_files_replay_or_are_refused(
    tmp_path_factory: Any, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    path = tmp / "d.yaml"
    path.write_text(yaml.safe_dump(data.draw(mutated(decisions_base())), allow_unicode=True))
    out = tmp / "room"
    check(["play", "--decisions", str(path), "--out", str(out)], out, path)


@cache
def session_base() -> dict[str, Any]:
    """A session saved with `q`: decisions so far, one undone, where it stopped."""
    undone = {"point": "venue-network", "option": 1, "label": "z", "time_hours": 62.0}
    return decisions_base() | {"stopped_at": 64.5, "undone": [undone]}


@FUZZ
@given(data=st.data())
def test_mutated_saved_sessions_resume_or_are_refused(
    tmp_path_factory: Any, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    path = tmp / "room.session.yaml"
    path.write_text(yaml.safe_dump(data.draw(mutated(session_base())), allow_unicode=True))
    out = tmp / "room"
    check(["play", "--resume", str(path), "--out", str(out)], out, path)  # no input: it saves


MSEL_HEADER = "sequence,time_hours,type,method,from,to,message,expected_action,objective"


def _write_msel(path: Path, rows: list[list[Any]], far_cell: bool) -> None:
    """`rows` as a CSV file or, for a .xlsx path, a workbook (optionally with one cell at the
    sheet's far corner, which makes a naive reader walk a million rows)."""
    if path.suffix == ".csv":
        import csv
        import io

        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8", errors="replace")
        return
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # what a workbook cannot hold

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    if far_cell:
        sheet["XFD1048576"] = "far"
    book.save(path)


@FUZZ
@given(
    cells=st.lists(
        st.lists(
            st.one_of(HOSTILE.map(str), st.text(max_size=12), st.floats(), st.integers()),
            min_size=9,
            max_size=9,
        ),
        max_size=4,
    ),
    header=st.sampled_from([MSEL_HEADER, "Time,Inject,From,To,Message", "", "a;b;c", "x,x"]),
    suffix=st.sampled_from([".csv", ".xlsx"]),
    far_cell=st.booleans(),
)
def test_mutated_msel_tables_import_or_are_refused(
    tmp_path_factory: Any, cells: list[list[Any]], header: str, suffix: str, far_cell: bool
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    path = tmp / f"msel{suffix}"
    _write_msel(path, [header.split(","), *cells], far_cell)
    out = tmp / "injects.yaml"
    check(["msel", "import", str(path), "--out", str(out)], out, path)


SWEEPABLE = (
    "parameters.stop_on_detection",
    "duration_hours",
    "network.sharing_coverage",
    "countries.AUR.background.per_day",
    "campaigns.0.stages",
    "nothing.here",
)


@FUZZ
@given(
    path=st.sampled_from(SWEEPABLE),
    values=st.lists(
        st.one_of(
            HOSTILE.map(str),
            st.text(max_size=8),
            st.floats().map(repr),
            st.sampled_from(["0.2", "0.9", "24", "3"]),
        ),
        min_size=1,
        max_size=2,
    ),
)
def test_mutated_sweep_parameters_run_or_are_refused(
    tmp_path_factory: Any, path: str, values: list[str]
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    scenario = tmp / "s.yaml"
    scenario.write_text(yaml.safe_dump(scenario_base()))
    param = f"{path}={','.join(values)}"
    out = tmp / "sweep"
    began = time.perf_counter()
    args = ["sweep", str(scenario), "--param", param, "-n", "2", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert time.perf_counter() - began < SECONDS, args
    assert result.exit_code in (0, 2), (args, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert not out.exists()
        assert "--param" in result.output or str(scenario) in result.output, result.output


@pytest.mark.slow
@settings(max_examples=max(3, EXAMPLES // 5), deadline=None)
@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=40),
            st.sampled_from(
                [
                    b'{"variant": "as_written", "replication": 0}',
                    b'{"variant": 5, "replication": -1, "result": []}',
                    b'{"seed": "x", "variants": 3}',
                    b"[]",
                    b"null",
                ]
            ),
        ),
        max_size=6,
    )
)
def test_damaged_journals_resume_or_are_refused(tmp_path_factory: Any, lines: list[bytes]) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    journal = tmp / "c.journal.jsonl"
    journal.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp / "c"
    args = ["compare", "ransomware_wave", "--variants", ",all_cbms", "-n", "2", "--workers", "1"]
    check([*args, "--resume", "--out", str(out)], tmp / "never", journal)


COMPARE = ["compare", "ransomware_wave", "--variants", ",all_cbms", "-n", "2", "--workers", "1"]


@cache
def real_journal() -> list[Any]:
    """The journal lines `COMPARE` writes (a header, then batches of runs), parsed."""
    from sim.analysis.designs import variants_design
    from sim.analysis.study import Study
    from sim.schema.resolve import resolve

    resolved = resolve("ransomware_wave")
    design = variants_design(resolved.written, [None, "all_cbms"])
    folder = Path(tempfile.mkdtemp())
    journal = folder / "c.journal.jsonl"
    Study(design.runs, replications=2, seed=resolved.seed(), journal=journal).run()
    lines = [json.loads(line) for line in journal.read_bytes().splitlines()]
    shutil.rmtree(folder)
    return lines


@pytest.mark.slow
@settings(max_examples=max(2, EXAMPLES // 10), deadline=None)
@given(data=st.data())
def test_mutated_real_journals_resume_or_are_refused(
    tmp_path_factory: Any, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    journal = tmp / "c.journal.jsonl"
    lines = data.draw(mutated(real_journal()))
    journal.write_bytes(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    check([*COMPARE, "--resume", "--out", str(tmp / "c")], tmp / "never", journal)
