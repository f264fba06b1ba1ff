"""Untrusted input, bounded work: each case a hostile or careless user found becomes a law
here (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from helpers import q_at, routine_world, scenario_from

from sim import apply_variant, bundled_scenario, load_scenario, run_replication
from sim.cli import main
from sim.gc_pause import gc_paused

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("n", "strength"), [(30, 0.04), (60, 0.04), (300, 0.01)])
def test_a_dense_cycle_with_loop_gain_above_one_settles_at_once(n: int, strength: float) -> None:
    a = np.full((n, n), strength)
    np.fill_diagonal(a, 0)
    outage = {"asset": "a0", "start_hours": 1, "damage": 0.5, "duration_hours": 5}
    scenario = scenario_from(a, [outage], duration=20)
    began = time.perf_counter()
    records = run_replication(scenario)
    assert time.perf_counter() - began < 5
    c = np.zeros(n)
    c[0] = 0.5
    q = q_at(records, n, 3.0)
    assert np.allclose(q, np.minimum(1, c + a @ q), atol=1e-5)  # a fixed point, at the cap
    assert np.allclose(q_at(records, n, 10.0), 0)  # and the cycle lets go once c is lifted


def test_an_overloaded_csirt_costs_linear_time() -> None:
    def run(per_day: float) -> float:
        """CPU seconds of this process (the other test workers do not count), the collector
        paused as the command line runs: its passes scan whatever earlier tests left in this
        worker, which is not the engine's cost."""
        scenario = routine_world(2, per_day / 24, 2.0, {"phishing": 1}, hours=24)
        began = time.process_time()
        with gc_paused():
            records = run_replication(scenario)
        assert sum(e[1] == "background_incident" for e in records.events) > per_day * 0.9
        return time.process_time() - began

    small, large = min(run(2_000) for _ in range(2)), run(30_000)
    assert large < 30 * small + 1  # 15 times the work, not 225 times


def test_a_dollar_in_names_prints_as_a_dollar_in_every_figure(tmp_path: Path) -> None:
    data = yaml.safe_load(bundled_scenario("ransomware_wave").read_text())
    data["name"] = r"Wiper spreads via \\FS01\ADMIN$ and \\FS01\C$"
    data["include"] = [str(ROOT / "infrastructure_models" / "two_countries.yaml")]
    path = tmp_path / "dollar.yaml"
    path.write_text(yaml.safe_dump(data))
    for args in (["graph", str(path)], ["compare", str(path), "-n", "2", "--workers", "1"]):
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / args[0])])
        assert result.exit_code == 0, result.output


def test_play_takes_only_ascii_digits_as_options(tmp_path: Path) -> None:
    keys = ["", "²", "\u0661", "2", *[""] * 300]  # superscript two, Arabic-Indic one, then 2
    result = CliRunner().invoke(
        main, ["play", "--seed", "5", "--out", str(tmp_path / "room")], input="\n".join(keys) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Choose a number from 1 to 2") >= 2
    decisions = yaml.safe_load((tmp_path / "room" / "decisions.yaml").read_text())["decisions"]
    assert decisions[0]["point"] == "alert-before-the-final" and decisions[0]["option"] == 1


def test_a_console_that_cannot_show_unicode_gets_plain_characters(tmp_path: Path) -> None:
    env = os.environ | {"PYTHONIOENCODING": "cp1252"}
    command = [sys.executable, "-m", "sim", "run", "ransomware_wave", "--out", str(tmp_path / "r")]
    result = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode("cp1252", "replace")
    assert b"Traceback" not in result.stderr and (tmp_path / "r" / "metrics.json").exists()


# -- the input boundary -------------------------------------------------------------------

SMALL = (
    "name: s\nstart: 2026-01-01T00:00:00Z\nduration_hours: 10\n"
    "countries: [{id: A, name: A}]\n"
    "assets: [{id: a, name: a, sector: energy, country: A, recovery: {dist: fixed, hours: 1}}]\n"
)


def validate(path: Path) -> tuple[int, str]:
    began = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert time.perf_counter() - began < 10
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("field", ["include", "assets_csv", "top"])
def test_devices_and_pipes_are_refused_without_reading_them(tmp_path: Path, field: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for special in (Path("/dev/zero"), fifo):
        scenario = tmp_path / "s.yaml"
        line = {"include": f"include: [{special}]\n", "assets_csv": f"assets_csv: {special}\n"}
        scenario.write_text(SMALL + line.get(field, ""))
        code, output = validate(special if field == "top" else scenario)
        refused = "not a regular file" in output or "outside the scenario's folder" in output
        assert code == 2 and refused and str(special) in output


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from sim.schema.files import MAX_INPUT_BYTES

    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: no disk used
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: s\nstart: 2026-07-10T18:00:00-05:00\nduration_hours: 48\nassets_csv: huge.csv\n"
    )
    code, output = validate(scenario)
    assert code == 2 and "more than the 256 MiB" in output


def test_an_alias_bomb_and_a_recursive_alias_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 11)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\nname: *a10\n")
    code, output = validate(bomb)
    assert code == 2 and "aliases expand to more than" in output
    loop = tmp_path / "loop.yaml"
    loop.write_text("name: &r [x, *r]\n")
    code, output = validate(loop)
    assert code == 2 and "refers to a node that contains it" in output


