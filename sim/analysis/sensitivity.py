"""How much the answer depends on the model's assumptions: global sensitivity with SALib.

Every CBM effect size in `parameters` (and the network's sharing and answer rates) is an
assumption. This module varies them together over ranges, runs a variant and its reference at
each sampled point over the same replications (common random numbers), and reports:
- Morris screening (mu*, sigma) or Sobol indices (S1, ST with confidence intervals) of the
  variant's effect on mean service-hours lost, in % of the reference's;
- how robust the conclusion "the variant lowers loss" is: the share of the sampled assumption
  space where it holds, and the distribution of the effect.
`indices` takes any model `f(X) -> Y`, which is how the tests check it on Ishigami's function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import numpy as np

from ..errors import InputError
from ..schema.load import read_yaml_mapping
from ..schema.scenario import Scenario
from ..schema.variants import apply_overrides
from .designs import adopted_by_all, nested_overrides, no_cbms
from .executors import UnorderedMap, in_process
from .study import Study

ASSUMPTIONS = (
    "parameters.indicator_block",
    "parameters.indicator_detection",
    "parameters.stop_on_detection",
    "parameters.advisory_reach",
    "parameters.private_report_probability",
    "parameters.no_scheme_triage_factor",
    "parameters.no_scheme_noise",
    "parameters.poc_delay_factor",
    "parameters.norms_answer_probability",
    "parameters.norms_prevention_bonus",
    "parameters.multistakeholder_report_probability",
    "parameters.multistakeholder_report_delay_factor",
    "network.sharing_coverage",
    "network.answer_probability",
)
"""The assumptions varied by default: the effect sizes of docs/cbms.md and the network's rates."""

METHODS = ("morris", "sobol")


class SensitivityError(InputError):
    """An assumption range or method that cannot be used."""


@dataclass(frozen=True)
class Assumption:
    """One assumption and the range it is varied over."""

    path: str
    low: float
    high: float


MAX_SAMPLES = 4096
"""The most Morris trajectories or Sobol base samples a study may ask for."""

MAX_ASSUMPTIONS = 200
"""The most assumptions a study may vary."""


def parse_range(text: str) -> Assumption:
    """`PATH=LOW,HIGH` as an assumption; SensitivityError if it is not that."""
    path, _, bounds = text.partition("=")
    try:
        low, high = (float(v) for v in bounds.split(","))
    except ValueError:
        raise SensitivityError(f"'{text}' is not PATH=LOW,HIGH") from None
    return Assumption(path.strip(), low, high)


def ranges_file(path: Path) -> list[Assumption]:
    """The assumptions of a YAML file mapping each dotted path to `[LOW, HIGH]`, e.g.
    `parameters.indicator_block: [0.2, 0.8]`. Raises ScenarioError (naming the file) for a
    file that is not such a mapping, SensitivityError (naming the path) for a bad range."""
    data = read_yaml_mapping(path, "a ranges file")
    if len(data) > MAX_ASSUMPTIONS:
        raise SensitivityError(f"{len(data)} assumptions; at most {MAX_ASSUMPTIONS}")
    found = []
    for key, value in data.items():
        pair = value if isinstance(value, list) and len(value) == 2 else None
        numbers = pair is not None and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in pair
        )
        if not numbers or not isinstance(key, str):
            raise SensitivityError(f"{str(key)[:80]}: expected [LOW, HIGH], two numbers")
        found.append(Assumption(key, float(pair[0]), float(pair[1])))  # type: ignore[index]
    return found


def _field(scenario: Scenario, path: str) -> tuple[Any, Any]:
    """The model holding the value at dotted `path` and the field's info; in a list of
    entities (`countries`, `assets` ...) a part is an entity's id, as in a variant."""
    *parents, leaf = path.split(".")
    model: Any = scenario
    for part in parents:
        if isinstance(model, tuple):
            model = next((e for e in model if getattr(e, "id", None) == part), None)
        else:
            model = getattr(model, part, None)
        if model is None:
            raise SensitivityError(f"'{path}': the scenario has no `{part}:` to vary")
    fields = type(model).model_fields
    if leaf not in fields:
        raise SensitivityError(f"'{path}': no such value")
    return model, fields[leaf]


def _bounds(info: Any) -> tuple[float, float]:
    """The validation bounds of a numeric field (from its Ge/Gt/Le/Lt metadata)."""
    low, high = -np.inf, np.inf
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge | annotated_types.Gt):
            low = float(rule.ge if isinstance(rule, annotated_types.Ge) else rule.gt)
        if isinstance(rule, annotated_types.Le | annotated_types.Lt):
            high = float(rule.le if isinstance(rule, annotated_types.Le) else rule.lt)
    return low, high


