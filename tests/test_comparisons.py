"""Comparisons that answer the question: every outcome, in % of the reference with paired
intervals, which direction is better, and how many runs an unresolved effect would need."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import bundled_scenario, load_scenario
from sim.analysis.designs import variants_of
from sim.analysis.experiment import (
    comparison_table,
    outcomes_of,
    paired,
    run_experiment,
    sweep_summary,
)
from sim.cli import main

SCENARIO = load_scenario(bundled_scenario("ransomware_wave"))
ROWS = run_experiment(variants_of(SCENARIO, [None, "all_cbms", "baseline"]), 6, 3).rows


def test_every_outcome_of_every_variant_is_compared_in_long_format() -> None:
    table = comparison_table(ROWS)
    outcomes = outcomes_of(ROWS)
    assert {"service_hours_lost", "event_window_impact", "contain_mean_hours"} <= set(outcomes)
    assert any(o.startswith("loss.country.") for o in outcomes)
    assert any(o.startswith("loss.sector.") for o in outcomes)
    assert len(table) == 2 * len(outcomes)
    for row in table:
        assert row["against"] == "as_written"
        if row["n"] and row["reference_mean"]:
            expected = 100 * row["mean_difference"] / row["reference_mean"]
            assert row["percent_change"] == pytest.approx(expected)
        assert row["resolved"] == (abs(row["mean_difference"]) > row["paired_half_width"])


def test_a_variant_against_itself_changes_nothing_and_needs_no_runs() -> None:
    same = paired(ROWS, "all_cbms", "all_cbms")
    assert same["mean_difference"] == 0 and same["percent_change"] == 0
    assert not same["resolved"] and math.isnan(same["n_to_resolve"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=3, max_size=12),
    st.floats(-20, 20, allow_nan=False),
)
def test_an_unresolved_effect_asks_for_more_runs_than_it_had(
    noise: list[float], shift: float
) -> None:
    rows = [{"variant": "a", "replication": r, "x": 1000.0} for r in range(len(noise))]
    rows += [
        {"variant": "b", "replication": r, "x": 1000.0 + shift + e} for r, e in enumerate(noise)
    ]
    row = paired(rows, "b", "a", "x")
    if not row["resolved"] and not math.isnan(row["n_to_resolve"]):
        assert row["n_to_resolve"] >= row["n"]
    if row["resolved"]:
        assert row["n_to_resolve"] == row["n"]


def test_a_sweep_compares_each_point_with_the_first_over_the_same_runs() -> None:
    values = {"as_written": {"p": 0}, "all_cbms": {"p": 1}, "baseline": {"p": 2}}
    summary = sweep_summary(ROWS, values)
    assert summary[0]["mean_difference"] == 0 and summary[0]["p"] == 0
    for point in summary[1:]:
        expected = paired(ROWS, point["variant"], "as_written")
        assert point["mean_difference"] == expected["mean_difference"]
        assert point["paired_half_width"] == expected["paired_half_width"]


def test_compare_prints_percent_effects_and_says_which_way_is_better(tmp_path: Path) -> None:
    args = ["compare", "ransomware_wave", "--variants", ",all_cbms", "-n", "4"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "lower is better" in result.output and "%" in result.output
    assert "service-hours lost" in result.output and "mean time to contain" in result.output
    header = (tmp_path / "c" / "comparison.csv").read_text().splitlines()[0]
    for column in ("reference_mean", "variant_mean", "percent_change", "n_to_resolve"):
        assert column in header


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["compare", "supply_chain_wiper", "-n", "2"], "declares no variant"),
        (
            [
                "sweep",
                "ransomware_wave",
                "--variant",
                "no_network",
                "-n",
                "2",
                "--param",
                "network.sharing_coverage=0.2,0.5",
            ],
            "no `network:` block",
        ),
    ],
)
def test_nothing_to_compare_is_refused_with_a_hint(
    tmp_path: Path, args: list[str], hint: str
) -> None:
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and hint in result.output, result.output
    assert not (tmp_path / "x").exists()


def test_an_experiment_is_a_tidy_dataframe_and_so_are_its_comparisons() -> None:
    experiment = run_experiment(variants_of(SCENARIO, [None, "all_cbms"]), 3, 3)
    runs, effects = experiment.frame(), experiment.comparisons()
    assert len(runs) == 6 and set(runs["variant"]) == {"as_written", "all_cbms"}
    assert list(effects["outcome"]) == outcomes_of(experiment.rows)
    assert (effects["variant"] == "all_cbms").all()
