"""Every lever has a pathway: common random numbers that hold, incidents known by identity, and
each mechanism of cooperation and capacity doing what docs/engine.md says, as laws."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import campaign_world
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import load_scenario, run_replication
from sim.engine.background import next_arrival
from sim.engine.exercise import run_exercise


def kinds(records: Any, kind: str) -> list[tuple[Any, ...]]:
    return [e for e in records.events if e[1] == kind]


def edit(scenario: Any, change: Any) -> Any:
    """`scenario` with `change(data)` applied to its JSON form."""
    data = scenario.model_dump(mode="json", by_alias=True)
    change(data)
    return load_scenario(data)


def exercise(*points: tuple[float, list[dict[str, Any]]], team: str = "t") -> dict[str, Any]:
    """An exercise whose decision points (at an hour, with actions) offer 'no' or 'yes',
    the second taking the actions."""
    return {
        "title": "test",
        "teams": [{"id": team, "name": "team"}],
        "decision_points": [
            {
                "id": f"p:{k}/x",
                "at_hours": at,
                "team": team,
                "prompt": "?",
                "options": [{"label": "no"}, {"label": "yes", "actions": actions}],
            }
            for k, (at, actions) in enumerate(points)
        ],
    }


def borrow(analysts: int, arrival_hours: float) -> dict[str, Any]:
    """AA asks BB for `analysts` analysts, arriving after `arrival_hours`, for 100 hours."""
    return {
        "action": "request_assistance",
        "country": "AA",
        "from": "BB",
        "analysts": analysts,
        "arrival_hours": arrival_hours,
        "hours": 100,
    }


# -- common random numbers ----------------------------------------------------------------


def lone_asset(prevention: float) -> Any:
    """One asset that an intrusion may hit early and a disruption hits late."""
    return load_scenario(
        {
            "name": "crn",
            "start": "2026-01-01T00:00:00Z",
            "duration_hours": 600,
            "countries": [{"id": "X", "name": "X"}],
            "parameters": {"stop_on_detection": 0.0},
            "assets": [
                {
                    "id": "x",
                    "name": "x",
                    "sector": "energy",
                    "country": "X",
                    "prevention": prevention,
                    "monitoring": 0.0,
                    "recovery": {"dist": "lognormal", "median": 20, "p90": 60},
                }
            ],
            "disruptions": [{"asset": "x", "start_hours": 300, "damage": 1.0}],
            "campaigns": [
                {
                    "id": "c",
                    "name": "c",
                    "actor": "criminal",
                    "start_hours": 1,
                    "targeting": {"assets": ["x"]},
                    "stages": [
                        {
                            "tactic": "impact",
                            "technique": "T1486",
                            "success": 1.0,
                            "duration": {"dist": "fixed", "hours": 1},
                        }
                    ],
                    "impact": {"type": "ransomware"},
                }
            ],
        }
    )


@pytest.mark.parametrize("seed", range(8))
def test_a_disruptions_recovery_does_not_depend_on_an_unrelated_intrusion(seed: int) -> None:
    landed = run_replication(lone_asset(0.0), seed=seed)
    blocked = run_replication(lone_asset(1.0), seed=seed)
    assert kinds(landed, "impact") and not kinds(blocked, "impact")
    assert [e[6] for e in kinds(landed, "damage_end")] == [
        e[6] for e in kinds(blocked, "damage_end")
    ]


@pytest.mark.parametrize("seed", range(6))
def test_a_campaigns_draws_do_not_change_when_another_campaign_is_removed(seed: int) -> None:
    def without_csirts(data: dict[str, Any]) -> None:
        for country in data["countries"]:
            country["csirt"] = None
        second = dict(data["campaigns"][0], id="other", start_hours=5)
        data["campaigns"].append(second)

    both = edit(campaign_world(), without_csirts)
    alone = edit(both, lambda data: data["campaigns"].pop())

    def trail(records: Any) -> list[tuple[Any, ...]]:
        return [e for e in records.events if e[4] == "rw"]

    assert trail(run_replication(both, seed=seed)) == trail(run_replication(alone, seed=seed))


# -- identities ---------------------------------------------------------------------------


def awkward_ids() -> Any:
    """Ids that use the characters the schema allows and that an 'a/b' + 'c' parser confuses:
    campaign 'a/b' on asset 'c', and campaign 'a' on asset 'b/c'."""

    def change(data: dict[str, Any]) -> None:
        names = {"AA-bank0": "c", "AA-bank1": "b/c", "AA-bank2": "x#1:é", "BB-bank0": "b:c/d"}
        for asset in data["assets"]:
            asset["id"] = names.get(asset["id"], asset["id"])
            asset["owner"] = "Bank/Co#1"
        first = data["campaigns"][0]
        first |= {"id": "a/b", "start_hours": 0}
        first["targeting"] = {"assets": ["c", "b:c/d"], "count": 2}
        first["impact"] = {"type": "ransomware", "spread": 1.0, "spread_hours": 2}
        second = dict(first, id="a", targeting={"assets": ["b/c"], "count": 1})
        data["campaigns"].append(second)
        data["cbms"] = {"incident_sharing": ["AA", "BB"], "points_of_contact": ["AA", "BB"]}
        data["network"]["assistance_threshold"] = "Baseline"
        actions = [
            {"action": "isolate", "asset": "b/c", "hours": 300},
            {"action": "share_indicators", "country": "AA"},
            {"action": "request_assistance", "country": "AA", "from": "BB"},
        ]
        data["exercise"] = exercise((0.5, actions), team="t/1")

    return edit(campaign_world(), change)


def test_incidents_are_known_by_identity_whatever_characters_ids_use() -> None:
    scenario = awkward_ids()
    records = run_exercise(scenario, 3, lambda point, world: 1)
    started = {(e[4], e[3]): e[5] for e in kinds(records, "intrusion_start")}
    assert started.keys() == {("a/b", "c"), ("a/b", "b:c/d"), ("a", "b/c")}
    assert len(set(started.values())) == 3  # 'a/b' + 'c' and 'a' + 'b/c' stay apart
    stopped = [e for e in records.events if e[1] in ("intrusion_contained", "stage_blocked")]
    assert any(e[3] == "b/c" and e[4] == "a" for e in stopped)  # isolation found its intrusion
    assert kinds(records, "lent_work") or kinds(records, "assistance_arrived")
    for row in records.events:
        if row[5] in started.values():
            assert (row[4], row[3]) == next(k for k, v in started.items() if v == row[5])


def test_every_engine_path_runs_on_awkward_ids_into_an_after_action_report() -> None:
    from html import escape

    from sim.analysis.metrics import compute_metrics
    from sim.report.aar import aar_report

    scenario = awkward_ids()
    for seed in range(6):
        records = run_exercise(scenario, seed, lambda point, world: 1)
        seen = {e[1] for e in records.events}
        assert {"isolated", "indicators_shared", "assistance_arrived"} <= seen
        metrics = compute_metrics(scenario, records)
        taken = [{"point": "p:0/x", "option": 1, "label": "yes", "time_hours": 0.5}]
        taken[0] |= {"wall_clock": "", "source": "test"}
        page = aar_report(scenario, metrics, records.events, taken, {}, {}).decode()
        assert escape("p:0/x") in page and "Traceback" not in page
    spreads = [
        e
        for seed in range(12)
        for e in kinds(run_replication(scenario, seed=seed), "impact")
        if "#" in e[5] or e[3] not in {"c", "b:c/d", "b/c"}
    ]
    assert spreads  # ransomware reached the owner's other assets as incidents of their own


# -- pathways -----------------------------------------------------------------------------


def test_shared_indicators_block_the_campaigns_later_intrusions_in_another_member() -> None:
    """AA is hit first; BB's banks a day later. Sharing makes BB's stages fail on indicators."""
    blocked = {True: 0, False: 0}
    for sharing in (True, False):
        cbms = {"incident_sharing": ["AA", "BB"]} if sharing else {}
        for seed in range(30):
            records = run_replication(campaign_world(cbms=cbms), seed=seed)
            blocked[sharing] += sum(
                1 for e in kinds(records, "block_reason") if e[2] == "BB" and e[7] == "indicators"
            )
    assert blocked[True] > blocked[False]


def test_a_national_advisory_protects_the_victims_other_operators() -> None:
    scenario = campaign_world(network=None, cbms={})
    advised = 0
    for seed in range(30):
        records = run_replication(scenario, seed=seed)
        issued = [e[0] for e in kinds(records, "advisory_issued") if e[2] == "AA"]
        advised += sum(
            1
            for e in kinds(records, "block_reason")
            if e[2] == "AA" and e[7] == "indicators" and issued and e[0] > issued[0]
        )
    assert advised > 0


def fast_response(spread_hours: float, **changes: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        for asset in data["assets"]:
            asset["owner"] = "BankCo"
        data["campaigns"][0]["impact"] = {
            "type": "ransomware",
            "spread": 1.0,
            "spread_hours": spread_hours,
            "duration": {"dist": "fixed", "hours": 200},
        }
        for country in data["countries"]:
            country["csirt"] = {"analysts": 8, "containment": {"dist": "fixed", "hours": 1}}

    return edit(campaign_world(**changes), change)


def test_containment_stops_the_spreads_not_yet_made() -> None:
    slow, fast = fast_response(spread_hours=100), fast_response(spread_hours=0.01)
    prevented = landed = 0
    for seed in range(20):
        prevented += len(kinds(run_replication(slow, seed=seed), "spread_prevented"))
        landed += len(kinds(run_replication(fast, seed=seed), "impact"))
        assert not kinds(run_replication(fast, seed=seed), "spread_prevented")
    assert prevented > 0 and landed > 0


def test_containment_evicts_intrusions_detected_before_their_impact() -> None:
    scenario = fast_response(spread_hours=100)
    evicted = sum(
        len(kinds(run_replication(scenario, seed=seed), "intrusion_contained"))
        for seed in range(20)
    )
    assert evicted > 0


@pytest.mark.parametrize(("analysts", "pieces"), [(8, 4), (1, 4), (2, 3), (5, 1)])
def test_containment_tasks_run_in_parallel_on_free_analysts(analysts: int, pieces: int) -> None:
    """A fixed effort of 12 analyst-hours in `pieces` equal tasks, with no other work: the
    incident is contained ceil(pieces / analysts) rounds of 12 / pieces hours after triage."""

    def change(data: dict[str, Any]) -> None:
        data["parameters"] = {"containment_tasks": pieces, "stop_on_detection": 0.0}
        for country in data["countries"]:
            country["background"] = None
            country["csirt"] = {
                "analysts": analysts,
                "containment": {"dist": "fixed", "hours": 12},
                "triage": {"dist": "fixed", "hours": 0.5},
            }
        data["campaigns"][0]["targeting"]["count"] = 1
        data["network"] = None

    scenario = edit(campaign_world(), change)
    expected = -(-pieces // analysts) * 12 / pieces
    for seed in range(5):
        records = run_replication(scenario, seed=seed)
        triaged = {e[5]: e[0] for e in kinds(records, "triaged")}
        for e in kinds(records, "contained"):
            assert e[0] - triaged[e[5]] == pytest.approx(expected)


def queue_world() -> Any:
    """One CSIRT of one analyst under routine load; a decision at hour 10 may borrow analysts
    from BB for 100 hours (option 1: it asks for three, BB can spare one) or not (option 0)."""

    def change(data: dict[str, Any]) -> None:
        data["campaigns"] = []
        data["countries"][0]["csirt"] = {"analysts": 1}
        data["countries"][0]["background"] = {
            "per_day": 20,
            "handling": {"dist": "exponential", "mean": 1},
        }
        data["exercise"] = exercise((10, [borrow(3, 0)]))

    return edit(campaign_world(), change)


def test_lent_analysts_join_the_pool_and_cut_the_queue_while_there() -> None:
    def waits(option: int) -> tuple[float, int]:
        scenario = queue_world()
        values, lent_tasks = [], 0
        for seed in range(10):
            records = run_exercise(scenario, seed, lambda point, world: option)
            values += [e[6] for e in kinds(records, "queue_wait") if e[2] == "AA" and e[0] < 110]
            lent_tasks += len(kinds(records, "lent_work"))
        return float(np.mean(values)), lent_tasks

    alone, none = waits(0)
    helped, taken = waits(1)
    assert none == 0 and taken > 0
    assert helped < alone


def test_re_triage_raises_an_incidents_level_when_its_intrusion_goes_further() -> None:
    def change(data: dict[str, Any]) -> None:
        data["cbms"] = {"severity_schemes": ["AA", "BB"]}
        data["parameters"] = {"stop_on_detection": 0.0}

    scenario = edit(campaign_world(), change)
    rises = []
    for seed in range(30):
        records = run_replication(scenario, seed=seed)
        levels = ("Baseline", "Low", "Medium", "High", "Severe", "Emergency")
        first = {e[5]: levels.index(e[7]) for e in kinds(records, "triaged")}
        rises += [levels.index(e[7]) > first[e[5]] for e in kinds(records, "retriaged")]
    assert rises and all(rises)


def takedown_world(cbms: dict[str, list[str]], host: str = "BB") -> Any:
    """AA's banks hit every 12 hours from a botnet whose controllers are in `host`."""

    def change(data: dict[str, Any]) -> None:
        campaign = data["campaigns"][0]
        campaign["infrastructure_in"] = host
        campaign["impact"] = {"type": "ddos"}
        campaign["targeting"] = {"countries": ["AA"], "order": "sequential", "interval_hours": 12}
        data["cbms"] = cbms
        data["parameters"] = {"stop_on_detection": 0.0}

    return edit(campaign_world(), change)


