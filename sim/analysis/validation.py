"""Checking a file as `cyberttx validate` does: the schema and its references (loading), then
what loading cannot tell: that each exercise objective measures a number the run reports,
under every variant the scenario declares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import Problem, ScenarioError
from ..schema.load import load_model_or_scenario
from ..schema.scenario import MAX_ROUTINE_INCIDENTS, Scenario
from ..schema.variants import apply_variant
from .objectives import measure_problems


def check_measures(path: Path, resolved: Mapping[str | None, Scenario]) -> None:
    """Raise ScenarioError naming each exercise objective whose `measure` names no number in
    the metrics of the scenario with each variant applied (`resolved`, by variant name; None:
    as written); a misspelt one would otherwise rate U without a word. A problem is reported
    once, with the first variant that shows it."""
    found: dict[tuple[str, str], str] = {}
    for variant, scenario in resolved.items():
        for where, message in measure_problems(scenario):
            with_variant = "" if variant is None else f" (with variant '{variant}')"
            found.setdefault((where, message), message + with_variant)
    if found:
        raise ScenarioError(Problem(str(path), where, text) for (where, _), text in found.items())


def validated(
    path: Path, allowed: Sequence[Path] = (), max_events: int = MAX_ROUTINE_INCIDENTS
) -> Scenario:
    """The scenario (or model) file at `path`, loaded and checked as `cyberttx validate`
    checks it; `allowed` and `max_events` as for `load_scenario`. Raises InputError
    (ScenarioError, VariantError) naming the file and each field."""
    scenario = load_model_or_scenario(path, allowed=allowed, max_events=max_events)
    if scenario.exercise is not None and scenario.exercise.objectives:
        variants = {v: apply_variant(scenario, v) for v in scenario.variants}
        check_measures(path, {None: scenario} | variants)
    return scenario
