"""Time series and spans for plots agree with the KPIs and the event log; every plot renders."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import get_args

import numpy as np
import pytest
from helpers import scenario_from

from sim import RunResult, bundled_scenario, load_scenario, run, run_replication
from sim.analysis.metrics import peak_q, service_hours_lost_by_sector
from sim.analysis.timelines import (
    QUEUE_JOINS,
    event_windows,
    failure_times,
    incident_spans,
    queue_lengths,
    sector_loss,
)
from sim.atomic import write_folder
from sim.engine.infrastructure import DOWN
from sim.engine.records import Records
from sim.report.graph import LABELLED, SUMMARISED, draw_graph, labelled
from sim.report.timeseries import impact_plot, incident_timeline, kpi_plot, queue_plot
from sim.schema.infrastructure import Sector
from sim.schema.scenario import Scenario
from sim.schema.variants import apply_overrides
from sim.synthetic import synthetic_files

SCENARIOS = ("continental_final", "ransomware_wave")


@pytest.fixture(scope="module", params=SCENARIOS)
def result(request: pytest.FixtureRequest) -> RunResult:
    return run(load_scenario(bundled_scenario(request.param)))


def _staffed(scenario: Scenario, **csirt: object) -> Scenario:
    """The scenario with every CSIRT's fields replaced by `csirt`."""
    countries = {c.id: {"csirt": csirt} for c in scenario.countries if c.csirt is not None}
    return apply_overrides(scenario, {"countries": countries})


def _csirts(scenario: Scenario) -> list[str]:
    return [c.id for c in scenario.countries if c.csirt is not None]


def test_sector_loss_integrates_to_service_hours(result: RunResult) -> None:
    """Evaluated at every change point, the step function integrates exactly to the
    sector's service-hours lost, for every sector with assets, in Sector order."""
    scenario, records = result.scenario, result.records
    times = np.unique(np.concatenate(([0.0, records.horizon], records.series_time)))
    loss = sector_loss(scenario, records, times)
    present = {a.sector for a in scenario.assets}
    assert list(loss) == [s for s in get_args(Sector) if s in present]
    expected = service_hours_lost_by_sector(scenario, records)
    for sector, values in loss.items():
        assert values.shape == times.shape
        integral = float(values[:-1] @ np.diff(times))
        assert integral == pytest.approx(expected[sector], rel=1e-9, abs=1e-6)


def test_sector_loss_holds_each_value_from_its_change_point() -> None:
    outage = {"asset": "a0", "start_hours": 2, "damage": 0.6, "duration_hours": 3}
    scenario = scenario_from([[0, 0], [0.5, 0]], [outage], duration=10)
    loss = sector_loss(scenario, run_replication(scenario), np.array([0, 1.9, 2, 4.9, 5, 10]))
    assert loss["energy"] == pytest.approx([0, 0, 0.9, 0.9, 0, 0])


def _check_queue(records: Records, country: str) -> tuple[np.ndarray, np.ndarray]:
    """The queue's shape laws; returns it."""
    times, lengths = queue_lengths(records, country)
    assert times[0] == 0 and np.all(np.diff(times) > 0)
    assert lengths.min() >= 0
    assert np.all(lengths[1:] != lengths[:-1])
    return times, lengths


def test_queue_integrates_to_the_logged_waits(result: RunResult) -> None:
    """The tasks waiting integrate over the run to the sum of the waits the log records,
    plus what the tasks never taken waited until the end (exactly when there are none)."""
    records = result.records
    for country in _csirts(result.scenario):
        times, lengths = _check_queue(records, country)
        waits = sum(e[6] for e in records.events if e[1] == "queue_wait" and e[2] == country)
        integral = float(lengths @ np.diff(np.append(times, records.horizon)))
        if lengths[-1] == 0:
            assert integral == pytest.approx(waits, rel=1e-9, abs=1e-9)
        else:
            assert waits < integral <= waits + lengths[-1] * records.horizon


def test_queue_ends_with_the_tasks_never_taken() -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    busy = apply_overrides(
        scenario, {"countries": {"AUR": {"csirt": {"analysts": 1}, "background": {"per_day": 40}}}}
    )
    records = run_replication(busy)
    _, lengths = _check_queue(records, "AUR")
    kinds = [e[1] for e in records.events if e[2] == "AUR"]
    waiting = sum(k in QUEUE_JOINS for k in kinds) - kinds.count("queue_wait")
    assert lengths[-1] == waiting > 0


@pytest.mark.parametrize("name", SCENARIOS)
def test_queue_stays_empty_with_analysts_to_spare(name: str) -> None:
    scenario = _staffed(load_scenario(bundled_scenario(name)), analysts=10_000, shifts=None)
    records = run_replication(scenario)
    for country in _csirts(scenario):
        _, lengths = _check_queue(records, country)
        assert list(lengths) == [0]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", SCENARIOS)
