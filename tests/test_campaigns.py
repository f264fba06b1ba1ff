"""Campaigns: staged intrusions, detection, prevention, indicators, impact, spread, templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim import ScenarioError, load_scenario, run_replication
from sim.analysis.intrusions import campaign_outcomes
from sim.analysis.metrics import service_hours_lost
from sim.engine.sampling import Z90, draw
from sim.schema.distributions import Exponential, Lognormal, Triangular, Uniform
from sim.schema.load import campaign_templates

STAGES = [
    {
        "tactic": "initial-access",
        "technique": "T1566.001",
        "success": 1.0,
        "duration": {"dist": "fixed", "hours": 3},
    },
    {
        "tactic": "lateral-movement",
        "technique": "T1021.002",
        "success": 1.0,
        "duration": {"dist": "fixed", "hours": 2},
    },
    {
        "tactic": "impact",
        "technique": "T1486",
        "success": 1.0,
        "duration": {"dist": "fixed", "hours": 0.5},
    },
]


def world(
    campaigns: list[dict[str, Any]],
    *,
    n: int = 6,
    prevention: float = 0.0,
    monitoring: float = 0.0,
    owner: str = "",
    parameters: dict[str, Any] | None = None,
    duration: float = 200,
) -> Any:
    """n independent assets in two countries, all of sector finance, weight i + 1."""
    assets = [
        {
            "id": f"b{i}",
            "name": f"bank {i}",
            "sector": "finance",
            "country": "AA" if i % 2 else "BB",
            "weight": i + 1,
            "prevention": prevention,
            "monitoring": monitoring,
            "owner": owner,
            "recovery": {"dist": "fixed", "hours": 10},
        }
        for i in range(n)
    ]
    data = {
        "name": "campaign test",
        "start": "2026-01-01T00:00:00Z",
        "duration_hours": duration,
        "countries": [{"id": "AA", "name": "A"}, {"id": "BB", "name": "B"}],
        "assets": assets,
        "campaigns": campaigns,
        "parameters": parameters or {},
    }
    return load_scenario(data)


def campaign(id_: str = "c", **changes: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "name": id_,
        "actor": "criminal",
        "start_hours": 5,
        "targeting": {"sectors": ["finance"]},
        "stages": STAGES,
        "impact": {"type": "ransomware"},
        **changes,
    }


def events(records: Any, kind: str, campaign_id: str | None = None) -> list[tuple]:
    return [e for e in records.events if e[1] == kind and campaign_id in (None, e[4])]


@settings(max_examples=25, deadline=None)
@given(
    interval=st.floats(0, 5).map(lambda x: round(x, 2)),
    count=st.integers(1, 6),
    damage=st.floats(0.1, 1.0),
    seed=st.integers(0, 1000),
)
def test_certain_success_lands_as_designed(
    interval: float, count: int, damage: float, seed: int
) -> None:
    """Success 1, monitoring 0, prevention 0: each target is damaged at start + offset + the
    stages' hours, by the designed amount, for the designed time."""
    scenario = world(
        [
            campaign(
                targeting={
                    "sectors": ["finance"],
                    "count": count,
                    "pick": "weight",
                    "order": "sequential",
                    "interval_hours": interval,
                },
                impact={
                    "type": "degrade",
                    "damage": damage,
                    "duration": {"dist": "fixed", "hours": 4},
                },
            )
        ]
    )
    records = run_replication(scenario, seed=seed)
    impacts = events(records, "impact")
    expected_targets = [f"b{i}" for i in range(5, 5 - count, -1)]  # heaviest first
    assert [e[3] for e in impacts] == expected_targets
    for k, e in enumerate(impacts):
        assert e[0] == pytest.approx(5 + k * interval + 5.5)
        assert e[6] == pytest.approx(damage)
    outcome = campaign_outcomes(scenario, records)["c"]
    tactics = ("initial-access", "lateral-movement", "impact")
    assert outcome["completed_by_tactic"] == dict.fromkeys(tactics, count)
    assert outcome["succeeded"] == outcome["assets_impacted"] == count
    assert outcome["mean_hours_to_impact"] == pytest.approx(2.5)
    assert service_hours_lost(scenario, records) == pytest.approx(
        sum(int(t[1:]) + 1 for t in expected_targets) * damage * 4
    )


