"""Global sensitivity: SALib's indices through our own code path match Ishigami's analytic
values, a variable with no effect gets none, and the scenario path keeps common random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim import bundled_scenario, load_scenario
from sim.analysis.sensitivity import (
    Assumption,
    default_assumptions,
    effect_model,
    indices,
    problem,
    robustness,
    sample,
)
from sim.cli import main
from sim.report.sensitivity import verdict

ISHIGAMI = problem(
    [Assumption(f"x{i}", -np.pi, np.pi) for i in range(3)] + [Assumption("inert", 0, 1)]
)
S1 = [0.3139, 0.4424, 0.0, 0.0]
ST = [0.5576, 0.4424, 0.2437, 0.0]
"""Ishigami's function (a=7, b=0.1): its analytic first-order and total Sobol indices."""


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_ishigami_match_the_analytic_values() -> None:
    x = sample(ISHIGAMI, "sobol", 2048, seed=1)
    rows = indices(ISHIGAMI, "sobol", x, ishigami(x), seed=1)
    for row, s1, st in zip(rows, S1, ST, strict=True):
        assert row["S1"] == pytest.approx(s1, abs=max(0.05, 2 * row["S1_conf"]))
        assert row["ST"] == pytest.approx(st, abs=max(0.05, 2 * row["ST_conf"]))


def test_morris_gives_an_inert_variable_no_effect() -> None:
    x = sample(ISHIGAMI, "morris", 20, seed=2)
    rows = indices(ISHIGAMI, "morris", x, ishigami(x), seed=2)
    assert rows[-1]["mu_star"] == 0 and rows[-1]["sigma"] == 0
    assert min(r["mu_star"] for r in rows[:2]) > 1


def test_default_ranges_hold_the_value_as_written_inside_valid_bounds() -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    for a in default_assumptions(scenario):
        *parents, leaf = a.path.split(".")
        model = scenario
        for part in parents:
            model = getattr(model, part)
        value = getattr(model, leaf)
        assert a.low <= value <= a.high and a.low < a.high
        if "probability" in leaf or "coverage" in leaf:
            assert a.low >= 0 and a.high <= 1
    alone = scenario.model_copy(update={"network": None})
    assert not any(a.path.startswith("network.") for a in default_assumptions(alone))


def test_a_variant_that_changes_nothing_has_no_effect_anywhere() -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    assumptions = default_assumptions(scenario)[:3]
    x = sample(problem(assumptions), "morris", 2, seed=3)
    effects = effect_model(scenario, {}, assumptions, 2, seed=3)(x)
    assert (effects == 0).all()  # the same replications at every point: no noise
    assert robustness(effects)["share_lowering"] == 0


def test_the_command_states_how_robust_the_conclusion_is(tmp_path: Path) -> None:
    args = ["sensitivity", "ransomware_wave", "--variant", "all_cbms", "--samples", "2"]
    result = CliRunner().invoke(main, [*args, "-n", "1", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "sampled assumption points" in result.output and "hinges most on" in result.output
    for name in ("sensitivity.csv", "samples.csv", "sensitivity.png", "effect_distribution.png"):
        assert (tmp_path / "s" / name).exists()
    page = (tmp_path / "s" / "report.html").read_text()
    assert "Does the conclusion survive the assumptions?" in page
    assert "The variant lowers loss at" in page and "parameters.indicator_block" in page


def test_ranges_from_a_file_are_the_ranges_varied(tmp_path: Path) -> None:
    ranges = tmp_path / "ranges.yaml"
    ranges.write_text(
        "parameters.indicator_block: [0.2, 0.8]\nnetwork.sharing_coverage: [0.3, 1]\n"
    )
    args = ["sensitivity", "ransomware_wave", "--variant", "all_cbms", "--samples", "2", "-n", "1"]
    out = tmp_path / "s"
    result = CliRunner().invoke(main, [*args, "--ranges", str(ranges), "--out", str(out)])
    assert result.exit_code == 0, result.output
    samples = np.genfromtxt(out / "samples.csv", delimiter=",", names=True)
    assert samples.dtype.names == (
        "parametersindicator_block",
        "networksharing_coverage",
        "effect_percent",
    )
    assert samples["parametersindicator_block"].min() >= 0.2
    assert samples["parametersindicator_block"].max() <= 0.8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("parameters.indicator_block: 0.2\n", "parameters.indicator_block: expected [LOW, HIGH]"),
        ("parameters.indicator_block: [a, 1]\n", "expected [LOW, HIGH]"),
        ("- 1\n", "expected a mapping"),
        ("parameters.nope: [0, 1]\n", "no such value"),
        ("parameters.indicator_block: [0.8, 0.2]\n", "ranges.yaml: 'parameters.indicator_block'"),
    ],
)
def test_a_bad_ranges_file_is_refused_naming_it(tmp_path: Path, text: str, message: str) -> None:
    ranges = tmp_path / "ranges.yaml"
    ranges.write_text(text)
    args = ["sensitivity", "ransomware_wave", "--variant", "all_cbms", "--ranges", str(ranges)]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("share", "words"),
    [
        (1.0, "holds across"),
        (0.8, "most of the assumption space, not all"),
        (0.5, "depends on assumptions"),
        (0.1, "does not lower loss"),
    ],
)
def test_the_verdict_says_how_far_the_conclusion_holds(share: float, words: str) -> None:
    assert words in verdict({"share_lowering": share})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--variant", "nope"], "unknown variant 'nope'"),
        (["--variant", "all_cbms", "--range", "parameters.stop_on_detection=0.9"], "PATH=LOW,HIGH"),
        (["--variant", "all_cbms", "--range", "parameters.stop_on_detection=0.9,0.1"], "empty"),
        (["--variant", "all_cbms", "--range", "parameters.nope=0.1,0.9"], "no such value"),
        (["--range", "parameters.stop_on_detection=0.9,0.1"], "Invalid value for --range"),
        (["--method", "sobol", "--samples", "3"], "power of two"),
    ],
)
def test_bad_requests_are_refused_in_one_line(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    args = ["sensitivity", "ransomware_wave", *extra, "--out", str(tmp_path / "s")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_by_default_every_cbm_is_judged_against_none() -> None:
    from sim.analysis.designs import MECHANICAL_CBMS
    from sim.analysis.sensitivity import EVERY_CBM, judged

    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    reference, overrides, words = judged(scenario, {}, None)
    assert words == EVERY_CBM
    assert all(not getattr(reference.cbms, name) for name in type(reference.cbms).model_fields)
    countries = [c.id for c in scenario.countries]
    assert overrides == {"cbms": {name: countries for name in MECHANICAL_CBMS}}


def test_an_entity_is_addressed_by_id_and_a_whole_number_is_rounded_for_each_run() -> None:
    from sim.analysis.sensitivity import sensitivity_design

    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    path = "countries.AUR.csirt.analysts"
    design = sensitivity_design(scenario, {}, None, 1, [Assumption(path, 1, 6)], samples=2)
    run = {label: s.countries for label, s in design.runs.items()}
    for k, (sampled,) in enumerate(design.x):
        (aur,) = [c for c in run[f"{k}:reference"] if c.id == "AUR"]
        assert aur.csirt is not None and aur.csirt.analysts == round(sampled)
