"""ATT&CK Navigator layers: one per campaign and domain plus the whole, each technique of the
campaign once per tactic, counts that obey their order (blocked and first-detected never
exceed reached), the same bytes for the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.analysis.techniques import technique_use
from sim.cli import main
from sim.report.navigator import ALL, DOMAINS, navigator_layers
from sim.schema.attack import techniques


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return sim.load_scenario(sim.bundled_scenario())


def test_counts_obey_their_order(scenario: sim.Scenario) -> None:
    use = technique_use(scenario, scenario.seed, 4)
    assert sum(use.reached.values()) > 0
    for key, reached in use.reached.items():
        assert use.blocked[key] <= reached
        assert use.detected[key] <= reached
    assert set(use.blocked) | set(use.detected) <= set(use.reached)


def test_every_campaign_technique_is_in_its_domains_layers(scenario: sim.Scenario) -> None:
    use = technique_use(scenario, scenario.seed, 2)
    files = navigator_layers(scenario, use)
    table = techniques()
    for campaign in scenario.campaigns:
        for domain in {table[s.technique].domain for s in campaign.stages}:
            for stem in (campaign.id, ALL):
                layer = json.loads(files[f"{stem}.{domain}.json"])
                assert layer["versions"]["layer"] == "4.5"
                assert layer["domain"] == DOMAINS[domain]
                listed = {(t["techniqueID"], t["tactic"]) for t in layer["techniques"]}
                for stage in campaign.stages:
                    if table[stage.technique].domain == domain:
                        assert (stage.technique, stage.tactic) in listed
                assert all(table[t].domain == domain for t, _ in listed)
                assert all(0 <= t.get("score", 0) <= 1 for t in layer["techniques"])
                assert "exercise data" in layer["description"]


def test_the_whole_sums_the_campaigns(scenario: sim.Scenario) -> None:
    use = technique_use(scenario, scenario.seed, 3)
    files = navigator_layers(scenario, use)

    def reached(name: str) -> dict[tuple[str, str], int]:
        return {
            (t["techniqueID"], t["tactic"]): int(t["metadata"][0]["value"])
            for t in json.loads(files[name])["techniques"]
        }

    for domain in DOMAINS:
        whole = f"{ALL}.{domain}.json"
        if whole not in files:
            continue
        total: dict[tuple[str, str], int] = {}
        for name in files:
            if name.endswith(f".{domain}.json") and name != whole:
                for key, count in reached(name).items():
                    total[key] = total.get(key, 0) + count
        assert reached(whole) == total


def test_the_command_writes_the_same_layers_for_the_same_seed(tmp_path: Path) -> None:
    written = []
    for name in ("a", "b"):
        args = ["export", "navigator", "-n", "2", "--seed", "3", "--out", str(tmp_path / name)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        written.append({p.name: p.read_bytes() for p in (tmp_path / name).glob("*.json")})
    assert written[0] == written[1]
    assert f"{ALL}.enterprise.json" in written[0]


def test_a_scenario_without_campaigns_is_a_one_line_error(tmp_path: Path) -> None:
    args = ["export", "navigator", "grid_cascade", "--out", str(tmp_path / "x")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "campaigns: none in this scenario" in result.output
    assert not (tmp_path / "x").exists()


def test_an_intrusion_stopped_where_it_was_detected_reached_that_stage(
    scenario: sim.Scenario,
) -> None:
    loud = scenario.model_copy(
        update={
            "campaigns": tuple(
                c.model_copy(
                    update={
                        "stages": tuple(
                            s.model_copy(update={"detectability": 1.0}) for s in c.stages
                        )
                    }
                )
                for c in scenario.campaigns
            )
        }
    )
    use = technique_use(loud, loud.seed, 3)
    assert sum(use.detected.values()) > 0
    for key, detected in use.detected.items():
        assert detected <= use.reached[key], key
    for layer in navigator_layers(loud, use).values():
        assert all(t.get("score", 0) <= 1 for t in json.loads(layer)["techniques"])
