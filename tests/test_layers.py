"""The application layer's promises: one-way imports, no process-wide state below the command
line, bad input is an InputError (exit 2) and anything else shows as the bug it is."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.analysis.designs import sweep_design, variants_design
from sim.analysis.result import run, run_resolved
from sim.analysis.study import Study
from sim.cli import main
from sim.errors import InputError
from sim.facilitation.session import decisions_file, open_session, replay
from sim.library import UnknownScenario
from sim.schema.load import load_scenario
from sim.schema.resolve import resolve

SIM = Path(__file__).resolve().parents[1] / "sim"
SCENARIOS = SIM.parent / "scenarios"
LIBRARY = [p for p in SIM.rglob("*.py") if "cli" not in p.relative_to(SIM).parts[0]]
ORDER = ["schema", "engine", "analysis", "report", "facilitation"]
"""Lower layers first: a module may import its own layer and those before it; report and
facilitation, one layer, may use each other's data types."""


def _imports(path: Path) -> list[str]:
    """The `sim` modules `path` imports, as dotted names relative to `sim`."""
    package = path.relative_to(SIM).parent.parts
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.append(".".join([*base, *(node.module or "").split(".")]).strip("."))
            elif node.module and node.module.split(".")[0] == "sim":
                found.append(node.module.removeprefix("sim").strip("."))
        elif isinstance(node, ast.Import):
            found += [a.name.removeprefix("sim").strip(".") for a in node.names if a.name == "sim"]
    return found


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(SIM)))
def test_library_modules_import_down_never_the_root_or_the_cli(path: Path) -> None:
    layer = path.relative_to(SIM).parts[0]
    for name in _imports(path):
        top = name.split(".")[0]
        assert name != "" or path.name in {"__init__.py", "__main__.py"}, "imports sim itself"
        assert top != "cli" or path.name == "__main__.py"
        if layer in ORDER and top in ORDER:
            same_level = {layer, top} == {"report", "facilitation"}
            assert ORDER.index(top) <= ORDER.index(layer) or same_level, f"{layer} -> {name}"


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(SIM)))
def test_library_code_leaves_process_wide_state_alone(path: Path) -> None:
    text = path.read_text()
    assert "os.umask" not in text
    assert "import click" not in text
    if path.name != "gc_pause.py":
        assert "gc.disable" not in text and "gc.freeze" not in text
    tree = ast.parse(text)
    for node in tree.body:  # no module-level caches keyed by object identity
        assert "id(" not in ast.unparse(node) or isinstance(node, ast.FunctionDef | ast.ClassDef)


def test_an_engine_bug_is_a_traceback_not_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("sim.cli.scenarios.run_resolved", broken)
    result = CliRunner().invoke(main, ["run", "ransomware_wave", "--out", "/nonexistent/x"])
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)


def test_bad_input_is_an_input_error_naming_what_is_wrong() -> None:
    with pytest.raises(UnknownScenario) as caught:
        resolve("no_such_scenario")
    assert isinstance(caught.value, InputError) and isinstance(caught.value, KeyError)
    assert "no_such_scenario" in str(caught.value) and "continental_final" in str(caught.value)
    with pytest.raises(InputError, match="unknown variant"):
        resolve("ransomware_wave", variant="nope")
    written = resolve("ransomware_wave").written.model_dump(mode="json")
    for at in (written, written["exercise"] or {}):
        at["seed"] = True  # YAML's `seed: true` is not seed 1
        with pytest.raises(InputError, match="seed"):
            load_scenario(written, base_dir=SCENARIOS)
        at["seed"] = 1
    for grid in ({}, {"parameters.stop_on_detection": 0.5}, {"parameters.stop_on_detection": []}):
        with pytest.raises(InputError):
            sweep_design(resolve("ransomware_wave").scenario, grid)


def test_a_resolved_run_is_labelled_with_the_variant_it_ran() -> None:
    resolved = resolve("ransomware_wave", variant="all_cbms")
    result = run_resolved(resolved, seed=3)
    assert result.variant == "all_cbms"
    assert result.records.events == run(resolved.written, "all_cbms", 3).records.events


def test_a_study_gives_the_cli_results_and_resumes_from_its_journal(tmp_path: Path) -> None:
    resolved = resolve("ransomware_wave")
    design = variants_design(resolved.written, [None, "all_cbms"])
    whole = Study(design.runs, 3, resolved.seed()).run()
    journal = tmp_path / "x.journal.jsonl"
    Study(design.runs, 2, resolved.seed(), journal).run()  # two of three, then "interrupted"
    with pytest.raises(InputError, match="interrupted experiment"):
        Study(design.runs, 3, resolved.seed(), journal)
    resumed = Study(design.runs, 3, resolved.seed(), journal, resume=True)
    assert len(resumed.reused) == 4
    assert json.dumps(resumed.run().rows) == json.dumps(whole.rows)  # NaN included
    resumed.finish()
    assert not journal.exists()


def test_a_replayed_session_repeats_its_decisions(tmp_path: Path) -> None:
    session = open_session("continental_final")
    first = replay(session, policy="last")
    path = tmp_path / "d.yaml"
    path.write_bytes(decisions_file(session, first))
    again = replay(open_session(decisions=path))
    assert first.result is not None and again.result is not None
    assert len(again.taken) == len(first.taken)
    assert [d.option for d in again.taken] == [d.option for d in first.taken]
    assert again.result.records.events == first.result.records.events


def test_a_bundled_scenario_is_recorded_by_name_and_bad_seeds_are_input_errors() -> None:
    session = open_session("continental_final")
    assert session.about()["scenario"] == "continental_final"  # replays after a reinstall
    with pytest.raises(InputError, match="seed"):
        open_session("continental_final", seed=-5)
    design = variants_design(resolve("ransomware_wave").written, [None, "all_cbms"])
    for seed, replications in ((-1, 2), (1, 0)):
        with pytest.raises(InputError):
            Study(design.runs, replications, seed)
    with pytest.raises(InputError, match="list of variant names"):
        variants_design(resolve("ransomware_wave").written, "all_cbms")