def test_incident_spans_are_ordered_and_complete(name: str, seed: int) -> None:
    records = run(load_scenario(bundled_scenario(name)), seed=seed).records
    spans = incident_spans(records)
    noticed = {e[5] for e in records.events if e[1] in ("detected", "reported")}
    assert [s["incident"] for s in spans] == list(dict.fromkeys(s["incident"] for s in spans))
    assert {s["incident"] for s in spans} == noticed
    for span in spans:
        steps = [span[k] for k in ("detected", "reported", "triaged", "contained")]
        present = [t for t in steps if t is not None]
        assert present == sorted(present)
        if span["recovered"] is not None:
            assert span["impact"] is not None and span["impact"] <= span["recovered"]
        assert min(present) >= 0 and max(present) <= records.horizon


def test_failure_times_name_exactly_the_assets_that_went_down(result: RunResult) -> None:
    scenario, records = result.scenario, result.records
    failed = failure_times(scenario, records)
    peak = peak_q(scenario, records)
    assert set(failed) == {a.id for a, p in zip(scenario.assets, peak, strict=True) if p >= DOWN}
    index = {a.id: i for i, a in enumerate(scenario.assets)}
    for asset, time in failed.items():
        before = [
            q
            for t, i, q in zip(
                records.series_time, records.series_asset, records.series_q, strict=True
            )
            if i == index[asset] and t < time
        ]
        assert max(before, default=0.0) < DOWN


def _rendered(files: dict[str, bytes], stem: str) -> str:
    """The SVG of a figure, after checking both files are there."""
    assert set(files) == {f"{stem}.png", f"{stem}.svg"}
    assert files[f"{stem}.png"].startswith(b"\x89PNG")
    svg = files[f"{stem}.svg"].decode()
    assert "<svg" in svg
    return svg


def test_plots_render_and_escape_text() -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    evil = "<script>alert(1)</script>"
    times = np.linspace(0, scenario.duration_hours, 97)
    runs, rows = {}, []
    for variant in (None, "all_cbms"):
        results = [run(scenario, variant, seed=seed) for seed in range(3)]
        losses = [sector_loss(r.scenario, r.records, times) for r in results]
        label = variant or evil
        runs[label] = {s: np.array([loss[s] for loss in losses]) for s in losses[0]}
        rows += [
            {
                "variant": label,
                "replication": k,
                "service_hours_lost": r.metrics["service_hours_lost"],
            }
            for k, r in enumerate(results)
        ]
    windows = [(evil, 10.0, 30.0), *event_windows(scenario)]
    records = results[0].records
    spans = [{**s, "country": evil} for s in incident_spans(records)]
    queues = {evil: queue_lengths(records, "AUR")}
    figures = {
        "impact_over_time": impact_plot(times, runs, windows, evil),
        "kpi_distributions": kpi_plot(rows),
        "incident_timeline": incident_timeline(spans, records.horizon, evil),
        "csirt_queues": queue_plot(queues, records.horizon, windows, evil),
    }
    for stem, files in figures.items():
        assert "<script>" not in _rendered(files, stem)


def test_plots_of_nothing_render() -> None:
    times = np.linspace(0, 10, 11)
    quiet = {"as written": {"energy": np.zeros((2, 11))}}
    for stem, files in {
        "impact_over_time": impact_plot(times, quiet, [], "quiet"),
        "kpi_distributions": kpi_plot([]),
        "incident_timeline": incident_timeline([], 10, "quiet"),
        "csirt_queues": queue_plot({}, 10, [], "quiet"),
    }.items():
        _rendered(files, stem)


def test_graph_coloured_by_failure() -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    failed = failure_times(scenario, run_replication(scenario))
    assert failed
    for failed_at in (failed, {}):
        files = draw_graph(scenario, failed_at=failed_at)
        assert set(files) == {"png", "svg"} and files["png"].startswith(b"\x89PNG")


def test_a_large_failure_graph_names_the_failed_assets_first_to_fail_first() -> None:
    scenario = load_scenario(bundled_scenario())
    assert len(scenario.assets) > LABELLED
    failed = failure_times(scenario, run_replication(scenario, seed=3))
    named = [asset.id for asset in labelled(scenario, failed)]
    assert named and set(named) <= set(failed)
    assert len(named) == min(len(failed), LABELLED)
    assert [failed[i] for i in named] == sorted(failed[i] for i in named)
    heaviest = labelled(scenario, None)
    assert len(heaviest) == 3 * len(scenario.countries)
    assert labelled(scenario, {}) == heaviest  # nothing failed: the heaviest are named


def test_a_model_past_the_summary_size_is_drawn_as_country_sector_blocks(tmp_path: Path) -> None:
    write_folder(tmp_path / "m", synthetic_files(SUMMARISED + 500, 3, 0))
    scenario = load_scenario(tmp_path / "m" / "scenario.yaml")
    failed = {a.id: 1.0 for a in scenario.assets if a.country == scenario.countries[0].id}
    for failed_at in (None, failed):
        began = perf_counter()
        svg = draw_graph(scenario, failed_at=failed_at)["svg"].decode()
        assert perf_counter() - began < 20
        blocks = {(a.country, a.sector) for a in scenario.assets}
        assert f"in {len(blocks)} blocks of country and sector" in svg
        assert scenario.assets[0].id not in svg  # no asset is drawn on its own
