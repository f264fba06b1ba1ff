"""Every event kind the engine records is a named constant of `sim.engine.kinds`, and
docs/engine.md documents each in its table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import sim
from sim.engine import kinds
from sim.engine.exercise import run_exercise
from sim.engine.world import run_replication

ROOT = Path(__file__).resolve().parents[1]
LOGGERS = {"log": 1, "_log": 0, "_log_backup": 1}
"""The functions through which the engine writes rows, with where their kind goes."""


def constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(kinds).items()
        if name.isupper() and isinstance(value, str)
    }


def test_kinds_lists_every_constant_once() -> None:
    assert sorted(kinds.KINDS) == sorted(constants().values())
    assert len(set(kinds.KINDS)) == len(kinds.KINDS)


@pytest.mark.parametrize("path", sorted((ROOT / "sim" / "engine").glob("*.py")), ids=str)
def test_the_engine_logs_no_kind_as_a_bare_string(path: Path) -> None:
    def kind_of(call: ast.Call) -> ast.expr | None:
        position = LOGGERS.get(getattr(call.func, "attr", getattr(call.func, "id", "")))
        if position is None:
            return None
        if len(call.args) <= position:
            return next((k.value for k in call.keywords if k.arg == "kind"), None)
        return call.args[position]

    bare = [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(kind := kind_of(node), ast.Constant)
        and isinstance(kind.value, str)
    ]
    assert not bare


def test_every_kind_recorded_by_the_bundled_scenarios_is_declared() -> None:
    seen: set[str] = set()
    for path in sim.list_scenarios().values():
        scenario = sim.load_scenario(path)
        seen |= {row.kind for row in run_replication(scenario).events}
        if scenario.exercise is not None:
            for pick in (0, -1):
                records = run_exercise(
                    scenario, scenario.seed, lambda p, w, k=pick: k % len(p.options)
                )
                seen |= {row.kind for row in records.events}
    assert seen <= set(kinds.KINDS)
    assert len(seen) > len(kinds.KINDS) // 2  # the runs did reach most of the engine


def test_the_docs_table_lists_every_kind_with_its_value() -> None:
    text = (ROOT / "docs" / "engine.md").read_text()
    rows = dict(re.findall(r"^\s*\| `([A-Z_]+)` \| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    assert rows == constants()


TAKEN_APART = {"split", "rsplit", "partition", "rpartition", "startswith", "endswith"}
"""String methods that would read a value back out of a row's detail."""


@pytest.mark.parametrize("path", sorted((ROOT / "sim").rglob("*.py")), ids=str)
def test_no_module_parses_a_value_out_of_a_rows_detail(path: Path) -> None:
    """A row's detail is one value (a level, a type, a message, a stage's label) compared
    whole; what else a row means is its kind."""

    def is_detail(node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "detail"

    parsed = [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text()))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TAKEN_APART
            and is_detail(node.func.value)
        )
        or (isinstance(node, ast.Subscript) and is_detail(node.value))
    ]
    assert not parsed
