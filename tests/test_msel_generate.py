"""`msel generate`: a drafted exercise is valid on every bundled scenario, every inject it
drafts is triggered by a simulated fact and arrives only in runs where the fact happens, the
draft is deterministic, every bundled scenario plays, and the command writes YAML, CSV and
XLSX."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.engine import kinds
from sim.engine.exercise import run_exercise
from sim.engine.triggers import _matcher
from sim.facilitation.msel_generate import (
    draft_exercise,
    exercise_yaml,
    fuller_seed,
    with_exercise,
)
from sim.facilitation.session import open_session, replay
from sim.library import list_scenarios
from sim.schema.exercise import Exercise
from sim.schema.resolve import Resolved, resolve

BUNDLED = sorted(list_scenarios())
SEED, OTHER_SEED = 3, 11


@cache
def _resolved(name: str) -> Resolved:
    return resolve(name)


@cache
def _draft(name: str, seed: int = SEED) -> Exercise:
    return draft_exercise(_resolved(name).scenario, seed)


@pytest.mark.parametrize("name", BUNDLED)
def test_draft_validates_and_every_inject_but_the_briefing_is_triggered(name: str) -> None:
    drafted = _draft(name)
    checked = with_exercise(_resolved(name).path, drafted)
    assert checked.exercise == drafted
    briefing, *rest = drafted.injects
    assert briefing.when is None and briefing.type == "information"
    assert all(i.when is not None for i in rest)
    assert len({repr(i.when) for i in rest}) == len(rest), "one inject per fact"
    assert [i.sequence for i in drafted.injects] == list(range(1, len(drafted.injects) + 1))
    assert len(drafted.decision_points) <= 4
    for point in drafted.decision_points:
        assert point.options[0].actions == (), "the first option is to do nothing"
        assert all(o.actions for o in point.options[1:])


@pytest.mark.parametrize("name", BUNDLED)
def test_draft_is_deterministic(name: str) -> None:
    again = draft_exercise(_resolved(name).scenario, SEED)
    assert exercise_yaml(again) == exercise_yaml(_draft(name))


@pytest.mark.parametrize("name", ["continental_final", "ransomware_wave", "supply_chain_wiper"])
def test_injects_arrive_only_when_their_fact_happens_in_another_run(name: str) -> None:
    """Played on another seed, each drafted inject is delivered iff its fact happened (in its
    country) before the run's end, and never before the fact."""
    scenario = with_exercise(_resolved(name).path, _draft(name))
    records = run_exercise(scenario, OTHER_SEED, lambda point, world: point.default)
    delivered = {int(row.value): row.time for row in records.events if row.kind == kinds.INJECT}
    world = SimpleNamespace(scenario=scenario)
    assert scenario.exercise is not None
    for inject in scenario.exercise.injects:
        trigger = inject.when
        if trigger is None or trigger.fact == "window_opens":
            continue
        shows = _matcher(world, trigger)  # type: ignore[arg-type]
        hours = [
            row.time
            for row in records.events
            if trigger.country in (None, row.country) and shows(row)
        ]
        if not hours or hours[0] + trigger.after_hours > scenario.duration_hours:
            assert inject.sequence not in delivered, trigger.describe()
        else:
            assert delivered[inject.sequence] >= hours[0], trigger.describe()


def test_a_draft_from_another_seed_differs_only_in_what_happened() -> None:
    """Drafts are of facts: a fact common to two seeds' runs gets the same inject."""
    one, two = _draft("supply_chain_wiper"), _draft("supply_chain_wiper", OTHER_SEED)
    first = {repr(i.when): i.message for i in one.injects if i.when}
    second = {repr(i.when): i.message for i in two.injects if i.when}
    assert all(first[k] == second[k] for k in first.keys() & second.keys())


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("policy", ["first", "prefer:share_indicators"])
def test_every_bundled_scenario_plays(name: str, policy: str) -> None:
    played = replay(open_session(name), policy)
    assert played.result is not None


def test_cli_writes_yaml_csv_and_xlsx(tmp_path: Path) -> None:
    runner = CliRunner()
    for suffix in ("yaml", "csv", "xlsx"):
        out = tmp_path / f"draft.{suffix}"
        got = runner.invoke(main, ["msel", "generate", "ransomware_wave", "--out", str(out)])
        assert got.exit_code == 0, got.output
        assert "Wrote" in got.output
    exercise = yaml.safe_load((tmp_path / "draft.yaml").read_text())["exercise"]
    assert Exercise.model_validate(exercise) == _draft_default("ransomware_wave")
    header = (tmp_path / "draft.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("sequence,time_hours,datetime,trigger")
    sheet = openpyxl.load_workbook(tmp_path / "draft.xlsx").active
    assert sheet is not None and sheet.max_row == len(exercise["injects"]) + 1


def _draft_default(name: str) -> Exercise:
    resolved = _resolved(name)
    return draft_exercise(resolved.scenario, resolved.seed())


def test_cli_refuses_a_bad_suffix_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "draft.txt"
    got = CliRunner().invoke(main, ["msel", "generate", "grid_cascade", "--out", str(out)])
    assert got.exit_code == 2
    assert len(got.output.strip().splitlines()) == 1 and ".txt" in got.output
    assert not out.exists()


def test_a_seed_with_little_to_tell_points_to_a_fuller_one(tmp_path: Path) -> None:
    resolved = _resolved("government_ransomware")
    seed = resolved.seed()
    drafted = draft_exercise(resolved.scenario, seed)
    assert not drafted.decision_points  # its attack is stopped on the scenario's own seed
    better = fuller_seed(resolved.scenario, seed, drafted)
    assert better is not None and better > seed
    fuller = draft_exercise(resolved.scenario, better)
    assert len(fuller.injects) + len(fuller.decision_points) > len(drafted.injects)
    out = tmp_path / "draft.yaml"
    got = CliRunner().invoke(main, ["msel", "generate", "government_ransomware", "--out", str(out)])
    assert got.exit_code == 0 and f"--seed {better}" in got.output