def test_a_takedown_request_stops_the_campaign_sooner_with_points_of_contact() -> None:
    def outcome(cbms: dict[str, list[str]]) -> tuple[list[float], int]:
        delays, stopped = [], 0
        for seed in range(30):
            records = run_replication(takedown_world(cbms), seed=seed)
            delays += [e[6] for e in kinds(records, "infrastructure_taken_down")]
            stopped += len(kinds(records, "intrusion_taken_down"))
        return delays, stopped

    plain, stopped = outcome({})
    quick, stopped_quick = outcome({"points_of_contact": ["AA", "BB"]})
    assert plain and quick and stopped > 0
    assert np.mean(quick) < np.mean(plain)
    assert stopped_quick >= stopped


def test_un_norms_in_the_hosting_country_answer_more_takedown_requests() -> None:
    def answered(cbms: dict[str, list[str]]) -> float:
        asked = agreed = 0
        for seed in range(40):
            records = run_replication(takedown_world(cbms), seed=seed)
            asked += len(kinds(records, "takedown_requested"))
            agreed += len(kinds(records, "takedown_requested")) - len(
                kinds(records, "takedown_declined")
            )
        return agreed / asked

    assert answered({"un_norms": ["BB"]}) > answered({})


def test_an_event_surge_multiplies_routine_arrivals_in_its_window() -> None:
    def change(data: dict[str, Any]) -> None:
        data["campaigns"] = []
        data["countries"][0]["background"] = {
            "per_day": 24,
            "handling": {"dist": "fixed", "hours": 0.01},
        }
        window = {"name": "w", "start_hours": 100, "end_hours": 300, "incident_surge": 4}
        data["events"] = [{"id": "e", "name": "e", "country": "AA", "windows": [window]}]

    scenario = edit(campaign_world(), change)
    inside = outside = 0
    for seed in range(5):
        for e in kinds(run_replication(scenario, seed=seed), "background_incident"):
            if e[2] == "AA":
                inside += 100 <= e[0] < 300
                outside += not 100 <= e[0] < 300
    # 200 h in the window at 4 an hour, 200 h outside at 1 an hour
    assert inside / outside == pytest.approx(4, rel=0.12)