def test_the_bundled_scenarios_anchors_and_aliases_are_still_fine() -> None:
    assert validate(bundled_scenario("continental_final"))[0] == 0


def test_a_long_include_chain_is_refused_by_depth(tmp_path: Path) -> None:
    for k in range(500):
        nested = f"include: [m{k + 1}.yaml]\n" if k < 499 else ""
        (tmp_path / f"m{k}.yaml").write_text(f"name: m{k}\ndescription: x\n{nested}")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL + "include: [m0.yaml]\n")
    code, output = validate(scenario)
    assert code == 2 and "nest deeper than 16" in output


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("root:x:0:0:secret-hash:/root:/bin/bash", "column 1 of the header is not a field name"),
        ("id,name,weight,name", "column 4 repeats the header 'name'"),
        ("id,weight,weight.x", "column 'weight' stands beside columns nested in it"),
    ],
)
def test_a_table_header_that_is_not_fields_is_refused(
    tmp_path: Path, header: str, message: str
) -> None:
    (tmp_path / "t.csv").write_text(header + "\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL + "assets_csv: t.csv\n")
    code, output = validate(scenario)
    assert code == 2 and message in output
    assert "secret-hash" not in output  # a file that is not a table is not echoed


def test_formula_like_text_reaches_no_csv_as_a_formula(tmp_path: Path) -> None:
    data = yaml.safe_load(bundled_scenario("grid_cascade").read_text())
    data["include"] = [str(ROOT / "infrastructure_models" / "two_countries.yaml")]
    data["disruptions"] = [{"asset": "AUR-grid", "start_hours": 1, "damage": 1.0}]
    data["countries"] = [{"id": "=cmd|'/C_calc'!A0", "name": "formula land"}]
    data["assets"] = [
        {
            "id": "@x",
            "name": "x",
            "sector": "energy",
            "country": "=cmd|'/C_calc'!A0",
            "recovery": {"dist": "fixed", "hours": 1},
        }
    ]
    data["disruptions"].append({"asset": "@x", "start_hours": 2, "damage": 1.0})
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    for name in ("events.csv", "series.csv"):
        for line in (tmp_path / "r" / name).read_text().splitlines()[1:]:
            for cell in line.split(","):
                assert not cell.startswith(("=", "@", "+")), (name, line)
    assert "'=cmd|" in (tmp_path / "r" / "events.csv").read_text()


def test_a_variant_cannot_rename_an_entity(tmp_path: Path) -> None:
    data = yaml.safe_load(bundled_scenario("ransomware_wave").read_text())
    data["include"] = [str(ROOT / "infrastructure_models" / "two_countries.yaml")]
    data["variants"]["renamed"] = {"assets": {"AUR-pay": {"id": "AUR-payments"}}}
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump(data))
    code, output = validate(path)
    assert code == 2 and "variants.renamed.assets.AUR-pay.id" in output
    assert "cannot rename" in output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "9999-12-31T23:00:00Z"}, "past the calendar's end"),
        ({"duration_hours": 1e12}, "past the calendar's end"),
        ({"duration_hours": 1e7}, "routine incidents a run"),
        ({"name": "evil\u202etxt.exe"}, "direction-override character (U+202E"),
        ({"name": "bell\x07"}, "control, zero-width"),
        ({"include": "nul\x00byte"}, "include[0]: contains a control"),
    ],
)
def test_runaway_calendars_and_hidden_characters_are_refused(
    tmp_path: Path, change: dict, message: str
) -> None:
    data = yaml.safe_load(SMALL)
    data["countries"][0]["background"] = {"per_day": 100, "handling": {"dist": "fixed", "hours": 1}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data | change, allow_unicode=True))
    code, output = validate(path)
    assert code == 2 and message in output and "\x07" not in output