def test_full_prevention_lets_nothing_land() -> None:
    scenario = world([campaign(stages=[{**s, "success": 1.0} for s in STAGES])], prevention=1.0)
    for seed in range(10):
        records = run_replication(scenario, seed=seed)
        assert not events(records, "impact")
        assert len(events(records, "stage_blocked")) == 6
    outcome = campaign_outcomes(scenario, records)["c"]
    assert outcome["blocked_by_tactic"] == {"initial-access": 6}
    assert outcome["succeeded"] == outcome["completed_by_tactic"].get("impact", 0) == 0


def test_held_indicators_that_block_everything_stop_every_intrusion() -> None:
    scenario = world(
        [campaign(indicators=["hash"], indicators_known_by=["AA", "BB"])],
        parameters={"indicator_block": 1.0},
    )
    assert not events(run_replication(scenario), "impact")


def test_more_monitoring_never_raises_mean_impact() -> None:
    stages = [{**s, "success": 0.9, "detectability": 0.6} for s in STAGES]
    losses = {}
    for monitoring in (0.1, 0.5, 0.9):
        scenario = world([campaign(stages=stages)], monitoring=monitoring)
        losses[monitoring] = np.mean(
            [service_hours_lost(scenario, run_replication(scenario, seed=s)) for s in range(40)]
        )
    assert losses[0.9] <= losses[0.5] <= losses[0.1]
    assert losses[0.9] < losses[0.1]


@pytest.mark.parametrize(
    ("dist", "frozen"),
    [
        (Exponential(dist="exponential", mean=3), stats.expon(scale=3)),
        (Uniform(dist="uniform", low=1, high=4), stats.uniform(1, 3)),
        (Triangular(dist="triangular", low=1, mode=2, high=6), stats.triang(0.2, 1, 5)),
        (Lognormal(dist="lognormal", median=6, p90=18), stats.lognorm(np.log(3) / Z90, scale=6)),
    ],
)
def test_draws_follow_their_distribution(dist: Any, frozen: Any) -> None:
    rng = np.random.default_rng(0)
    sample = [draw(dist, rng) for _ in range(3000)]
    assert stats.kstest(sample, frozen.cdf).pvalue > 0.001


def test_stage_durations_in_the_engine_follow_their_distribution() -> None:
    lognormal = {"dist": "lognormal", "median": 6, "p90": 18}
    stages = [{**STAGES[0], "duration": lognormal}, STAGES[2]]
    scenario = world([campaign(stages=stages, targeting={"assets": ["b0"], "count": 1})])
    hours = []
    for r in range(400):
        records = run_replication(scenario, seed=1, replication=r)
        (done,) = [e for e in events(records, "stage_success") if e[7].startswith("0:")]
        hours.append(done[0] - 5)
    assert stats.kstest(hours, stats.lognorm(np.log(3) / Z90, scale=6).cdf).pvalue > 0.001


def test_changing_one_campaign_leaves_anothers_draws_alone() -> None:
    stages = [{**s, "success": 0.7, "duration": {"dist": "exponential", "mean": 4}} for s in STAGES]
    other = campaign(
        "other", stages=stages, targeting={"sectors": ["finance"], "countries": ["AA"]}
    )
    mine = campaign("mine", stages=stages, targeting={"sectors": ["finance"], "countries": ["BB"]})
    changed = {**mine, "stages": [{**s, "success": 0.2} for s in stages], "start_hours": 9}
    for seed in range(5):
        before = run_replication(world([other, mine], monitoring=0.5), seed=seed)
        after = run_replication(world([other, changed], monitoring=0.5), seed=seed)
        assert [e for e in before.events if e[4] == "other"] == [
            e for e in after.events if e[4] == "other"
        ]
        assert before.events != after.events


def test_ransomware_spreads_within_its_owner() -> None:
    spreading = campaign(
        targeting={"assets": ["b0"], "count": 1},
        impact={"type": "ransomware", "spread": 1.0, "spread_hours": 2},
    )
    records = run_replication(world([spreading], owner="BankCo"))
    hit = {e[3]: e[0] for e in events(records, "impact")}
    assert set(hit) == {f"b{i}" for i in range(6)}
    assert all(t == pytest.approx(hit["b0"] + 2) for a, t in hit.items() if a != "b0")
    alone = run_replication(world([spreading], owner=""))
    assert [e[3] for e in events(alone, "impact")] == ["b0"]


def test_exfiltration_costs_no_service() -> None:
    scenario = world([campaign(impact={"type": "exfiltrate"})])
    records = run_replication(scenario)
    assert len(events(records, "exfiltration")) == 6
    assert service_hours_lost(scenario, records) == 0