@settings(max_examples=200, deadline=None)
@given(
    now=st.floats(0, 100),
    work=st.floats(0, 50),
    rate=st.floats(0.01, 10),
    start=st.floats(0, 100),
    length=st.floats(0.1, 50),
    factor=st.floats(1, 20),
)
def test_next_arrival_inverts_the_cumulative_rate(
    now: float, work: float, rate: float, start: float, length: float, factor: float
) -> None:
    end = start + length
    t = next_arrival(now, work, rate, [(start, end, factor)])

    def cumulative(x: float) -> float:
        inside = max(0.0, min(x, end) - max(now, start))
        return rate * (x - now) + rate * (factor - 1) * inside

    assert t >= now
    assert cumulative(t) == pytest.approx(work, abs=1e-7, rel=1e-9)


def test_a_delay_made_fixed_moves_no_other_draw() -> None:
    """Every draw takes one uniform, whatever its distribution: with no campaign naming its
    infrastructure, a fixed takedown delay changes nothing at all."""
    scenario = campaign_world()
    fixed = edit(
        scenario, lambda d: d.update(parameters={"takedown_delay": {"dist": "fixed", "hours": 8}})
    )
    for seed in range(10):
        assert (
            run_replication(scenario, seed=seed).events == run_replication(fixed, seed=seed).events
        )


