"""The synthetic model generator: its output loads, runs, repeats exactly and looks realistic."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from statistics import median

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Scenario, load_scenario, run
from sim.atomic import write_folder
from sim.cli import main
from sim.synthetic import synthetic_files

FILES = {"scenario.yaml", "assets.csv", "dependencies.csv"}


def generate(folder: Path, assets: int, countries: int, seed: int) -> Scenario:
    """Write a synthetic model into `folder` and load it back."""
    write_folder(folder, synthetic_files(assets=assets, countries=countries, seed=seed))
    return load_scenario(folder / "scenario.yaml")


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """2,000 assets in 4 countries, generated once for the tests that inspect its shape."""
    return generate(tmp_path_factory.mktemp("medium") / "model", 2000, 4, 7)


@pytest.mark.parametrize(
    ("assets", "countries", "seed"),
    [(1, 1, 0), (1, 5, 3), (3, 8, 1), (7, 1, 2), (40, 3, 9), (500, 12, 4)],
)
def test_output_loads_with_every_asset_and_country(
    tmp_path: Path, assets: int, countries: int, seed: int
) -> None:
    scenario = generate(tmp_path / "model", assets, countries, seed)
    assert len(scenario.assets) == assets
    assert [c.id for c in scenario.countries] == [f"C{i:02d}" for i in range(1, countries + 1)]
    assert scenario.disruptions
    assert "fast_restoration" in scenario.variants


@settings(max_examples=30, deadline=None)
@given(assets=st.integers(1, 80), countries=st.integers(1, 10), seed=st.integers(0, 2**32 - 1))
def test_output_always_validates(assets: int, countries: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = generate(Path(tmp) / "model", assets, countries, seed)
    assert len(scenario.assets) == assets
    assert all(d.supplier != d.dependent for d in scenario.dependencies)


def test_same_arguments_give_the_same_bytes() -> None:
    assert synthetic_files(300, 3, 11) == synthetic_files(300, 3, 11)


def test_another_seed_changes_every_file() -> None:
    first, second = synthetic_files(300, 3, 11), synthetic_files(300, 3, 12)
    assert set(first) == set(second) == FILES
    assert all(first[name] != second[name] for name in FILES)


@pytest.mark.parametrize(
    ("assets", "countries", "seed"),
    [(0, 1, 0), (1, 0, 0), (1, 1, -1), (10**7, 1, 0), (1, 10**4, 0)],
)
def test_impossible_arguments_are_refused(assets: int, countries: int, seed: int) -> None:
    with pytest.raises(ValueError, match="need assets"):
        synthetic_files(assets, countries, seed)


def test_about_three_dependencies_per_asset(medium: Scenario) -> None:
    assert 2.5 <= len(medium.dependencies) / len(medium.assets) <= 3.5


def test_every_country_has_the_essential_sectors(medium: Scenario) -> None:
    sectors: dict[str, set[str]] = {}
    for asset in medium.assets:
        sectors.setdefault(asset.country, set()).add(asset.sector)
    essential = {"energy", "telecom", "water", "finance", "health", "emergency_services"}
    assert len(sectors) == 4
    assert all(essential <= found for found in sectors.values())


def test_dependencies_cross_borders_and_some_are_delayed(medium: Scenario) -> None:
    country = {a.id: a.country for a in medium.assets}
    sector = {a.id: a.sector for a in medium.assets}
    crossing = [d for d in medium.dependencies if country[d.supplier] != country[d.dependent]]
    interconnectors = [d for d in crossing if sector[d.supplier] == sector[d.dependent] == "energy"]
    assert len(interconnectors) >= 4
    assert {d.kind for d in crossing} >= {"physical", "cyber", "logical"}
    assert any(d.delay_hours > 0 for d in medium.dependencies)
    assert all(0 <= d.strength <= 1 for d in medium.dependencies)


def test_a_few_suppliers_are_hubs(medium: Scenario) -> None:
    degree = Counter(d.supplier for d in medium.dependencies)
    assert max(degree.values()) >= 20 * median(degree.values())


def test_backups_follow_the_sector(medium: Scenario) -> None:
    backup: dict[str, list[float]] = {}
    for asset in medium.assets:
        backup.setdefault(asset.id.split("-")[1], []).append(asset.backup_hours)
    assert set(backup["GRID"]) == {0.0}
    assert min(backup["HSP"]) >= 8
    assert max(backup["HSP"]) <= 48
    assert min(backup["CELL"]) >= 2
    assert max(backup["CELL"]) <= 8


def test_scenario_runs_and_loses_service(tmp_path: Path) -> None:
    scenario = generate(tmp_path / "model", 300, 3, 5)
    baseline = run(scenario).metrics["service_hours_lost"]
    assert baseline > 0
    assert run(scenario, "fast_restoration").metrics["service_hours_lost"] < baseline


def test_cli_generates_a_folder_that_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    model, out = tmp_path / "model", tmp_path / "results"
    args = ["generate", "--assets", "200", "--countries", "2", "--seed", "3", "--out", str(model)]
    generated = runner.invoke(main, args)
    assert generated.exit_code == 0, generated.output
    assert {p.name for p in model.iterdir()} == FILES | {".cyberttx"}
    ran = runner.invoke(main, ["run", str(model / "scenario.yaml"), "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert json.loads((out / "metrics.json").read_text())["service_hours_lost"] > 0
