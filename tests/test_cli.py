"""The `cyberttx` command as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim import bundled_scenario
from sim.cli import main


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_default_writes_the_four_files(tmp_path: Path) -> None:
    code, out, _ = invoke("run", "--out", str(tmp_path / "r"))
    assert code == 0, out
    assert "Service-hours lost" in out and "Cascade depth" in out
    files = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert files == [".cyberttx", "events.csv", "metrics.json", "run.json", "series.csv"]
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    assert {"resolved_scenario_sha256", "scenario_file_sha256", "seed", "variant"} <= set(run)
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["service_hours_lost"] > 0
    assert (tmp_path / "r" / "series.csv").read_text().startswith("time,asset,q\n")


def test_run_is_deterministic_and_seed_and_variant_matter(tmp_path: Path) -> None:
    def metrics(*args: str) -> dict:
        out = tmp_path / str(len(list(tmp_path.iterdir())))
        assert invoke("run", "grid_cascade", *args, "--out", str(out))[0] == 0
        return json.loads((out / "metrics.json").read_text())

    assert metrics("--seed", "3") == metrics("--seed", "3")
    assert metrics("--seed", "3") != metrics("--seed", "4")
    assert metrics("--seed", "3") != metrics("--seed", "3", "--variant", "islanded_borealis")


def test_default_output_folder_is_under_results(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("run", "grid_cascade")[0] == 0
    (folder,) = (tmp_path / "results").iterdir()
    assert folder.name.startswith("grid_cascade-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_scenario"], "no bundled scenario 'no_such_scenario'"),
        (["run", "--variant", "nope"], "continental_final.yaml: unknown variant 'nope'"),
        (["run", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_bad_input_exits_2_without_output(tmp_path: Path, args: list[str], message: str) -> None:
    code, out, err = invoke(*args, "--out", str(tmp_path / "r"))
    assert code == 2
    assert message in err and "Traceback" not in err + out
    assert not (tmp_path / "r").exists()


def test_malformed_scenario_exits_2_naming_file_and_field(tmp_path: Path) -> None:
    text = bundled_scenario("grid_cascade").read_text().replace("asset: AUR-grid", "asset: XX-grid")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace(
            "../infrastructure_models",
            str(bundled_scenario("grid_cascade").parents[1] / "infrastructure_models"),
        )
    )
    code, _, err = invoke("run", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2
    assert f"{bad}: disruptions[0].asset: unknown asset 'XX-grid'" in err
    assert not (tmp_path / "r").exists()


def test_validate(tmp_path: Path) -> None:
    good = str(bundled_scenario("grid_cascade"))
    code, out, _ = invoke("validate", good)
    assert code == 0 and out.startswith(f"OK {good}")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02\xff")
    (tmp_path / "empty.yaml").write_text("")
    code, out, err = invoke(
        "validate", good, str(tmp_path / "binary.yaml"), str(tmp_path / "empty.yaml")
    )
    assert code == 2 and out.startswith("OK")
    assert "binary.yaml: not a UTF-8 text file" in err and "empty.yaml: is empty" in err


def test_schema_describes_the_language(tmp_path: Path) -> None:
    code, out, _ = invoke("schema")
    schema = json.loads(out)
    assert code == 0
    assert {"assets", "dependencies", "disruptions", "variants", "include"} <= set(
        schema["properties"]
    )
    assert schema["additionalProperties"] is False
    code, _, _ = invoke("schema", "--kind", "model", "--out", str(tmp_path / "m.json"))
    model = json.loads((tmp_path / "m.json").read_text())
    assert "disruptions" not in model["properties"] and "assets_csv" in model["properties"]


def test_list_names_the_default() -> None:
    code, out, _ = invoke("list")
    assert code == 0 and "continental_final (default)" in out


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    import sim.atomic

    def explode(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.atomic.os, "rename", explode)
    invoke("run", "--out", str(tmp_path / "r"))
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert invoke("run", "--seed", "1", "--out", str(out))[0] == 0
    first = (out / "metrics.json").read_text()
    code, _, err = invoke("run", "--seed", "2", "--out", str(out))
    assert code == 2 and "already exists" in err
    assert (out / "metrics.json").read_text() == first
    assert invoke("run", "--seed", "2", "--out", str(out), "--force")[0] == 0
    assert (out / "metrics.json").read_text() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no staging left behind


@pytest.mark.parametrize("out", ["", "file.txt/sub", "/dev/null"])
def test_unusable_output_paths_exit_2(tmp_path: Path, monkeypatch, out: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep me")
    code, stdout, err = invoke("run", "--out", out)
    assert code == 2 and "Traceback" not in stdout + err
    assert (tmp_path / "file.txt").read_text() == "keep me"


def test_default_folders_never_collide(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(3):
        assert invoke("run")[0] == 0
    assert len(list((tmp_path / "results").iterdir())) == 3


def test_graph_draws_scenarios_and_models(tmp_path: Path) -> None:
    from sim.library import library_root

    model = library_root() / "infrastructure_models" / "two_countries.yaml"
    for source, stem in ((None, "s"), (str(model), "m")):
        args = ["graph", *([source] if source else []), "--out", str(tmp_path / stem)]
        code, _, err = invoke(*args)
        assert code == 0, err
        assert (tmp_path / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in (tmp_path / f"{stem}.svg").read_bytes()
    code, _, err = invoke("graph", "--out", str(tmp_path / "named.png"))
    assert code == 0 and (tmp_path / "named.svg").exists(), err
    assert not list(tmp_path.glob("named.png.*"))
    code, _, err = invoke("graph", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in err


def test_graph_layout_gives_every_asset_its_own_place() -> None:
    from sim import load_scenario
    from sim.report.graph import layout

    scenario = load_scenario(bundled_scenario("grid_cascade"))
    positions = layout(scenario)
    assert set(positions) == {a.id for a in scenario.assets}
    assert len(set(positions.values())) == len(positions)


def test_default_scenario_has_every_variant_the_library_promises() -> None:
    from sim import load_scenario

    variants = set(load_scenario(bundled_scenario()).variants)
    cbms = {
        "points_of_contact",
        "incident_sharing",
        "severity_schemes",
        "un_norms",
        "multistakeholder",
        "international_law_dialogue",
        "womens_participation",
    }
    assert {"baseline", "no_network", "all_cbms", "all_cbms_joint_cell"} | cbms <= variants


def test_force_replaces_only_a_folder_cyberttx_wrote(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    code, out, err = invoke("run", "--out", str(mine), "--force")
    assert code == 2 and "did not write" in out + err
    assert (mine / "notes.txt").read_text() == "my notes"
    assert invoke("run", "--out", str(tmp_path / "r"))[0] == 0
    assert invoke("run", "--out", str(tmp_path / "r"), "--force")[0] == 0


def test_a_write_interrupted_long_ago_is_cleared_on_the_next(tmp_path: Path) -> None:
    import os

    leftover = tmp_path / ".r.0123456789ab.tmp"  # as _staging names it
    leftover.mkdir()
    os.utime(leftover, (1, 1))
    assert invoke("run", "--out", str(tmp_path / "r"))[0] == 0
    assert not leftover.exists()


def test_every_command_is_found_and_loads_only_its_own_module() -> None:
    """Commands are defined in modules imported on first use: each name maps to the module
    that defines it, and no module defines a command the map does not name."""
    import importlib
    import subprocess
    import sys

    from sim.cli.common import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"sim.cli.{module}")
    assert set(main.commands) == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        callback = main.commands[name].callback
        assert callback is not None and callback.__module__ == f"sim.cli.{module}"
    probe = (
        "import sys; from sim.cli import main; main(['run', '--help'], standalone_mode=False); "
        "print(sorted(m for m in sys.modules if m.startswith('sim.cli.')))"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert shown.stdout.strip().endswith("['sim.cli.common', 'sim.cli.scenarios']")


def test_resuming_from_an_unreadable_journal_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "out.journal.jsonl").write_bytes(b"\x00garbage\n")
    args = ["compare", "continental_final", "--variants", "baseline,all_cbms", "-n", "2"]
    result = CliRunner().invoke(main, [*args, "--workers", "1", "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert "No finished run of this experiment could be read" in result.output


def test_ctrl_c_outside_the_runs_ends_with_one_line_and_status_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.cli import scenarios

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(scenarios, "run_resolved", interrupted)
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "out")])
    assert result.exit_code == 130
    assert result.output.strip() == "Interrupted; no output was written."
    assert not (tmp_path / "out").exists()


def test_ctrl_c_after_an_experiments_runs_says_how_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.cli import experiments

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(experiments, "_finish", interrupted)
    out = tmp_path / "out"
    args = ["compare", "continental_final", "--variants", "baseline,all_cbms", "-n", "2"]
    result = CliRunner().invoke(main, [*args, "--workers", "1", "--out", str(out)])
    assert result.exit_code == 130
    assert "add --resume to the same command" in result.output
    resumed = CliRunner().invoke(main, [*args, "--workers", "1", "--out", str(out), "--resume"])
    assert "Resuming: 4 of 4 runs already done" in resumed.output, resumed.output


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--sed", "3"],
        ["runn"],
        ["compare", "-n", "1"],
        ["sweep", "ransomware_wave", "--param", "foo"],
        ["export", "stix"],
        ["--max-events", "x", "run"],
        ["msel", "bogus"],
        ["run", "--out", "."],
        ["generate", "--out", "g", "--assets", str(10**30)],
        ["compare", "-n", "2", "--workers", str(10**30)],
        ["sensitivity", "--samples", str(10**30)],
        ["serve", "--pace", "nan"],
    ],
)
def test_a_malformed_option_or_argument_is_one_line_naming_the_command(args: list[str]) -> None:
    result = CliRunner().invoke(main, args, prog_name="cyberttx")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cyberttx") and "-h)" in lines[0], lines


def test_a_group_without_a_command_shows_its_help() -> None:
    result = CliRunner().invoke(main, ["msel"], prog_name="cyberttx")
    assert "Usage: cyberttx msel" in result.output and "import" in result.output
