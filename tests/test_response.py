"""Response and cooperation: queueing laws, severity ordering, sharing, assistance, CBMs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from helpers import campaign_world, routine_world

from sim import ScenarioError, load_scenario, run, run_replication
from sim.analysis.response import csirt_load, incident_timings


def erlang_c_wait(arrivals: float, service: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = arrivals / service
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    return p_wait / (servers * service - arrivals)


def waits(records: Any, task: str | None = None) -> list[float]:
    return [e[6] for e in records.events if e[1] == "queue_wait" and task in (None, e[7])]


def test_mean_wait_matches_erlang_c() -> None:
    """c analysts, Poisson arrivals, exponential handling, first come first served."""
    scenario = routine_world(3, per_hour=2.0, mean_hours=1.0, mix={"phishing": 1}, hours=6000)
    observed = [np.mean(waits(run_replication(scenario, replication=r))) for r in range(4)]
    assert np.mean(observed) == pytest.approx(erlang_c_wait(2.0, 1.0, 3), rel=0.08)


def test_unlimited_analysts_never_wait() -> None:
    scenario = routine_world(10_000, per_hour=5.0, mean_hours=3.0, mix={"malware": 1}, hours=200)
    assert max(waits(run_replication(scenario))) == 0


def test_with_a_scheme_severe_incidents_wait_less() -> None:
    mix = {"ddos": 1, "scanning": 1}
    scheme = routine_world(2, 1.8, 1.0, mix, cbms={"severity_schemes": ["AA"]})
    records = run_replication(scheme)
    assert np.mean(waits(records, "ddos")) < 0.5 * np.mean(waits(records, "scanning"))
    fcfs = run_replication(routine_world(2, 1.8, 1.0, mix))
    assert np.mean(waits(fcfs, "ddos")) == pytest.approx(np.mean(waits(fcfs, "scanning")), rel=0.25)


def mean_metric(scenario: Any, pick: Any, seeds: int = 40) -> float:
    values = [pick(run(scenario, seed=s).metrics) for s in range(seeds)]
    return float(np.mean([v for v in values if v is not None]))


def test_earlier_sharing_never_raises_mean_impact() -> None:
    def lost(delay_hours: float) -> float:
        network = {
            "members": ["AA", "BB"],
            "sharing_delay": {"dist": "fixed", "hours": delay_hours},
        }
        return mean_metric(campaign_world(network=network), lambda m: m["service_hours_lost"])

    soon, late, never = lost(1), lost(48), lost(390)
    assert soon <= late <= never
    assert soon < never


def test_more_analysts_never_raise_mean_time_to_contain() -> None:
    def contain(analysts: int) -> float:
        scenario = campaign_world(analysts_AA=analysts, analysts_BB=analysts, load=20)
        return mean_metric(scenario, lambda m: m["incident_timings"]["contain"]["mean"])

    one, two, eight = contain(1), contain(2), contain(8)
    assert eight <= two <= one
    assert eight < one


def test_assistance_comes_faster_with_points_of_contact() -> None:
    def delays(cbms: dict[str, list[str]]) -> list[float]:
        found = []
        for seed in range(30):
            records = run_replication(campaign_world(cbms=cbms), seed=seed)
            found += [e[6] for e in records.events if e[1] == "assistance_answered"]
        return found

    without = delays({"incident_sharing": ["AA", "BB"], "un_norms": ["AA", "BB"]})
    with_poc = delays(
        {
            "incident_sharing": ["AA", "BB"],
            "un_norms": ["AA", "BB"],
            "points_of_contact": ["AA", "BB"],
        }
    )
    assert without and with_poc
    assert np.mean(with_poc) < np.mean(without)


def test_un_norms_raise_the_share_of_requests_answered() -> None:
    def answered(cbms: dict[str, list[str]]) -> float:
        pairs = [run(campaign_world(cbms=cbms), seed=s).metrics["cooperation"] for s in range(40)]
        asked = sum(p["assistance_requested"] for p in pairs)
        return sum(p["assistance_answered"] for p in pairs) / asked

    assert answered({"un_norms": ["AA", "BB"]}) > answered({})


def test_timings_and_load_are_consistent() -> None:
    scenario = campaign_world()
    records = run_replication(scenario, seed=3)
    timings = incident_timings(scenario, records)
    for step in timings.values():
        if step["n"]:
            assert 0 <= step["p50"] <= step["p90"]
    load = csirt_load(scenario, records)
    assert set(load) == {"AA", "BB"}
    assert all(0 < v["utilisation"] < 1 for v in load.values())


def test_a_joint_cell_shortens_containment_in_its_window() -> None:
    def contain(cell: dict[str, Any] | None) -> float:
        network = {"members": ["AA", "BB"], "joint_cell": cell}
        scenario = campaign_world(network=network, load=30, analysts_AA=1, analysts_BB=1)
        return mean_metric(scenario, lambda m: m["incident_timings"]["contain"]["mean"])

    assert contain({"analysts": 4, "windows": [[0, 400]]}) < contain(None)


def test_night_shifts_leave_fewer_analysts_and_longer_waits() -> None:
    def world(shifts: dict[str, Any] | None) -> Any:
        scenario = routine_world(4, per_hour=1.5, mean_hours=1.0, mix={"malware": 1}, hours=480)
        data = scenario.model_dump(mode="json")
        data["countries"][0]["csirt"]["shifts"] = shifts
        return load_scenario(data)

    day_only = world({"night_from": 20, "night_to": 8, "night_analysts": 1})
    records = run_replication(day_only)
    assert any(e[1] == "work" and not 8 <= e[0] % 24 < 20 for e in records.events)
    assert np.mean(waits(records)) > 2 * np.mean(waits(run_replication(world(None))))
    night_starts = [e[0] for e in records.events if e[1] == "night_shift"]
    assert night_starts[:3] == [0, 20, 44]  # the scenario starts at midnight UTC, at night


def test_a_fast_response_shortens_outages_and_never_lengthens_them() -> None:
    impact = {"type": "ransomware", "duration": {"dist": "fixed", "hours": 150}}

    def outage(csirt: dict[str, Any] | None) -> float:
        scenario = campaign_world()
        data = scenario.model_dump(mode="json")
        data["campaigns"][0]["impact"] = impact
        for country in data["countries"]:
            country["csirt"] = csirt
        records_hours = []
        for seed in range(30):
            records = run_replication(load_scenario(data), seed=seed)
            records_hours += [e[6] for e in records.events if e[1] == "impact_end"]
        assert all(h <= 150 + 1e-9 for h in records_hours)
        return float(np.mean(records_hours))

    fast = {"analysts": 8, "containment": {"dist": "fixed", "hours": 1}}
    assert outage(fast) < outage(None) == pytest.approx(150)


def test_each_spread_infection_is_an_incident_of_its_own() -> None:
    scenario = campaign_world()
    data = scenario.model_dump(mode="json")
    for asset in data["assets"]:
        asset["owner"] = "BankCo"
    data["campaigns"][0]["impact"] = {"type": "ransomware", "spread": 1.0, "spread_hours": 30}
    for seed in range(10):
        records = run_replication(load_scenario(data), seed=seed)
        impacts = [e[5] for e in records.events if e[1] == "impact"]
        assert len(impacts) == len(set(impacts))  # one impact per incident id
        for incident in set(impacts):
            kinds = [e[1] for e in records.events if e[5] == incident]
            assert kinds.count("reported") <= 1 and kinds.count("impact_end") <= 1


@pytest.mark.parametrize("share", [math.nan, math.inf, -1.0])
def test_a_routine_mix_with_a_share_that_is_not_a_finite_frequency_is_refused(
    share: float,
) -> None:
    with pytest.raises(ScenarioError, match=r"countries\[0\]\.background\.mix\.malware"):
        routine_world(1, 1.0, 1.0, {"phishing": 1.0, "malware": share})