def test_the_routine_incident_budget_holds_for_variants_and_max_events_raises_it(
    tmp_path: Path,
) -> None:
    data = yaml.safe_load(SMALL)
    data["countries"][0]["background"] = {"per_day": 100, "handling": {"dist": "fixed", "hours": 1}}
    data["variants"] = {"busy": {"countries": {"A": {"background": {"per_day": 1e8}}}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    code, output = validate(path)
    assert code == 2 and "variants.busy" in output and "--max-events" in output
    raised = CliRunner().invoke(main, ["--max-events", "50000000", "validate", str(path)])
    assert raised.exit_code == 0, raised.output
    assert apply_variant(load_scenario(path, max_events=5 * 10**7), "busy").limits == {
        "max_events": 5 * 10**7
    }


@pytest.mark.parametrize(
    "param", ["x=[1,2]", "parameters.stop_on_detection=!!python/object:os.system 1"]
)
def test_a_sweep_value_must_be_a_plain_value(tmp_path: Path, param: str) -> None:
    result = CliRunner().invoke(main, ["sweep", "ransomware_wave", "--param", param])
    assert result.exit_code == 2 and "must be a number, true/false or text" in result.output


def test_a_sweep_path_given_twice_is_refused() -> None:
    args = ["sweep", "ransomware_wave", "--param", "a=1", "--param", "a=2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "given twice" in result.output


def _count(shared: object, job: int) -> int:
    return job


def _die(shared: object, job: int) -> int:
    if job == 3:
        os._exit(1)
    return job


class Jobs:
    """A sequence of job numbers that remembers how far it was read."""

    def __init__(self, n: int) -> None:
        self.n, self.read = n, 0

    def __len__(self) -> int:
        return self.n

    def __iter__(self):  # type: ignore[no-untyped-def]
        for k in range(self.n):
            self.read = k + 1
            yield k


def test_a_pool_holds_a_bounded_window_of_jobs() -> None:
    from sim.analysis.executors import WINDOW, process_pool

    jobs = Jobs(2_000)
    with process_pool(2) as unordered:
        results = unordered(_count, None, jobs)  # type: ignore[arg-type]
        first = next(results)
        assert jobs.read <= WINDOW * 2 + 1  # not all 2,000 submitted up front
        rest = list(results)
    assert sorted(k for k, _ in [first, *rest]) == list(range(2_000))
    assert all(k == v for k, v in [first, *rest])


def test_a_dead_worker_ends_with_a_hint_to_resume() -> None:
    from sim.analysis.executors import WorkerLost, process_pool

    with pytest.raises(WorkerLost, match="--resume"), process_pool(1) as unordered:
        list(unordered(_die, None, list(range(8))))


# -- decisions files, sessions and journals -------------------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("room") / "room"
    result = CliRunner().invoke(main, ["play", "--auto", "first", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return yaml.safe_load((out / "decisions.yaml").read_text())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seed": "abc"}, "seed"),
        ({"seed": -3}, "seed"),
        ({"seed": 5.5}, "seed"),
        ({"variant": ["a"]}, "variant"),
        ({"scenario": 5}, "scenario"),
        ({"decisions": [{"point": "p", "option": "abc", "time_hours": 1}]}, "decisions.0.option"),
        ({"decisions": [{"point": "p", "option": 0.5, "time_hours": 1}]}, "decisions.0.option"),
        ({"decisions": [{"point": "p", "option": 0, "time_hours": "x"}]}, "decisions.0.time_hours"),
        ({"decisions": "none"}, "decisions"),
        ({"bogus": 2}, "bogus"),
        ({"resolved_scenario_sha256": "abc"}, "resolved_scenario_sha256"),
    ],
)
def test_a_decisions_file_with_wrong_types_is_refused_before_the_replay(
    tmp_path: Path, recorded: dict, change: dict, field: str
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(recorded | change))
    began = time.perf_counter()
    result = CliRunner().invoke(
        main, ["play", "--decisions", str(path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and f"{path}: {field}:" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()
    assert time.perf_counter() - began < 10


def test_damaged_journal_lines_are_run_again(tmp_path: Path) -> None:
    compare = ["compare", "ransomware_wave", "--variants", ",all_cbms", "-n", "3", "--workers", "1"]
    whole = tmp_path / "whole"
    assert CliRunner().invoke(main, [*compare, "--out", str(whole)]).exit_code == 0
    out = tmp_path / "c"
    journal = tmp_path / "c.journal.jsonl"
    from sim.analysis.designs import variants_of
    from sim.analysis.journal import Journal

    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    Journal(journal, scenario.seed, variants_of(scenario, [None, "all_cbms"]), {}).close()
    with journal.open("ab") as handle:
        handle.write(b'\xff\xfe not utf-8\n{"variant": "as_written"}\n')
        handle.write(b'{"variant": "as_written", "replication": "x", "result": {}}\n')
        handle.write(b'{"variant": "all_cbms", "replication": 0, "result": {"row": 1}}\n[1, 2]\n')
    result = CliRunner().invoke(main, [*compare, "--resume", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "replications.csv").read_bytes() == (whole / "replications.csv").read_bytes()


def test_an_xlsx_with_a_cell_at_the_sheets_far_corner_is_refused_quickly(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "MSEL"
    sheet.append(["sequence", "time_hours", "from", "to", "message"])
    sheet["XFD1048576"] = "x"
    path = tmp_path / "far.xlsx"
    book.save(path)
    began = time.perf_counter()
    result = CliRunner().invoke(main, ["msel", "import", str(path), "--out", str(tmp_path / "o")])
    assert time.perf_counter() - began < 10
    assert result.exit_code == 2 and "more than 10,000 rows" in result.output
    assert not (tmp_path / "o").exists()


def test_includes_outside_the_scenarios_folder_need_allow_path(tmp_path: Path) -> None:
    models, scenarios = tmp_path / "models", tmp_path / "scenarios"
    models.mkdir()
    scenarios.mkdir()
    (models / "m.yaml").write_text(
        (ROOT / "infrastructure_models" / "two_countries.yaml").read_text()
    )
    data = yaml.safe_load(bundled_scenario("ransomware_wave").read_text())
    data["include"] = ["../models/m.yaml"]
    path = scenarios / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    code, output = validate(path)
    assert code == 2 and "outside the scenario's folder" in output
    assert f"--allow-path {models}" in output
    allowed = CliRunner().invoke(main, ["--allow-path", str(models), "validate", str(path)])
    assert allowed.exit_code == 0, allowed.output


def test_the_budget_counts_countries_from_included_models() -> None:
    path = bundled_scenario("ransomware_wave")  # its countries come from an included model
    result = CliRunner().invoke(main, ["--max-events", "10", "validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(path) in result.output and "--max-events" in result.output


@pytest.mark.parametrize("stopped_at", ["abc", [1], -5, 1e30])
def test_a_saved_session_with_a_bad_stop_hour_is_refused_by_name(
    tmp_path: Path, stopped_at: object
) -> None:
    saved = tmp_path / "s.session.yaml"
    saved.write_text(
        yaml.safe_dump(
            {"scenario": "continental_final", "seed": 14, "decisions": [], "stopped_at": stopped_at}
        )
    )
    result = CliRunner().invoke(
        main, ["play", "--resume", str(saved), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "stopped_at" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_includes_that_fan_out_are_refused_quickly(tmp_path: Path) -> None:
    for level in range(8):
        nxt = f"w{level + 1}.yaml"
        (tmp_path / f"w{level}.yaml").write_text(
            f"name: w{level}\ninclude: [{', '.join([nxt] * 10)}]\n"
        )
    (tmp_path / "w8.yaml").write_text("name: w\ncountries:\n  - {id: X, name: X}\n")
    wide = tmp_path / "wide.yaml"
    wide.write_text(
        "name: wide\nstart: 2026-07-10T18:00:00-05:00\nduration_hours: 48\ninclude: [w0.yaml]\n"
    )
    began = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(wide)])
    assert time.perf_counter() - began < 20
    assert result.exit_code == 2 and "includes read more than" in result.output


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("exercise", "injects", 0, "method"), "br\x1b]0;pwned\x07ief"),
        (("variants", "all_cbms", "description"), "Fuel\x1b[31m"),
        (("name",), "Hosp\rOVERWRITE"),
        (("name",), "two\nlines"),
    ],
)
def test_hidden_characters_and_line_breaks_are_refused_where_they_were_let_through(
    tmp_path: Path, path: tuple, value: str
) -> None:
    data = yaml.safe_load(bundled_scenario().read_text())
    data["include"] = [
        str(bundled_scenario().parents[1] / "infrastructure_models" / "hemisphere.yaml")
    ]
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output and "Traceback" not in result.output


def test_a_sweep_grid_past_its_bound_is_refused_before_any_run(tmp_path: Path) -> None:
    values = ",".join(str(v) for v in range(1, 41))
    params = [f"countries.AUR.csirt.analysts={values}", f"countries.BOR.csirt.analysts={values}"]
    args = ["sweep", "ransomware_wave", "-n", "2", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, [*args, *(x for p in params for x in ("--param", p))])
    assert result.exit_code == 2 and "1,600 points" in result.output
    assert not (tmp_path / "o").exists()


def test_force_keeps_a_file_the_user_put_in_an_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert CliRunner().invoke(main, ["run", "--out", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["run", "--out", str(out), "--force"]).exit_code == 0
    (out / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["run", "--out", str(out), "--force"])
    assert result.exit_code == 2 and "did not write" in result.output
    assert (out / "notes.txt").read_text() == "mine"


def test_a_yaml_file_past_its_cap_is_refused_unparsed(tmp_path: Path) -> None:
    big = tmp_path / "names.yaml"
    big.write_text("name:\n" * (33 * 2**20 // 6))
    began = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(big)])
    assert time.perf_counter() - began < 10
    assert result.exit_code == 2 and "32 MiB" in result.output


def test_a_scenario_with_nothing_to_run_is_refused(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text("name: bare\nstart: 2026-07-10T18:00:00-05:00\nduration_hours: 48\n")
    code, output = validate(bare)
    assert code == 2 and "assets: none" in output


def test_stale_staging_beside_any_output_is_cleared_and_nothing_else(tmp_path: Path) -> None:
    old = time.time() - 3600
    stale = tmp_path / ".run-20260101-000000.0123456789ab.tmp"
    fresh = tmp_path / ".other.abcdefabcdef.tmp"
    mine = tmp_path / ".notes.tmp"
    for folder in (stale, fresh):
        folder.mkdir()
    mine.write_text("mine")
    for path in (stale, mine):
        os.utime(path, (old, old))
    assert CliRunner().invoke(main, ["run", "--out", str(tmp_path / "new")]).exit_code == 0
    assert not stale.exists() and fresh.exists() and mine.exists()


def test_a_variant_that_swaps_the_assets_for_others_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(bundled_scenario("ransomware_wave").read_text())
    data["include"] = [
        str(bundled_scenario().parents[1] / "infrastructure_models" / m.split("/")[-1])
        for m in data["include"]
    ]
    data["variants"] = {
        "swapped": {
            "assets": [
                {"id": "NEW-grid", "name": "New grid", "sector": "energy", "country": "AUR",
                 "recovery": {"dist": "fixed", "hours": 1}}
            ]
        }
    }  # fmt: skip
    path = tmp_path / "swap.yaml"
    path.write_text(yaml.safe_dump(data))
    code, output = validate(path)
    assert code == 2 and "never adds or removes one" in output and "NEW-grid" in output
