"""The default exercise's decisions have the effects docs/exercises.md states, over paired
seeds: every option against all defaults, on the same random numbers."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from sim import bundled_scenario, load_scenario
from sim.analysis.metrics import compute_metrics
from sim.engine.exercise import run_exercise
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
def test_analysts_from_a_partner_never_add_loss_and_handling_alone_never_saves() -> None:
    assisted = _effect("first-severe-incident", 2)
    alone = _effect("first-severe-incident", 0)
    assert (assisted <= 1e-6).all() and (alone >= -1e-6).all()


@pytest.mark.slow
def test_generators_change_nothing_unless_the_grid_attack_is_found() -> None:
    effect = _effect("generators", 1)
    for seed, change in zip(SEEDS, effect, strict=True):
        records = run_exercise(SCENARIO, seed, lambda p, w: p.default)
        fired = any(r.incident == "decision:generators" for r in records.events)
        assert fired or change == 0.0