def test_spreading_order_follows_dependencies() -> None:
    data = world([]).model_dump(mode="json")
    data["dependencies"] = [
        {"supplier": "b0", "dependent": "b1", "strength": 0.1},
        {"supplier": "b1", "dependent": "b2", "strength": 0.1},
        {"supplier": "b4", "dependent": "b2", "strength": 0.1},
    ]
    data["campaigns"] = [
        campaign(
            targeting={
                "assets": ["b0"],
                "sectors": ["finance"],
                "count": 4,
                "pick": "weight",
                "order": "spreading",
                "interval_hours": 10,
            }
        )
    ]
    records = run_replication(load_scenario(data))
    starts = [(e[0], e[3]) for e in events(records, "intrusion_start")]
    assert starts == [(5, "b0"), (15, "b1"), (25, "b2"), (35, "b4")]


def test_background_arrivals_are_poisson() -> None:
    data = world([]).model_dump(mode="json")
    data["countries"][0]["background"] = {"per_day": 6, "handling": {"dist": "fixed", "hours": 1}}
    scenario = load_scenario(data)
    counts = [
        len(events(run_replication(scenario, seed=0, replication=r), "background_incident"))
        for r in range(200)
    ]
    expected = 6 * 200 / 24
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 200)
    assert np.var(counts) == pytest.approx(expected, rel=0.35)


def test_every_template_validates_and_runs(tmp_path: Path) -> None:
    campaigns = [
        {"id": name, "template": name, "start_hours": 1, "targeting": {"sectors": ["finance"]}}
        for name in campaign_templates()
    ]
    assert len(campaigns) >= 5
    scenario = world(campaigns, prevention=0.0, duration=2000)
    assert all(c.source for c in scenario.campaigns)
    records = run_replication(scenario)
    assert {e[4] for e in events(records, "intrusion_start")} == set(campaign_templates())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"template": "no_such"}, "campaigns[0].template: unknown template 'no_such'"),
        (
            {"stages": [{**STAGES[0], "technique": "T9999"}]},
            "campaigns[0].stages[0].technique: unknown ATT&CK technique 'T9999'",
        ),
        (
            {"stages": [{**STAGES[0], "tactic": "impact"}]},
            "campaigns[0].stages[0]: T1566.001 is not a 'impact' technique",
        ),
        ({"targeting": {"assets": ["zz"]}}, "campaigns[0].targeting.assets[0]: unknown asset 'zz'"),
        (
            {"targeting": {"countries": ["QQ"]}},
            "campaigns[0].targeting.countries[0]: unknown country 'QQ'",
        ),
        ({"impact": {"type": "ddos", "spread": 0.5}}, "only ransomware and wipers spread"),
        ({"targeting": {"assets": ["b0", "b1", "b0"]}}, "assets named twice: b0"),
        ({"infrastructure_in": "QQ"}, "campaigns[0].infrastructure_in: unknown country 'QQ'"),
    ],
)
def test_campaign_problems_name_the_field(tmp_path: Path, change: dict, expected: str) -> None:
    data = world([]).model_dump(mode="json") | {"campaigns": [campaign(**change)]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert any(expected in str(p) for p in caught.value.problems), caught.value.problems


def test_containment_interrupts_an_intrusion_before_impact() -> None:
    import simpy

    from sim.engine import kinds
    from sim.engine.adversary import Adversary, Indicators, Sightings
    from sim.engine.infrastructure import Infrastructure
    from sim.engine.records import Records
    from sim.engine.streams import Streams
    from sim.engine.topology import build_topology

    scenario = world([campaign(targeting={"assets": ["b0"], "count": 1})])
    env = simpy.Environment()
    records = Records(scenario.duration_hours, tuple(a.id for a in scenario.assets))
    infra = Infrastructure(env, scenario, records, build_topology(scenario))
    indicators = Indicators.initial(scenario)
    adversary = Adversary(env, scenario, infra, Streams(0), indicators, Sightings())
    adversary.start()

    def responder():
        yield env.timeout(7)  # during the second stage (5 + 3 = 8)
        assert adversary.contain("c/b0")

    env.process(responder())
    env.run(until=scenario.duration_hours)
    assert [e.kind for e in records.events if e.campaign == "c"] == [
        kinds.INTRUSION_START,
        kinds.INTRUSION_CONTAINED,
    ]
    assert not adversary.contain("c/b0")
