"""Experiments: common random numbers, worker-independent results, paired intervals."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

from click.testing import CliRunner

from sim import apply_variant, bundled_scenario, load_scenario
from sim.analysis.designs import MECHANICAL_CBMS, cbm_ablation, variants_of
from sim.analysis.experiment import attribution, compare, run_experiment, showcase
from sim.cli import main
from sim.report.experiment_report import experiment_report


def test_paired_interval_is_narrower_than_unpaired_on_the_default_scenario() -> None:
    scenario = load_scenario(bundled_scenario())
    rows = run_experiment(variants_of(scenario, ["baseline", "all_cbms"]), 12, seed=5).rows
    (result,) = compare(rows)
    assert result["n"] == 12
    assert result["paired_half_width"] < result["unpaired_half_width"]


def test_a_cbm_with_no_mechanical_effect_changes_nothing() -> None:
    scenario = load_scenario(bundled_scenario())
    variants = variants_of(scenario, ["baseline", "womens_participation"])
    (result,) = compare(run_experiment(variants, 5, seed=5).rows)
    assert result["mean_difference"] == 0 and result["paired_half_width"] == 0


def test_cbm_ablation_covers_each_cbm_alone_and_all_but_one() -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    variants = cbm_ablation(scenario)
    assert len(variants) == 2 + 2 * len(MECHANICAL_CBMS)
    assert not any(variants["none"].cbms.model_dump().values())
    assert set(variants["all"].cbms.un_norms) == {c.id for c in scenario.countries}
    rows = run_experiment(variants, 3, seed=2).rows
    effects = attribution(rows)
    assert {(e["cbm"], e["effect"]) for e in effects} == {
        (c, kind) for c in MECHANICAL_CBMS for kind in ("alone", "marginal")
    } | {("all", "together")}
    assert all(e["n"] == 3 for e in effects)


def test_an_ablation_adopts_exactly_its_cbms_whatever_the_scenario_adopts() -> None:
    """`only_X` is X alone and `all_but_X` lacks X even where the scenario (or a variant
    applied first) adopts every CBM already."""
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    adopted = apply_variant(scenario, "all_cbms")
    assert all(adopted.cbms.model_dump()[c] for c in MECHANICAL_CBMS)
    variants = cbm_ablation(adopted)
    for c in MECHANICAL_CBMS:
        only = {k for k, v in variants[f"only_{c}"].cbms.model_dump().items() if v}
        assert only == {c}
        assert not variants[f"all_but_{c}"].cbms.model_dump()[c]


def test_sweep_writes_a_point_per_value_and_a_plot(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = [
        "sweep",
        "ransomware_wave",
        "--param",
        "parameters.indicator_block=0.1,0.9",
        "--param",
        "countries.AUR.csirt.analysts=1,4",
        "-n",
        "3",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    with (out / "sweep.csv").open() as handle:
        points = list(csv.DictReader(handle))
    assert len(points) == 4 and all(p["n"] == "3" for p in points)
    assert (out / "sweep.png").read_bytes().startswith(b"\x89PNG")


def test_sweep_rejects_a_path_that_does_not_exist(tmp_path: Path) -> None:
    args = [
        "sweep",
        "ransomware_wave",
        "--param",
        "countries.ZZZ.csirt.analysts=1,2",
        "-n",
        "2",
        "--out",
        str(tmp_path / "s"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "no entry with id 'ZZZ'" in result.stderr
    assert not (tmp_path / "s").exists()


def test_compare_writes_tidy_tables_and_a_report_naming_every_variant(tmp_path: Path) -> None:
    out = tmp_path / "c"
    args = ["compare", "ransomware_wave", "-n", "3", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    with (out / "replications.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    labels = {"as_written", *scenario.variants}
    assert len(rows) == 3 * len(labels) and {r["variant"] for r in rows} == labels
    assert "paired_half_width" in (out / "comparison.csv").read_text()
    has_pyarrow = importlib.util.find_spec("pyarrow") is not None
    assert (out / "replications.parquet").exists() == has_pyarrow
    html = (out / "report.html").read_text()
    for label in ["as_written", *scenario.variants]:
        assert f"<code>{label}</code>" in html
    plots = sorted(p.stem for p in out.glob("*.png"))
    assert html.count('src="data:image/png;base64,') == len(plots) >= 6
    assert scenario.name in html and "resolved scenario SHA-256" in html


def test_text_from_the_scenario_is_escaped_in_the_report() -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    hostile = scenario.model_copy(
        update={"name": "<script>alert(1)</script>", "description": "a & b <i>x</i>"}
    )
    runs = {"as_written": hostile}
    experiment = run_experiment(runs, 2, seed=0)
    shown = showcase(runs, experiment.rows, seed=0)
    files = experiment_report(
        hostile, runs, experiment, [], {"as_written": "<b>bold</b>"}, {"note": "<x>"}, 0, shown
    )
    html = files["report.html"].decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b &lt;i&gt;x&lt;/i&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<x>" not in html


def test_compare_refuses_a_repeated_or_single_variant(tmp_path: Path) -> None:
    for given, message in (("baseline,baseline", "given twice"), ("baseline", "at least two")):
        args = ["compare", "--variants", given, "-n", "2", "--out", str(tmp_path / "c")]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "c").exists()


def test_by_default_compare_leaves_out_the_scenario_as_written_when_a_variant_equals_it() -> None:
    from sim.analysis.designs import variants_to_compare

    scenario = load_scenario(bundled_scenario())
    assert variants_to_compare(scenario) == list(scenario.variants)
    other = load_scenario(bundled_scenario("ransomware_wave"))
    assert variants_to_compare(other) == [None, *other.variants]
