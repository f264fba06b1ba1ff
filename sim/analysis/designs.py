"""Experiment designs: which scenarios an experiment runs, by label, and what each one is.

A design is data: `runs` (label -> resolved scenario, the first is the reference) and a
sentence describing each. `study.Study` runs any design; `stats` compares its results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..schema.scenario import Scenario
from ..schema.variants import apply_variant
from .experiment import ablation_description, cbm_ablation, sweep_points, variants_of

AS_WRITTEN = "as_written"
"""The label of the scenario with no variant applied."""


class DesignError(InputError):
    """A design that cannot be made from what was asked (a variant named twice, too few)."""


@dataclass(frozen=True)
class Design:
    """The runs of an experiment by label (the first is the reference) and, for each, a
    sentence saying what it is."""

    runs: dict[str, Scenario]
    descriptions: dict[str, str]


def variants_to_compare(
    scenario: Scenario, names: Sequence[str | None] | None = None
) -> list[str | None]:
    """The variants a comparison runs (None: the scenario as written). By default every
    declared variant, after the scenario as written unless a declared variant is identical
    to it. Raises DesignError for a name given twice or fewer than two names."""
    if names is None:
        written = scenario.digest()
        same = any(apply_variant(scenario, v).digest() == written for v in scenario.variants)
        return [*([] if same else [None]), *scenario.variants]
    chosen = list(names)
    repeated = sorted({v or AS_WRITTEN for v in chosen if chosen.count(v) > 1})
    if repeated:
        raise DesignError(f"{', '.join(repeated)} given twice")
    if len(chosen) < 2:
        raise DesignError(
            "name at least two variants to compare (an empty name is the scenario as written)"
        )
    return chosen


def variants_design(scenario: Scenario, names: Sequence[str | None] | None = None) -> Design:
    """A comparison of declared variants of `scenario` (see `variants_to_compare`), each with
    its declared description. Raises DesignError or VariantError."""
    runs = variants_of(scenario, variants_to_compare(scenario, names))

    def described(label: str) -> str:
        if label == AS_WRITTEN:
            return "The scenario as written, no variant applied"
        return str(scenario.variants.get(label, {}).get("description", ""))

    return Design(runs, {label: described(label) for label in runs})


def ablation_design(scenario: Scenario) -> Design:
    """No CBMs, each mechanical CBM alone, all but one, and all, adopted by every country of
    `scenario`. Raises VariantError."""
    runs = cbm_ablation(scenario)
    return Design(runs, {label: ablation_description(label) for label in runs})


def sweep_design(scenario: Scenario, grid: dict[str, list[Any]]) -> Design:
    """`scenario` at every point of `grid` (dotted path -> values, e.g.
    `{"network.sharing_coverage": [0.2, 0.8]}`); the first point is the reference. Raises
    VariantError for a path or value that does not apply."""
    runs = sweep_points(scenario, grid)
    return Design(runs, {label: f"The scenario with {label}" for label in runs})
