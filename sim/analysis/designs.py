"""Experiment designs: which scenarios an experiment runs, by label, and what each one is.

A design is data: `runs` (label -> resolved scenario, the first is the reference) and a
sentence describing each. `study.Study` runs any design; `stats` compares its results.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from ..errors import InputError
from ..schema.resolve import Resolved
from ..schema.scenario import Scenario
from ..schema.variants import apply_overrides, apply_variant

MECHANICAL_CBMS = (
    "points_of_contact",
    "incident_sharing",
    "severity_schemes",
    "un_norms",
    "multistakeholder",
)
"""The CBMs the engine gives an effect (docs/cbms.md)."""


AS_WRITTEN = "as_written"
"""The label of the scenario with no variant applied."""


def variants_of(scenario: Scenario, names: list[str | None]) -> dict[str, Scenario]:
    """Declared variants by label (None: the scenario as written). Raises VariantError."""
    return {name or "as_written": apply_variant(scenario, name) for name in names}


def no_cbms(scenario: Scenario) -> dict[str, Any]:
    """The overrides by which no country adopts any CBM."""
    return {"cbms": {name: [] for name in type(scenario.cbms).model_fields}}


def adopted_by_all(scenario: Scenario, cbms: Iterable[str] = MECHANICAL_CBMS) -> dict[str, Any]:
    """The overrides by which every country of `scenario` adopts `cbms`."""
    return {"cbms": {name: [c.id for c in scenario.countries] for name in cbms}}


def cbm_ablation(scenario: Scenario) -> dict[str, Scenario]:
    """No CBMs, each mechanical CBM alone, all but one, and all, adopted by every country of
    the scenario (with whatever network it has) and no other CBM by any, whatever the
    scenario adopts itself. Raises VariantError."""

    def adopting(cbms: Iterable[str]) -> Scenario:
        only = no_cbms(scenario)["cbms"] | adopted_by_all(scenario, cbms)["cbms"]
        return apply_overrides(scenario, {"cbms": only})

    variants = {"none": apply_overrides(scenario, no_cbms(scenario))}
    variants |= {f"only_{c}": adopting([c]) for c in MECHANICAL_CBMS}
    variants |= {
        f"all_but_{c}": adopting([o for o in MECHANICAL_CBMS if o != c]) for c in MECHANICAL_CBMS
    }
    variants["all"] = adopting(MECHANICAL_CBMS)
    return variants


def ablation_description(label: str) -> str:
    """What a variant of `cbm_ablation` adopts, in words."""
    if label.startswith("only_"):
        return f"Only {label.removeprefix('only_')}, adopted by every country"
    if label.startswith("all_but_"):
        return f"Every mechanical CBM except {label.removeprefix('all_but_')}"
    return {"none": "No CBM adopted", "all": "Every mechanical CBM, adopted by every country"}[
        label
    ]


def sweep_grid(params: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """Every point of the grid `params` (dotted path -> values), labelled `path=value,...`,
    as its values by path."""
    return {
        ",".join(f"{p}={v}" for p, v in zip(params, values, strict=True)): dict(
            zip(params, values, strict=True)
        )
        for values in itertools.product(*params.values())
    }


def sweep_points(scenario: Scenario, params: dict[str, list[Any]]) -> dict[str, Scenario]:
    """The scenario at every point of `sweep_grid(params)`, by label; ids in paths address
    entities (`countries.AUR.csirt.analysts`). Raises VariantError for a path or value that
    does not apply."""
    return {
        label: apply_overrides(scenario, nested_overrides(point))
        for label, point in sweep_grid(params).items()
    }


def nested_overrides(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values by dotted path (`countries.AUR.csirt.analysts`) as the nested mapping of
    overrides that `apply_overrides` takes."""
    nested: dict[str, Any] = {}
    for path, value in values.items():
        *parents, leaf = path.split(".")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return nested


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
        chosen = [*([] if same else [None]), *scenario.variants]
        if len(chosen) < 2:
            raise DesignError(
                "the scenario declares no variant to compare with it: add `variants:` to it, "
                "or try --cbm-ablation, or vary a value with `cyberttx sweep`"
            )
        return chosen
    if isinstance(names, str):
        raise DesignError(f"give a list of variant names, not the text {names!r}")
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


MAX_GRID_POINTS = 1_000
"""The most points a sweep may have: each is a scenario held in memory, and the summary and
plot compare them all."""


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
    points = math.prod(len(values) for values in grid.values())
    if points > MAX_GRID_POINTS:
        raise DesignError(
            f"the grid has {points:,} points (the product of the values per --param); at most "
            f"{MAX_GRID_POINTS:,}: sweep fewer values, or in steps"
        )
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
    VariantError for a path or value that does not apply, DesignError for an empty grid."""
    if not grid:
        raise DesignError("no parameter to vary")
    for path, values in grid.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise DesignError(f"'{path}': give a list of values, not {values!r}"[:300])
    for path in grid:
        block = path.split(".")[0]
        if block in type(scenario).model_fields and getattr(scenario, block) is None:
            raise DesignError(
                f"'{path}': the scenario has no `{block}:` block to vary; give it one, or "
                "apply a variant (--variant) that has it"
            )
    runs = sweep_points(scenario, grid)
    return Design(runs, {label: f"The scenario with {label}" for label in runs})


def comparison_design(
    resolved: Resolved, names: Sequence[str | None] | None, ablation: bool
) -> Design:
    """What `cyberttx compare` runs: the declared variants `names` (None: every one, after
    the scenario as written), or, with `ablation`, the CBM ablation starting from the one
    variant named. Raises DesignError or VariantError."""
    if not ablation:
        return variants_design(resolved.written, variants_to_compare(resolved.written, names))
    if names is not None and len(names) > 1:
        raise DesignError("--cbm-ablation starts from one variant: name only that one")
    return ablation_design(resolved.with_variant(names[0] if names else None).scenario)
