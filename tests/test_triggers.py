"""Injects and decision points triggered by the simulation: they fire at the instant of the
fact (and never without it), name what fired them, and an inject's false premise is flagged."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim import ScenarioError, bundled_scenario, load_scenario
from sim.engine import kinds
from sim.engine.exercise import Delivered, run_exercise
from sim.engine.records import Row
from sim.facilitation.play import describe_inject
from sim.schema.exercise import Trigger

SCENARIO = load_scenario(bundled_scenario())
ASSETS = {a.id: a for a in SCENARIO.assets}
FACT_ROWS = {
    "campaign_reached": kinds.STAGE_SUCCESS,
    "campaign_detected": kinds.DETECTED,
    "campaign_impact": kinds.IMPACT,
    "asset_down": kinds.ASSET_DOWN,
    "sector_down": kinds.ASSET_DOWN,
}


def _shows(trigger: Trigger, row: Row) -> bool:
    """Whether `row` shows `trigger`'s fact: the law's own reading, independent of the engine's."""
    if trigger.country not in (None, row.country) or row.kind != FACT_ROWS[trigger.fact]:
        return False
    value = getattr(trigger, trigger.fact)
    if trigger.fact == "sector_down":
        return ASSETS[row.asset].sector == value
    return (row.asset if trigger.fact == "asset_down" else row.campaign) == value


def _played(seed: int) -> tuple[list[Delivered], Any]:
    delivered: list[Delivered] = []
    records = run_exercise(
        SCENARIO, seed, lambda point, world: point.default, lambda d, w: delivered.append(d)
    )
    return delivered, records


@pytest.mark.parametrize("seed", range(6))
def test_a_triggered_inject_falls_due_when_its_fact_first_holds_and_never_without_it(
    seed: int,
) -> None:
    assert SCENARIO.exercise is not None
    delivered, records = _played(seed)
    by_sequence = {d.inject.sequence: d for d in delivered}
    triggered = [i for i in SCENARIO.exercise.injects if i.when is not None]
    assert triggered
    for inject in triggered:
        assert inject.when is not None
        first = next((row for row in records.events if _shows(inject.when, row)), None)
        if first is None:
            assert inject.sequence not in by_sequence
            continue
        due = max(inject.time_hours, first.time + inject.when.after_hours)
        got = by_sequence[inject.sequence]
        assert got.time == pytest.approx(due) and got.cause == first
        assert "{" not in got.message and ASSETS[first.asset].name in got.message
        if "{time}" in inject.message:  # the fact's time, even when delivered later
            assert SCENARIO.calendar_time(first.time) in got.message


def test_some_seed_fires_and_some_seed_spares_each_campaign_inject() -> None:
    fired = {s: {d.inject.sequence for d in _played(s)[0]} for s in range(6)}
    assert any(5 not in f for f in fired.values())  # the grid attack does not always land
    assert any(6 in f for f in fired.values())  # the wiper does, sometimes


def _with_exercise(tmp_path: Path, **inject: Any) -> Path:
    data = yaml.safe_load(bundled_scenario("ransomware_wave").read_text())
    data["include"] = [
        str(bundled_scenario().parents[1] / "infrastructure_models" / m.split("/")[-1])
        for m in data["include"]
    ]
    row = {"sequence": 1, "from": "a", "to": "b", "message": "m"} | inject
    data["exercise"] = {"title": "t", "injects": [row]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("inject", "message"),
    [
        ({"time_hours": 5, "type": "incident"}, "give it `when:`"),
        ({"time_hours": 5, "message": "{asset_name} is down"}, "has no `when:`"),
        ({"when": {"campaign_impact": "nope"}}, "unknown campaign 'nope'"),
        ({"when": {"asset_down": "AUR-pay", "campaign_impact": "ddos-wave"}}, "exactly one fact"),
        ({"when": {"window_opens": "nope"}}, "unknown major event 'nope'"),
    ],
)
def test_an_inject_that_asserts_a_fact_without_grounds_is_refused(
    tmp_path: Path, inject: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)):
        load_scenario(_with_exercise(tmp_path, **inject))


def test_a_false_premise_is_flagged_to_the_facilitator(tmp_path: Path) -> None:
    premise = {"campaign_impact": "payments-ransomware", "country": "BOR"}
    path = _with_exercise(tmp_path, time_hours=1, type="incident", premise=premise)
    scenario = load_scenario(path)
    delivered: list[Delivered] = []
    run_exercise(scenario, 0, lambda p, w: p.default, lambda d, w: delivered.append(d))
    (early,) = delivered
    assert early.premise_held is False  # nothing lands in the first hour
    assert "not so in this run" in describe_inject(scenario, early)


def test_a_declared_end_cuts_the_exercise_and_nothing_before_it(tmp_path: Path) -> None:
    scenario = load_scenario(bundled_scenario("government_ransomware"))
    assert scenario.exercise is not None and scenario.exercise.end_hours == 336
    cut = scenario.as_exercised()
    assert cut.duration_hours == 336 and scenario.duration_hours == 2000
    whole = run_exercise(scenario, 1, lambda point, world: point.default)
    short = run_exercise(cut, 1, lambda point, world: point.default)
    assert short.horizon == 336
    assert short.events == [row for row in whole.events if row.time <= 336]


@pytest.mark.parametrize(
    ("end", "inject_at", "field"),
    [(10_000, 5, "exercise.end_hours"), (24, 30, "exercise.injects[0].time_hours")],
)
def test_an_end_past_the_scenario_or_before_an_inject_is_refused(
    tmp_path: Path, end: float, inject_at: float, field: str
) -> None:
    path = _with_exercise(tmp_path, time_hours=inject_at)
    data = yaml.safe_load(path.read_text())
    data["exercise"]["end_hours"] = end
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match=re.escape(field)):
        load_scenario(path)
