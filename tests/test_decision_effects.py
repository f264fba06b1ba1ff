"""Every bundled exercise's options have the effects their scenarios state (`expect:`, quoted
in docs/exercises.md), over paired replications: every option against all defaults, on the
same random numbers; and the default exercise's alert costs less than the wiper it guards
against."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from sim import bundled_scenario, load_scenario
from sim.analysis.decision_effects import OptionEffect, decision_effects
from sim.analysis.metrics import compute_metrics
from sim.engine.exercise import run_exercise
from sim.library import list_scenarios
from sim.schema.scenario import Scenario

SCENARIO = load_scenario(bundled_scenario())
SEEDS = range(12)


def _loss(scenario: Scenario, seed: int, choice: Mapping[str, int]) -> float:
    records = run_exercise(scenario, seed, lambda p, w: choice.get(p.id, p.default))
    return compute_metrics(scenario, records)["service_hours_lost"]


def _effect(point: str, option: int) -> np.ndarray:
    """Per seed: the loss with `option` at `point` minus the loss with every default."""
    return np.array([_loss(SCENARIO, s, {point: option}) - _loss(SCENARIO, s, {}) for s in SEEDS])


@pytest.mark.slow
def test_the_alert_on_the_venues_it_costs_less_than_the_wiper_it_guards_against() -> None:
    without = SCENARIO.model_copy(
        update={"campaigns": tuple(c for c in SCENARIO.campaigns if c.id != "opening-wiper")}
    )
    wiper = np.array([_loss(SCENARIO, s, {}) - _loss(without, s, {}) for s in SEEDS])
    alert = _effect("alert-before-the-final", 1)
    assert alert.mean() < wiper.mean()  # a precaution, not a bigger loss than the attack


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(list_scenarios()))
def test_every_bundled_option_has_its_stated_effect(name: str) -> None:
    """As `cyberttx decisions NAME` measures it: 20 paired replications of the exercise's
    seed, every option but the defaults stating what it does to the loss."""
    scenario = load_scenario(bundled_scenario(name))
    assert scenario.exercise is not None
    root = scenario.exercise_seed()
    effects = decision_effects(scenario, root, 20)
    assert effects
    for effect in effects:
        assert effect.option.expect is not None, (effect.point.id, effect.number)
        assert effect.verdict() == "as expected", (effect.point.id, effect.number, effect.changes)


def test_a_verdict_tells_a_contradiction_from_no_evidence() -> None:
    point = SCENARIO.exercise.decision_points[0]  # type: ignore[union-attr]
    number = next(n for n, o in enumerate(point.options) if o.expect == "higher")

    def effect(changes: tuple[float, ...], fired: int = 3) -> OptionEffect:
        return OptionEffect(point, number, changes, fired, 100.0)

    assert effect((1.0, 0.0, 2.0)).verdict() == "as expected"
    assert effect((-1.0, 0.0, 0.5)).contradicts()
    assert effect((0.0, 0.0, 0.0)).verdict() == "not resolved: no run changed"
    assert effect((0.0,), fired=0).verdict() == "not resolved: the point never fell due"