def test_a_lender_gives_up_the_analysts_it_lends_and_keeps_half_at_home() -> None:
    def change(data: dict[str, Any]) -> None:
        data["countries"][1]["csirt"] = {"analysts": 5}
        data["countries"][1]["background"] = {
            "per_day": 30,
            "handling": {"dist": "fixed", "hours": 1},
        }
        data["exercise"] = exercise((10, [borrow(50, 1)]), (11, [borrow(50, 1)]))

    scenario = edit(campaign_world(), change)
    records = run_exercise(scenario, 1, lambda point, world: 1)
    arrived = [e[7] for e in kinds(records, "assistance_arrived") if e[5].startswith("decision")]
    assert arrived == ["2 analysts from BB for 100 h"]  # of 5 analysts, 3 stay at home
    refused = [e[2] for e in kinds(records, "assistance_refused") if e[5].startswith("decision")]
    assert refused == ["BB"]  # none left to lend
    alone = run_exercise(scenario, 1, lambda point, world: 0)

    def bb_wait(r: Any) -> float:
        return float(
            np.mean([e[6] for e in kinds(r, "queue_wait") if e[2] == "BB" and 12 < e[0] < 110])
        )

    assert bb_wait(records) > bb_wait(alone)


def test_an_isolated_asset_takes_no_spread() -> None:
    def change(data: dict[str, Any]) -> None:
        for asset in data["assets"]:
            asset["owner"] = "BankCo"
        data["campaigns"][0]["impact"] = {"type": "ransomware", "spread": 1.0, "spread_hours": 1}
        isolate = {"action": "isolate", "asset": "BB-bank2", "hours": 400}
        data["exercise"] = exercise((0, [isolate]))

    scenario = edit(campaign_world(network=None, cbms={}), change)
    spared = 0
    for seed in range(10):
        records = run_exercise(scenario, seed, lambda point, world: 1)
        assert not [e for e in kinds(records, "impact") if e[3] == "BB-bank2"]
        spared += sum(e[7] == "BB-bank2" for e in kinds(records, "spread_prevented"))
    assert spared > 0


def test_a_rate_too_small_to_be_a_number_brings_no_arrival() -> None:
    assert next_arrival(0.0, 1.0, 5e-324 / 24, []) == float("inf")
    scenario = edit(
        campaign_world(),
        lambda d: d["countries"][0].update(
            background={"per_day": 5e-324, "handling": {"dist": "fixed", "hours": 1}}
        ),
    )
    assert not [e for e in kinds(run_replication(scenario), "background_incident") if e[2] == "AA"]
