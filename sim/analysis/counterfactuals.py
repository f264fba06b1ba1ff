"""What else could have happened in a played exercise: the same scenario and seed without
the room's decisions, as the baseline variant, and as the best declared variant."""

from __future__ import annotations

from typing import Any

from ..schema.scenario import Scenario
from ..schema.variants import apply_variant
from .result import RunResult, run


def counterfactuals(written: Scenario, played: RunResult) -> dict[str, dict[str, Any]]:
    """Metrics by label of runs on `played`'s seed: its scenario with no decisions taken;
    the `baseline` variant of `written` if declared and different; and the declared variant
    that loses the fewest service-hours. Raises VariantError."""

    def metrics_of(scenario: Scenario) -> dict[str, Any]:
        return run(scenario, seed=played.seed).metrics

    found = {"no decisions taken": metrics_of(played.scenario)}
    resolved = {name: apply_variant(written, name) for name in written.variants}
    variants = {name: metrics_of(scenario) for name, scenario in resolved.items()}
    if "baseline" in resolved and resolved["baseline"].digest() != played.scenario.digest():
        found["variant baseline"] = variants["baseline"]
    if variants:
        best = min(variants, key=lambda name: variants[name]["service_hours_lost"])
        found[f"best variant: {best}"] = variants[best]
    return found
