"""Each calibrated scenario's baseline lands in the public range its note states
(docs/calibration.md); figures are taken over replications in which the attack landed."""

from __future__ import annotations

import numpy as np
import pytest

from sim import list_scenarios, load_scenario, run_replication


def outcomes(name: str, replications: int) -> tuple[list[float], list[float], list[int]]:
    """Outage hours of every ended impact, gaps between successive impacts, and the number
    of countries hit in each replication where something landed."""
    scenario = load_scenario(list_scenarios()[name])
    hours, gaps, countries = [], [], []
    for r in range(replications):
        events = run_replication(scenario, replication=r).events
        hours += [e[6] for e in events if e[1] == "impact_end"]
        starts = sorted(e[0] for e in events if e[1] == "impact")
        gaps += list(np.diff(starts))
        if starts:
            countries.append(len({e[2] for e in events if e[1] == "impact"}))
    return hours, gaps, countries


@pytest.mark.slow
def test_grid_attack_outages_last_one_to_six_hours_thirty_minutes_apart() -> None:
    hours, gaps, _ = outcomes("grid_attack_2015", 80)
    assert len(hours) >= 20
    assert 1 <= np.median(hours) <= 6
    assert 0.25 <= np.median(gaps) <= 1.0


@pytest.mark.slow
def test_pipeline_stays_shut_four_to_seven_days() -> None:
    hours, _, _ = outcomes("pipeline_ransomware", 60)
    assert len(hours) >= 10
    assert 96 <= np.median(hours) <= 168


@pytest.mark.slow
def test_government_systems_stay_down_for_weeks() -> None:
    hours, _, _ = outcomes("government_ransomware", 10)
    assert len(hours) >= 15
    assert 168 <= np.median(hours) <= 1344


@pytest.mark.slow
def test_supply_chain_wiper_victims_rebuild_overnight_across_borders() -> None:
    hours, _, countries = outcomes("supply_chain_wiper", 40)
    assert len(hours) >= 20
    assert 6 <= np.median(hours) <= 24
    assert np.median(countries) >= 2
