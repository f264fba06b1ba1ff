"""Experiment designs: which scenarios an experiment runs, by label, and what each one is.

A design is data: `runs` (label -> resolved scenario, the first is the reference) and a
sentence describing each. `study.Study` runs any design; `stats` compares its results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

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


def parse_grid(params: Sequence[str]) -> dict[str, list[Any]]:
    """A sweep's grid from `PATH=V1,V2,...` texts (as `cyberttx sweep --param` takes them):
    each value is a number, true/false, null or text, as YAML reads a plain scalar. Raises
    DesignError for a malformed text, a path given twice, or a list, mapping or tag."""
    grid: dict[str, list[Any]] = {}
    for param in params:
        path, sep, values = param.partition("=")
        path = path.strip()
        if not sep or not path or not values:
            raise DesignError(f"'{param}' is not PATH=V1,V2,...")
        if path in grid:
            raise DesignError(f"'{path}' given twice")
        grid[path] = [_plain_value(v, param) for v in values.split(",")]
    return grid


def _plain_value(text: str, param: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if (value is None and text.strip() not in {"null", "~", ""}) or isinstance(value, list | dict):
        raise DesignError(f"'{param}': each value must be a number, true/false or text")
    return value


def sweep_design(scenario: Scenario, grid: dict[str, list[Any]]) -> Design:
    """`scenario` at every point of `grid` (dotted path -> values, e.g.
    `{"network.sharing_coverage": [0.2, 0.8]}`); the first point is the reference. Raises
    VariantError for a path or value that does not apply."""
    runs = sweep_points(scenario, grid)
    return Design(runs, {label: f"The scenario with {label}" for label in runs})