def default_range(scenario: Scenario, path: str) -> Assumption:
    """Half to one and a half times the value as written (0 to 0.1 for a value of 0), kept
    inside the field's valid bounds."""
    model, info = _field(scenario, path)
    value = float(getattr(model, path.split(".")[-1]))
    low, high = (0.5 * value, 1.5 * value) if value else (0.0, 0.1)
    floor, ceiling = _bounds(info)
    return Assumption(path, max(low, floor), min(high, ceiling))


def default_assumptions(scenario: Scenario) -> list[Assumption]:
    """The ranges of every default assumption the scenario has (no network: no network rates)."""
    return [
        default_range(scenario, path)
        for path in ASSUMPTIONS
        if path.split(".")[0] != "network" or scenario.network is not None
    ]


def check(scenario: Scenario, assumptions: Sequence[Assumption]) -> None:
    """Raise SensitivityError for an assumption the scenario does not have, or a range that
    is empty or outside the values it may take."""
    for a in assumptions:
        _ordered(a)
        _, info = _field(scenario, a.path)
        floor, ceiling = _bounds(info)
        if a.low < floor or a.high > ceiling:
            raise SensitivityError(
                f"'{a.path}': {a.low:g} to {a.high:g} leaves its valid range "
                f"({floor:g} to {ceiling:g})"
            )


def _ordered(a: Assumption) -> None:
    if not a.low < a.high:
        raise SensitivityError(f"'{a.path}': the range {a.low:g} to {a.high:g} is empty")


def problem(assumptions: Sequence[Assumption]) -> dict[str, Any]:
    """SALib's problem definition for `assumptions`."""
    if not assumptions:
        raise SensitivityError("no assumption to vary")
    for a in assumptions:
        _ordered(a)
    return {
        "num_vars": len(assumptions),
        "names": [a.path for a in assumptions],
        "bounds": [[a.low, a.high] for a in assumptions],
    }


def sample(spec: dict[str, Any], method: str, points: int, seed: int) -> np.ndarray:
    """The sampled assumption values, one row per point: Morris trajectories (`points` of
    them) or Saltelli's design for Sobol (`points` base samples, a power of two)."""
    if method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(spec, points, seed=seed))
    if method == "sobol":
        from SALib.sample import sobol

        return np.asarray(sobol.sample(spec, points, calc_second_order=False, seed=seed))
    raise SensitivityError(f"unknown method '{method}' (known: {', '.join(METHODS)})")


def indices(
    spec: dict[str, Any], method: str, x: np.ndarray, y: np.ndarray, seed: int
) -> list[dict[str, Any]]:
    """The sensitivity of `y` to each variable, one row per variable: mu_star, mu_star_conf
    and sigma (Morris), or S1, S1_conf, ST and ST_conf (Sobol)."""
    if method == "morris":
        from SALib.analyze import morris

        found = morris.analyze(spec, x, y, seed=seed)
        keys = ("mu_star", "mu_star_conf", "sigma")
    else:
        from SALib.analyze import sobol

        found = sobol.analyze(spec, y, calc_second_order=False, seed=seed)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    return [
        {"assumption": name} | {k: float(found[k][i]) for k in keys}
        for i, name in enumerate(spec["names"])
    ]


EVERY_CBM = "every mechanical CBM adopted by every country"
"""The variant judged by default, against no CBM at all: "all CBMs lower loss"."""


def judged(
    scenario: Scenario, variants: Mapping[str, Mapping[str, Any]], variant: str | None
) -> tuple[Scenario, dict[str, Any], str]:
    """The reference, the overrides of the variant judged against it, and the variant in
    words: a declared variant (from `variants`) against `scenario`, or by default every
    mechanical CBM adopted by every country against no CBM at all. Raises SensitivityError
    for an unknown variant."""
    if variant is None:
        none = apply_overrides(scenario, no_cbms(scenario))
        return none, adopted_by_all(scenario), EVERY_CBM
    if variant not in variants:
        known = ", ".join(variants) or "none declared"
        raise SensitivityError(f"--variant: unknown variant '{variant}' (known: {known})")
    overrides = {k: v for k, v in variants[variant].items() if k != "description"}
    return scenario, overrides, variant


def point_runs(
    scenario: Scenario,
    variant: Mapping[str, Any],
    assumptions: Sequence[Assumption],
    x: np.ndarray,
) -> dict[str, Scenario]:
    """The runs of a sensitivity study: at each sampled point k (a row of `x`), the scenario
    under those assumption values (`k:reference`) and with `variant` (overrides) applied on
    top (`k:variant`)."""
    whole = {a.path for a in assumptions if _field(scenario, a.path)[1].annotation is int}
    runs: dict[str, Scenario] = {}
    for k, values in enumerate(x):
        given = zip(assumptions, values, strict=True)
        point = nested_overrides(
            {a.path: round(v) if a.path in whole else float(v) for a, v in given}
        )
        reference = apply_overrides(scenario, point)
        runs[f"{k}:reference"] = reference
        runs[f"{k}:variant"] = apply_overrides(reference, variant)
    return runs


DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}
"""Morris trajectories, or Sobol base samples, when none are asked for."""


@dataclass(frozen=True)
class SensitivityDesign:
    """A sensitivity study ready to run: the variant judged (in words) against its
    reference, the assumptions and their sampled values `x` (one row per point), and the
    runs at each point (`point_runs`)."""

    judged: str
    assumptions: list[Assumption]
    method: str
    seed: int
    spec: dict[str, Any]
    x: np.ndarray
    runs: dict[str, Scenario]


@dataclass(frozen=True)
class SensitivityOutcome:
    """What a study found: the % effect at each point, the indices of each assumption (one
    row each, `indices`) and how robust "the variant lowers loss" is (`robustness`)."""

    effects: np.ndarray
    indices: list[dict[str, Any]]
    held: dict[str, float]


def sensitivity_design(
    scenario: Scenario,
    variants: Mapping[str, Mapping[str, Any]],
    variant: str | None,
    seed: int,
    assumptions: Sequence[Assumption] = (),
    method: str = "morris",
    samples: int | None = None,
) -> SensitivityDesign:
    """What `cyberttx sensitivity` runs: `variant` (one of `variants`, the declared ones; None:
    every mechanical CBM against none) judged against `scenario`, under `assumptions` (none:
    `default_assumptions`; a path given twice counts once, the last range) sampled by
    `method` with `samples` trajectories or base samples (None: DEFAULT_SAMPLES). Raises
    SensitivityError."""
    if method not in METHODS:
        raise SensitivityError(f"unknown method '{method}' (known: {', '.join(METHODS)})")
    if samples is not None and not 2 <= samples <= MAX_SAMPLES:
        raise SensitivityError(f"--samples: give 2 to {MAX_SAMPLES}, not {samples}")
    if method == "sobol" and samples is not None and samples & (samples - 1):
        raise SensitivityError(f"--samples: Sobol needs a power of two (2, 4, 8 ...): {samples}")
    reference, overrides, in_words = judged(scenario, variants, variant)
    found = list(assumptions) or default_assumptions(scenario)
    chosen = list({a.path: a for a in found}.values())
    spec = problem(chosen)
    check(scenario, chosen)
    x = sample(spec, method, samples or DEFAULT_SAMPLES[method], seed)
    runs = point_runs(reference, overrides, chosen, x)
    return SensitivityDesign(in_words, chosen, method, seed, spec, x, runs)


def sensitivity_outcome(
    design: SensitivityDesign, rows: Sequence[Mapping[str, Any]]
) -> SensitivityOutcome:
    """The effects, indices and robustness of `design` from its experiment's rows."""
    y = effects_of(rows, len(design.x))
    found = indices(design.spec, design.method, design.x, y, design.seed)
    return SensitivityOutcome(y, found, robustness(y))


def effects_of(rows: Sequence[Mapping[str, Any]], points: int) -> np.ndarray:
    """Per point, the variant's change in mean service-hours lost, in % of the reference's
    mean (0 where the reference loses nothing), from the rows of `point_runs`' experiment."""
    means: dict[str, list[float]] = {}
    for row in rows:
        means.setdefault(row["variant"], []).append(row["service_hours_lost"])
    effects = []
    for k in range(points):
        base, changed = np.mean(means[f"{k}:reference"]), np.mean(means[f"{k}:variant"])
        effects.append(100 * (changed - base) / base if base else 0.0)
    return np.array(effects)


def effect_model(
    scenario: Scenario,
    variant: Mapping[str, Any],
    assumptions: Sequence[Assumption],
    replications: int,
    seed: int,
    executor: UnorderedMap = in_process,
) -> Callable[[np.ndarray], np.ndarray]:
    """`f(X)`: for each row of sampled assumption values, the % change in mean service-hours
    lost that `variant` (overrides) makes against `scenario` under those assumptions, over
    the same replications. All points run as one experiment on `executor`."""

    def evaluate(x: np.ndarray) -> np.ndarray:
        runs = point_runs(scenario, variant, assumptions, x)
        return effects_of(Study(runs, replications, seed).run(executor).rows, len(x))

    return evaluate


def samples_frame(names: Sequence[str], x: np.ndarray, effects: np.ndarray) -> Any:
    """A DataFrame of the sampled points: one column per assumption, then `effect_percent`."""
    import pandas as pd

    return pd.DataFrame(x, columns=list(names)).assign(effect_percent=effects)


def robustness(effects: np.ndarray) -> dict[str, float]:
    """How robust "the variant lowers loss" is over the sampled assumptions: the share of
    points where it does, and percentiles of the % effect."""
    percentiles = np.percentile(effects, [5, 25, 50, 75, 95])
    return {"share_lowering": float(np.mean(effects < 0))} | {
        f"p{q}": float(v) for q, v in zip((5, 25, 50, 75, 95), percentiles, strict=True)
    }
