"""Loading scenarios: every problem is reported with its file and field path, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim import ScenarioError, bundled_scenario, load_scenario
from sim.library import list_scenarios

BASE = {
    "name": "t",
    "start": "2026-01-01T00:00:00Z",
    "duration_hours": 24,
    "countries": [{"id": "A", "name": "Aland"}],
    "assets": [
        {
            "id": "A-grid",
            "name": "grid",
            "sector": "energy",
            "country": "A",
            "recovery": {"dist": "fixed", "hours": 2},
        },
        {
            "id": "A-hosp",
            "name": "hospital",
            "sector": "health",
            "country": "A",
            "recovery": {"dist": "lognormal", "median": 2, "p90": 6},
        },
    ],
    "dependencies": [{"supplier": "A-grid", "dependent": "A-hosp", "strength": 0.9}],
}


def problems(tmp_path: Path, data: object, name: str = "s.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def with_(**changes: object) -> dict:
    return {**BASE, **changes}


def test_bundled_scenarios_load() -> None:
    assert list_scenarios()
    for path in list_scenarios().values():
        assert load_scenario(path).assets


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"dependencies": [{"supplier": "XX-grid", "dependent": "A-hosp", "strength": 1}]},
            "dependencies[0].supplier: unknown asset 'XX-grid'",
        ),
        (
            {"dependencies": [{"supplier": "A-hosp", "dependent": "A-hosp", "strength": 1}]},
            "dependencies[0].dependent: an asset cannot depend on itself",
        ),
        (
            {"dependencies": [{"supplier": "A-grid", "dependent": "A-hosp", "strength": 1.5}]},
            "dependencies[0].strength: Input should be less than or equal to 1",
        ),
        (
            {
                "dependencies": [
                    {"supplier": "A-grid", "dependent": "A-hosp", "strength": 1, "delay_hours": -2}
                ]
            },
            "dependencies[0].delay_hours: Input should be greater than or equal to 0",
        ),
        (
            {"dependencies": [{"supplier": "A-grid", "dependent": "A-hosp", "strength": 0.5}] * 2},
            "dependencies[1]: duplicate dependency A-grid->A-hosp",
        ),
        (
            {"assets": [*BASE["assets"], {**BASE["assets"][0], "country": "ZZ"}]},
            "assets[2].id: duplicate asset id 'A-grid'",
        ),
        (
            {"assets": [{**BASE["assets"][0], "country": "ZZ"}, BASE["assets"][1]]},
            "assets[0].country: unknown country 'ZZ'",
        ),
        (
            {"assets": [{**BASE["assets"][0], "recovery": {"dist": "weibull", "k": 1}}]},
            "assets[0].recovery: Input tag 'weibull' found using 'dist' does not match",
        ),
        (
            {"assets": [{**BASE["assets"][0], "backup_hours": -1}]},
            "assets[0].backup_hours: Input should be greater than or equal to 0",
        ),
        (
            {"assets": [{**BASE["assets"][0], "colour": "red"}]},
            "assets[0].colour: Extra inputs are not permitted",
        ),
        (
            {"disruptions": [{"asset": "nope", "start_hours": 1}]},
            "disruptions[0].asset: unknown asset 'nope'",
        ),
        (
            {"disruptions": [{"asset": "A-grid", "start_hours": 99}]},
            "disruptions[0].start_hours: starts after the scenario ends at hour 24",
        ),
        ({"include": ["missing.yaml"]}, "s.yaml: include[0]: "),
        (
            {"variants": {"v": {"assets": {"A-hosp": {"backup_hours": -1}}}}},
            "variants.v.assets.A-hosp.backup_hours: Input should be greater than or equal to 0",
        ),
        (
            {"variants": {"v": {"assets": {"A-zz": {"backup_hours": 1}}}}},
            "variants.v.assets.A-zz: no entry with id 'A-zz'",
        ),
        ({"variants": {"v": {"seed": 3}}}, "variants.v.seed: a variant cannot change this field"),
        (
            {"variants": {"v": {"disruptions": {"x": {"damage": 1}}}}},
            "variants.v.disruptions.x: no entry with id 'x'",
        ),
        ({"start": "2026-01-01T00:00:00"}, "start: Input should have timezone info"),
        ({"network": {"members": ["A", "A"]}}, "network.members[1]: 'A' is listed twice"),
        ({"cbms": {"un_norms": ["ZZ"]}}, "cbms.un_norms[0]: unknown country 'ZZ'"),
        ({"countries": [{"id": False, "name": "Norway"}]}, "put the value in quotes"),
        (
            {"disruptions": [{"asset": "A-grid", "start_hours": 1, "duration_hours": 0}]},
            "disruptions[0].duration_hours: Input should be greater than 0",
        ),
        (
            {"assets": [{**BASE["assets"][0], "recovery": {"dist": "lognormal", "median": 2}}]},
            "assets[0].recovery.p90: Field required",
        ),
    ],
)
def test_each_problem_names_file_and_field(tmp_path: Path, change: dict, expected: str) -> None:
    found = problems(tmp_path, with_(**change))
    assert any(expected in p and p.startswith(str(tmp_path / "s.yaml")) for p in found), found


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        ("- a\n- b\n", "expected a mapping of fields at the top level, found list"),
        ("name: [unclosed\n", "not valid YAML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a UTF-8 text file"),
        ("a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ],
)
def test_unreadable_files_are_reported_not_raised(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_include_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("include: [m.yaml]\n")
    found = problems(tmp_path, with_(include=["m.yaml"]))
    assert any("includes itself" in p for p in found), found


def test_csv_tables_report_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(
        "id,name,sector,country,recovery.dist,recovery.hours\n"
        "B-grid,grid,energy,A,fixed,2\n"
        "B-water,water,watr,A,fixed,2\n"
    )
    (tmp_path / "deps.csv").write_text(
        "supplier,dependent,strength\nB-grid,A-hosp,0.5\nB-grid,NOPE,0.5\n"
    )
    data = with_(assets_csv="assets.csv", dependencies_csv="deps.csv")
    found = problems(tmp_path, data)
    assert any(
        p.startswith(f"{tmp_path / 'assets.csv'}: line 3: sector: Input should be") for p in found
    ), found
    (tmp_path / "assets.csv").write_text(
        "id,name,sector,country,recovery.dist,recovery.hours\nB-grid,grid,energy,A,fixed,2\n"
    )
    found = problems(tmp_path, data)
    assert found == [f"{tmp_path / 'deps.csv'}: line 3: dependent: unknown asset 'NOPE'"]


def test_csv_rows_equal_yaml_rows(tmp_path: Path) -> None:
    """The same assets from a table and from YAML give the same scenario."""
    header = "id,name,sector,country,weight,backup_hours,recovery.dist,recovery.median,recovery.p90"
    rows = [f"{a['id']},{a['name']},{a['sector']},A,1,0,lognormal,2,6" for a in BASE["assets"]]
    (tmp_path / "a.csv").write_text("\n".join([header, *rows]) + "\n")
    from_csv = load_scenario(with_(assets=[], assets_csv="a.csv"), base_dir=tmp_path)
    yaml_assets = [
        {**a, "weight": 1, "recovery": {"dist": "lognormal", "median": 2, "p90": 6}}
        for a in BASE["assets"]
    ]
    assert from_csv == load_scenario(with_(assets=yaml_assets))


def test_included_model_problems_name_the_model_file(tmp_path: Path) -> None:
    model = {"assets": [{**BASE["assets"][0], "id": "M-x", "country": "QQ"}]}
    (tmp_path / "model.yaml").write_text(yaml.safe_dump(model))
    found = problems(tmp_path, with_(include=["model.yaml"]))
    assert found == [f"{tmp_path / 'model.yaml'}: assets[0].country: unknown country 'QQ'"]


def test_default_scenario_variants_apply() -> None:
    from sim import apply_variant

    scenario = load_scenario(bundled_scenario("grid_cascade"))
    for name in scenario.variants:
        assert apply_variant(scenario, name) != scenario


def test_repeated_keys_are_rejected(tmp_path: Path) -> None:
    text = yaml.safe_dump(BASE) + "name: again\n"
    assert any("key 'name' appears twice" in p for p in problems(tmp_path, text))


def test_a_variant_may_shorten_the_horizon_past_a_disruption() -> None:
    data = with_(
        disruptions=[{"asset": "A-grid", "start_hours": 20}],
        variants={"short": {"duration_hours": 10}},
    )
    assert load_scenario(data).variants["short"]["duration_hours"] == 10


def test_variant_overrides_merge_into_nested_blocks() -> None:
    data = with_(
        network={"members": ["A"], "answer_probability": 0.9},
        variants={"v": {"network": {"assistance_threshold": "Baseline"}}},
    )
    from sim import apply_variant

    network = apply_variant(load_scenario(data), "v").network
    assert network.assistance_threshold == "Baseline" and network.answer_probability == 0.9
