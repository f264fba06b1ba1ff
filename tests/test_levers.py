"""The lever audit: its design, its verdicts and diagnoses, the command, and the laws every
bundled scenario obeys (adding a CBM, analysts or earlier sharing never raises mean loss)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import campaign_world

from sim import bundled_scenario, list_scenarios, load_scenario
from sim.analysis.designs import MECHANICAL_CBMS
from sim.analysis.experiment import run_experiment
from sim.analysis.levers import LeverTest, _effect, lever_design, lever_effects
from sim.cli import main
from sim.schema.variants import apply_overrides

EVERY = LeverTest("x", "alone", "a", "b", -1)


def test_the_design_covers_each_cbm_alone_and_marginal_and_each_csirts_capacity() -> None:
    scenario = campaign_world(analysts_AA=4, analysts_BB=1)
    variants, tests = lever_design(scenario)
    assert {f"only_{c}" for c in MECHANICAL_CBMS} <= variants.keys()
    assert {f"all_but_{c}" for c in MECHANICAL_CBMS} <= variants.keys()
    capacity = {t.variant: t for t in tests if t.lever.startswith("analysts")}
    assert set(capacity) == {"analysts_AA_2", "analysts_AA_6", "analysts_BB_2"}  # 1 x 0.5 is 1
    assert capacity["analysts_AA_2"].expected == 1 and capacity["analysts_AA_6"].expected == -1
    # the scenario adopts incident_sharing, so capacity is varied on it as given, not on 'none'
    assert {t.against for t in capacity.values()} == {"as_given"}
    assert variants["analysts_AA_6"].cbms == scenario.cbms


@pytest.mark.parametrize(
    ("differences", "verdict"),
    [
        ([0.0] * 20, "no effect"),
        ([-1.0] * 5 + [0.0] * 15, "lowers loss"),
        ([2.0] * 6 + [0.0] * 14, "raises loss"),
        ([-1.0, 1.0] * 10, "not resolved"),
        ([-3.0] + [0.0] * 19, "not resolved"),  # one run is not evidence
    ],
)
def test_verdicts_follow_the_paired_differences(differences: list[float], verdict: str) -> None:
    effect = _effect(EVERY, np.array(differences), 100.0)
    assert effect.verdict == verdict
    assert effect.low <= effect.effect <= effect.high
    assert effect.runs_lower == sum(d < 0 for d in differences)
    if verdict == "not resolved" and effect.effect != 0:
        assert effect.replications_to_resolve > len(differences)


def audit(scenario: Any, replications: int) -> dict[tuple[str, str], Any]:
    variants, tests = lever_design(scenario)
    rows = run_experiment(variants, replications, scenario.seed).rows
    return {(e.lever, e.test): e for e in lever_effects(scenario, tests, rows)}


def test_a_scenario_without_a_network_is_diagnosed_so() -> None:
    effects = audit(campaign_world(network=None, cbms={}), 6)
    sharing = effects["incident_sharing", "alone"]
    assert sharing.verdict == "no effect" and "no regional network" in sharing.diagnosis


def test_indicators_that_never_meet_a_later_intrusion_are_diagnosed_so() -> None:
    def one_country(data: dict[str, Any]) -> None:
        data["campaigns"][0]["targeting"]["countries"] = ["AA"]
        data["campaigns"][0]["targeting"]["count"] = 1

    data = campaign_world(cbms={}).model_dump(mode="json", by_alias=True)
    one_country(data)
    effects = audit(load_scenario(data), 12)
    sharing = effects["incident_sharing", "alone"]
    assert not sharing.as_expected
    assert "no later intrusion met them" in sharing.diagnosis or "none shared" in sharing.diagnosis


def test_levers_command_writes_its_table_plot_and_diagnoses(tmp_path: Path) -> None:
    out = tmp_path / "audit"
    result = CliRunner().invoke(
        main, ["levers", "ransomware_wave", "-n", "3", "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "points_of_contact" in result.output and "analysts BOR" in result.output
    table = pd.read_csv(out / "levers.csv")
    assert len(table) == 2 * len(MECHANICAL_CBMS) + 4
    assert {"effect_percent", "low_percent", "high_percent", "verdict", "diagnosis"} <= set(
        table.columns
    )
    assert all(table.loc[~table["as_expected"], "diagnosis"].str.len() > 0)
    assert (out / "levers.png").stat().st_size > 10_000 and (out / "replications.csv").exists()


def test_a_scenario_without_csirts_is_diagnosed_so() -> None:
    def no_csirts(data: dict[str, Any]) -> None:
        for country in data["countries"]:
            country["csirt"] = None

    data = campaign_world().model_dump(mode="json", by_alias=True)
    no_csirts(data)
    effects = audit(load_scenario(data), 4)
    assert all("no country has a CSIRT" in e.diagnosis for e in effects.values())


def test_levers_refuses_an_output_path_that_is_a_file_before_running(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    result = CliRunner().invoke(main, ["levers", "ransomware_wave", "--out", str(afile)])
    assert result.exit_code == 2 and "is a file" in result.output
    assert afile.read_text() == "keep me" and sorted(tmp_path.iterdir()) == [afile]


def test_levers_command_refuses_an_unknown_variant_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["levers", "--variant", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "unknown variant 'nope'" in result.output
    assert "Traceback" not in result.output and not any(tmp_path.iterdir())


# -- laws over the bundled scenarios (slow) -------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(list_scenarios()))
def test_no_cbm_more_analysts_or_earlier_sharing_raises_mean_loss(name: str) -> None:
    scenario = load_scenario(list_scenarios()[name])
    replications = 6 if scenario.duration_hours > 1000 else 16
    variants, tests = lever_design(scenario)
    tests = [t for t in tests if t.expected < 0]  # CBMs, and more analysts
    if scenario.network is not None:
        everyone = [c.id for c in scenario.countries]
        sharing = {"cbms": {"incident_sharing": everyone}}
        variants["sharing"] = apply_overrides(scenario, sharing)
        sooner = sharing | {"network": {"sharing_delay": {"dist": "fixed", "hours": 0.25}}}
        variants["sharing_sooner"] = apply_overrides(scenario, sooner)
        tests.append(LeverTest("earlier sharing", "0.25 h", "sharing_sooner", "sharing", -1))
    used = {t.variant for t in tests} | {t.against for t in tests}
    rows = run_experiment({k: v for k, v in variants.items() if k in used}, replications, 1).rows
    for effect in lever_effects(scenario, tests, rows):
        assert effect.verdict != "raises loss", (effect.lever, effect.test, effect.diagnosis)


@pytest.mark.slow
def test_every_cooperation_lever_of_the_default_scenario_has_its_effect() -> None:
    """continental_final: points of contact alone and incident sharing alone lower mean loss
    (interval below zero), every mechanical CBM's mean effect is at most zero, and halving
    the host's analysts raises loss (interval above zero), at 100 replications."""
    scenario = load_scenario(bundled_scenario("continental_final"))
    variants, tests = lever_design(scenario)
    host = next(t for t in tests if t.lever == "analysts HST" and t.expected > 0)
    tests = [t for t in tests if t.lever in MECHANICAL_CBMS] + [host]
    used = {t.variant for t in tests} | {t.against for t in tests}
    rows = run_experiment({k: v for k, v in variants.items() if k in used}, 100, 5).rows
    effects = {(e.lever, e.test): e for e in lever_effects(scenario, tests, rows)}
    assert effects["points_of_contact", "alone"].verdict == "lowers loss"
    assert effects["incident_sharing", "alone"].verdict == "lowers loss"
    assert all(e.effect <= 0 for (lever, _), e in effects.items() if lever in MECHANICAL_CBMS)
    assert effects["analysts HST", host.test].verdict == "raises loss"


