"""KPIs against hand-computable cases and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import scenario_from
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import run, run_replication
from sim.analysis.metrics import (
    asset_hours_lost,
    cascade_depth,
    compute_metrics,
    peak_assets_down,
    service_hours_lost,
)


@settings(max_examples=30, deadline=None)
@given(
    damage=st.floats(0.01, 1.0),
    start=st.floats(0, 20),
    hours=st.floats(0.1, 30),
    weight=st.floats(1, 1e6),
)
def test_service_hours_of_a_lone_outage(
    damage: float, start: float, hours: float, weight: float
) -> None:
    """weight x damage x hours, cut at the horizon."""
    scenario = scenario_from(
        [[0]],
        [{"asset": "a0", "start_hours": start, "damage": damage, "duration_hours": hours}],
        duration=40,
    )
    scenario = scenario.model_copy(
        update={"assets": (scenario.assets[0].model_copy(update={"weight": weight}),)}
    )
    records = run_replication(scenario)
    expected = weight * damage * (min(start + hours, 40) - start)
    assert service_hours_lost(scenario, records) == pytest.approx(expected, rel=1e-9)


def test_chain_hours_depth_and_peak() -> None:
    chain = [[0, 0, 0], [1.0, 0, 0], [0, 0.4, 0]]
    spans = [{"asset": "a0", "start_hours": 2, "damage": 1.0, "duration_hours": 5}]
    scenario = scenario_from(chain, spans, duration=10)
    records = run_replication(scenario)
    assert asset_hours_lost(scenario, records) == pytest.approx([5, 5, 2])
    assert cascade_depth(scenario, records) == 2
    assert peak_assets_down(scenario, records) == 2  # a2 only reaches 0.4


def test_nothing_happens_nothing_lost() -> None:
    scenario = scenario_from([[0, 1], [0, 0]], [])
    metrics = compute_metrics(scenario, run_replication(scenario))
    assert metrics["service_hours_lost"] == 0
    assert metrics["peak_assets_down"] == metrics["cascade_depth"] == 0
    assert metrics["countries_affected"] == 0


def test_breakdowns_add_up_on_the_default_scenario() -> None:
    from sim import bundled_scenario, load_scenario

    result = run(load_scenario(bundled_scenario("grid_cascade")))
    m = result.metrics
    assert sum(m["service_hours_lost_by_sector"].values()) == pytest.approx(m["service_hours_lost"])
    assert sum(m["service_hours_lost_by_country"].values()) == pytest.approx(
        m["service_hours_lost"]
    )
    assert 0 < m["peak_assets_down"] <= m["assets_affected"] <= len(result.scenario.assets)
    series = result.series()
    assert list(series.columns) == ["time", "asset", "q"]
    assert series["q"].between(0, 1).all() and series["time"].is_monotonic_increasing
    table = result.metrics_table()
    totals = table[table.key == ""].set_index("metric")["value"]
    assert totals["service_hours_lost"] == pytest.approx(m["service_hours_lost"])
    assert set(table[table.metric == "service_hours_lost_by_country"].key) == {"AUR", "BOR"}
    events = result.events()
    assert {"time", "kind", "country", "asset", "value"} <= set(events.columns)


def test_a_variant_that_adds_backup_never_loses_more() -> None:
    from sim import bundled_scenario, load_scenario

    scenario = load_scenario(bundled_scenario("grid_cascade"))
    for seed in range(5):
        base = run(scenario, seed=seed).metrics["service_hours_lost_by_sector"]["health"]
        better = run(scenario, "resilient_hospital", seed=seed).metrics
        assert better["service_hours_lost_by_sector"]["health"] <= base
    assert np.isfinite(base)


def test_cascade_depth_is_not_cut_by_later_direct_damage() -> None:
    chain = [[0, 0, 0], [1.0, 0, 0], [0, 1.0, 0]]
    first = {"asset": "a0", "start_hours": 1, "damage": 1.0, "duration_hours": 20}
    later = {"asset": "a2", "start_hours": 5, "damage": 1.0, "duration_hours": 1}
    for spans in ([first], [first, later]):
        scenario = scenario_from(chain, spans, duration=30)
        assert cascade_depth(scenario, run_replication(scenario)) == 2


@settings(max_examples=30, deadline=None)
@given(
    start=st.floats(0, 20),
    hours=st.floats(0.5, 20),
    window=st.tuples(st.floats(0, 30), st.floats(0.5, 10)),
    multiplier=st.floats(1, 5),
)
def test_event_window_impact_counts_only_the_overlap(
    start: float, hours: float, window: tuple[float, float], multiplier: float
) -> None:
    from sim import load_scenario

    outage = [{"asset": "a0", "start_hours": start, "damage": 0.5, "duration_hours": hours}]
    data = scenario_from([[0]], outage, duration=40).model_dump(mode="json")
    begin, length = window
    data["events"] = [
        {
            "id": "final",
            "name": "Final",
            "country": "X",
            "windows": [
                {
                    "name": "match",
                    "start_hours": begin,
                    "end_hours": begin + length,
                    "multiplier": multiplier,
                }
            ],
        }
    ]
    scenario = load_scenario(data)
    impact = compute_metrics(scenario, run_replication(scenario))["event_window_impact"]["final"]
    overlap = max(0.0, min(start + hours, begin + length, 40) - max(start, begin))
    assert impact["match"] == pytest.approx(multiplier * 0.5 * overlap, abs=1e-9)
    assert impact["total"] == impact["match"]
