"""The README's and docs' examples run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sim import bundled_scenario, load_scenario
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_python_examples_run(doc: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    for code in blocks(doc, "python"):
        exec(compile(code, str(doc), "exec"), {"__name__": "__main__"})
    if blocks(doc, "python"):
        assert capsys.readouterr().out


@pytest.mark.parametrize("doc", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_bash_examples_run(doc: Path, tmp_path: Path, monkeypatch) -> None:
    for folder in ("scenarios", "infrastructure_models"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    commands = [
        line.split("#")[0].strip()
        for block in blocks(doc, "bash")
        for line in block.splitlines()
        if line.startswith("cyberttx ")
    ]
    for command in commands:
        result = CliRunner().invoke(main, shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.output)


def test_the_readme_shows_what_you_can_do() -> None:
    commands = [line for block in blocks(ROOT / "README.md", "bash") for line in block.splitlines()]
    assert sum(line.startswith("cyberttx ") for line in commands) >= 9


def test_scenario_language_examples_are_valid() -> None:
    """The complete example loads; each fragment loads laid over the default scenario."""
    example, *fragments = blocks(ROOT / "docs" / "scenario-language.md", "yaml")
    scenario = load_scenario(yaml.safe_load(example))
    assert scenario.variants["more_fuel"]["assets"]["AUR-hosp"]["backup_hours"] == 48
    base = yaml.safe_load(bundled_scenario("grid_cascade").read_text())
    (model,) = base.pop("include")
    model_data = yaml.safe_load((bundled_scenario("grid_cascade").parent / model).read_text())
    base |= {k: model_data[k] for k in ("countries", "assets", "dependencies")}
    checked = 0
    for fragment in map(yaml.safe_load, fragments):
        if isinstance(fragment, dict) and not {"assets_csv", "include"} & set(fragment):
            load_scenario(base | fragment, base_dir=bundled_scenario("grid_cascade").parent)
            checked += 1
    assert checked >= 4


def test_the_exercise_example_loads_over_the_default_scenario() -> None:
    (example,) = [b for b in blocks(ROOT / "docs" / "exercises.md", "yaml") if "exercise:" in b]
    base = yaml.safe_load(bundled_scenario().read_text())
    base["exercise"] = yaml.safe_load(example)["exercise"]
    scenario = load_scenario(base, base_dir=bundled_scenario().parent)
    assert scenario.exercise is not None and scenario.exercise.injects[1].when is not None


def test_python_examples_with_a_process_pool_run_under_spawn(tmp_path: Path) -> None:
    """macOS and Windows start worker processes by importing the script again ('spawn'): an
    example that starts a pool outside a `__main__` guard would fail there, and fails here."""
    import subprocess
    import sys

    pooled = [code for doc in DOCS for code in blocks(doc, "python") if "executor_for(" in code]
    assert pooled
    for k, code in enumerate(pooled):
        script = tmp_path / f"example_{k}.py"
        script.write_text(
            'import multiprocessing\nmultiprocessing.set_start_method("spawn", force=True)\n' + code
        )
        done = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0 and done.stdout, done.stderr[-2000:]


def test_the_api_example_writes_the_tables_compare_writes(tmp_path: Path) -> None:
    from sim.analysis.designs import variants_design
    from sim.analysis.experiment import comparison_table
    from sim.analysis.export import experiment_tables
    from sim.analysis.study import Study
    from sim.schema.resolve import resolve

    out = tmp_path / "cmp"
    args = ["compare", "ransomware_wave", "--variants", ",all_cbms", "-n", "3", "--workers", "1"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    resolved = resolve("ransomware_wave")
    design = variants_design(resolved.written, [None, "all_cbms"])
    rows = Study(design.runs, replications=3, seed=resolved.seed()).run().rows
    tables = experiment_tables(rows, comparison_table(rows), "comparison.csv")
    for name in ("comparison.csv", "replications.csv"):
        assert tables[name] == (out / name).read_bytes(), name