def test_the_levers_figure_is_the_same_bytes_each_time() -> None:
    from sim.report.levers import levers_plot

    effects = [
        _effect(LeverTest(f"lever {k}", "alone", "a", "b", -1), np.array(d), 100.0)
        for k, d in enumerate(([-1.0] * 5 + [0.0] * 5, [0.0] * 10, [1.0, -1.0] * 5))
    ]
    first, again = levers_plot(effects, "t"), levers_plot(effects, "t")
    assert first == again and set(first) == {"levers.png", "levers.svg"}


@pytest.mark.parametrize(
    ("mine", "theirs", "verb"),
    [(0, 2, "was used"), (2, 2, "was never used"), (3, 2, "was never used")],
)
def test_a_pathway_that_shows_as_fewer_is_used_when_there_are_fewer(
    mine: int, theirs: int, verb: str
) -> None:
    """Multistakeholder work acts by leaving fewer incidents unreported: none left against
    two is its pathway at work, not a pathway never used."""
    from sim.analysis.levers import Evidence, _usage

    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    test = LeverTest("multistakeholder", "alone", "only_multistakeholder", "none", -1)
    evidence = Evidence(
        scenario, test, [{"incidents_not_reported": mine}], [{"incidents_not_reported": theirs}]
    )
    assert f"its pathway {verb}" in _usage(evidence)
