"""STIX 2.1 and MISP exports of a run folder, and Navigator layers of one: each validates with
its own library, the same run gives the same bytes, what a country held is stamped with
when it held it, everything is marked as exercise data, and a damaged or foreign run folder
ends in one line and exit 2 with nothing written."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import stix2
from click.testing import CliRunner, Result
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string

from sim.analysis.intelligence import ADVISORY, KNOWN, intelligence
from sim.analysis.run_folder import read_run_folder
from sim.cli import main
from sim.report.exercise_data import EXERCISE_DOMAIN, observable
from sim.report.misp import ATTRIBUTES
from sim.report.stix import TLP

STRICT = ValidationOptions(strict=True, enforce_refs=True, disabled=["103", "302"])
"""The validator with every best practice as an error, but two we do not follow on purpose:
ids are UUIDv5 so that a run gives the same bundle (103), and ATT&CK references carry a URL
without a hash, as MITRE's own bundles do (302)."""


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def ran(folder: Path, *args: object) -> Path:
    result = invoke("run", "--out", folder, *args)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default scenario with every CBM, so indicators are shared."""
    return ran(tmp_path_factory.mktemp("run") / "run", "--variant", "all_cbms")


@pytest.fixture(scope="module")
def bundle(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("stix") / "out"
    result = invoke("export", "stix", run_dir, "--out", out)
    assert result.exit_code == 0, result.output
    return json.loads((out / "bundle.json").read_bytes())


def test_the_bundle_validates_and_parses(bundle: dict) -> None:
    text = json.dumps(bundle)
    results = validate_string(text, STRICT)
    assert results.is_valid, [str(e) for e in results.errors]
    parsed = stix2.parse(text, allow_custom=False)
    assert len(parsed.objects) == len(bundle["objects"])


def test_every_object_is_marked_as_exercise_data(bundle: dict) -> None:
    markings = {o["id"]: o for o in bundle["objects"] if o["type"] == "marking-definition"}
    statement = next(m for m in markings.values() if m["definition_type"] == "statement")
    assert "EXERCISE DATA" in statement["definition"]["statement"]
    for obj in bundle["objects"]:
        if obj["type"] != "marking-definition":
            assert set(obj["object_marking_refs"]) == {TLP["green"].id, statement["id"]}


def test_what_the_bundle_holds_matches_the_run(bundle: dict, run_dir: Path) -> None:
    run = read_run_folder(run_dir)
    scenario = run.resolved.scenario
    intel = intelligence(scenario, run.events)
    by_type: dict[str, list[dict]] = {}
    for obj in bundle["objects"]:
        by_type.setdefault(obj["type"], []).append(obj)
    assert {c["name"] for c in by_type["campaign"]} == {c.name for c in scenario.campaigns}
    assert len(by_type["intrusion-set"]) == len(scenario.campaigns)
    assert len(by_type["incident"]) == len(intel.trails) > 0
    used = {s.technique for c in scenario.campaigns for s in c.stages}
    cited = {r["external_id"] for a in by_type["attack-pattern"] for r in a["external_references"]}
    assert cited == used
    csirts = {c.id for c in scenario.countries if c.csirt}
    assert sum(i["identity_class"] == "organization" for i in by_type["identity"]) > len(csirts)
    kinds = {
        (r["relationship_type"], r["source_ref"].split("--")[0]) for r in by_type["relationship"]
    }
    assert {("uses", "campaign"), ("indicates", "indicator"), ("targets", "campaign")} <= kinds
    assert len(by_type["note"]) >= len([s for s in intel.shares if s.campaigns])
    begin, end = scenario.start, scenario.start + timedelta(hours=scenario.duration_hours)
    for obj in bundle["objects"]:
        if obj["type"] != "marking-definition":
            stamp = datetime.fromisoformat(obj["created"].replace("Z", "+00:00"))
            assert begin <= stamp <= end, obj["id"]


def test_indicator_values_can_match_nothing_real(bundle: dict) -> None:
    for indicator in (o for o in bundle["objects"] if o["type"] == "indicator"):
        assert indicator["name"].startswith("EXERCISE ")
        assert "exercise" in indicator["labels"]
        value = indicator["pattern"].split("= '")[1].rstrip("']")
        assert (
            value.endswith(EXERCISE_DOMAIN)
            or EXERCISE_DOMAIN in value
            or value.startswith(("203.0.113.", "exercise-"))
            or len(value) == 64
        ), value


def test_the_same_run_gives_the_same_bytes(tmp_path: Path) -> None:
    bundles = []
    for name in ("a", "b"):
        folder = ran(tmp_path / f"run-{name}", "--seed", "3")
        out = tmp_path / f"stix-{name}"
        assert invoke("export", "stix", folder, "--out", out).exit_code == 0
        bundles.append((out / "bundle.json").read_bytes())
    assert bundles[0] == bundles[1]
    other = ran(tmp_path / "run-c", "--seed", "4")
    assert invoke("export", "stix", other, "--out", tmp_path / "stix-c").exit_code == 0
    third = json.loads((tmp_path / "stix-c" / "bundle.json").read_bytes())
    first = json.loads(bundles[0])

    def ids(bundle: dict, kind: str) -> set[str]:
        return {o["id"] for o in bundle["objects"] if o["type"] == kind}

    assert ids(first, "campaign") == ids(third, "campaign")  # the scenario's own objects
    assert ids(first, "incident").isdisjoint(ids(third, "incident"))  # what a run did
    by_id = {o["id"]: o for o in third["objects"]}
    for obj in first["objects"]:  # one id, one content: platforms merge runs safely
        if obj["id"] in by_id:
            assert obj == by_id[obj["id"]], obj["id"]


def test_misp_events_load_back_with_their_attributes(run_dir: Path, tmp_path: Path) -> None:
    result = invoke("export", "misp", run_dir, "--out", tmp_path / "misp", "--tlp", "amber")
    assert result.exit_code == 0, result.output
    run = read_run_folder(run_dir)
    scenario = run.resolved.scenario
    intel = intelligence(scenario, run.events)
    files = sorted((tmp_path / "misp").glob("*.json"))
    assert files
    delays = 0
    for path in files:
        event = MISPEvent()
        event.load(path.read_text())
        campaign_id, country = path.name.split(".")[:2]
        campaign = next(c for c in scenario.campaigns if c.id == campaign_id)
        assert event.info.startswith("EXERCISE ")
        tags = {t.name for t in event.tags}
        assert {"tlp:amber", "cyberttx:exercise-data"} <= tags
        for stage in campaign.stages:
            assert any(t.endswith(f' - {stage.technique}"') for t in tags)
        held = {
            h.indicator: h
            for h in intel.holdings
            if h.country == country and h.indicator in campaign.indicators
        }
        values = {a.value: a for a in event.attributes if a.type != "comment"}
        assert {observable(name).value for name in held} == set(values)
        for name, holding in held.items():
            attribute = values[observable(name).value]
            kind, _, to_ids = ATTRIBUTES[observable(name).kind]
            assert (attribute.type, attribute.to_ids) == (kind, to_ids)
            stamp = scenario.start + timedelta(hours=holding.hours)
            assert abs((attribute.timestamp - stamp).total_seconds()) < 1
            if holding.source not in (KNOWN, ADVISORY):
                assert holding.shared_hours is not None and holding.hours >= holding.shared_hours
                assert holding.source in attribute.comment
                delays += 1
    assert delays > 0, "the all_cbms run shares indicators"
    uuids = [
        a["uuid"] for path in files for a in json.loads(path.read_bytes())["Event"]["Attribute"]
    ]
    assert len(uuids) == len(set(uuids))  # MISP refuses a second attribute with one uuid


def test_navigator_layers_of_a_run_count_its_stages(run_dir: Path, tmp_path: Path) -> None:
    result = invoke("export", "navigator", run_dir, "--out", tmp_path / "nav")
    assert result.exit_code == 0, result.output
    assert "over 1 run" in result.output
    run = read_run_folder(run_dir)
    tried = ("stage_success", "stage_blocked", "intrusion_stopped")
    rows = [e for e in run.events if e.kind in tried]
    layers = [json.loads(p.read_bytes()) for p in (tmp_path / "nav").glob("all-campaigns.*")]
    counted = sum(int(t["metadata"][0]["value"]) for layer in layers for t in layer["techniques"])
    assert counted == len(rows) > 0


def test_a_played_exercise_exports_its_decided_shares(tmp_path: Path) -> None:
    played = tmp_path / "played"
    result = invoke("play", "--auto", "prefer:share_indicators", "--out", played)
    assert result.exit_code == 0, result.output
    assert invoke("export", "stix", played, "--out", tmp_path / "stix").exit_code == 0
    bundle = json.loads((tmp_path / "stix" / "bundle.json").read_bytes())
    assert validate_string(json.dumps(bundle), STRICT).is_valid
    notes = [o for o in bundle["objects"] if o["type"] == "note"]
    assert any("shared the indicators" in n["abstract"] for n in notes)


def copied(run_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(run_dir, folder)
    return folder


def refused(tmp_path: Path, *args: object) -> str:
    out = tmp_path / "out"
    result = invoke("export", "stix", *args, "--out", out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    return result.output


def test_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    assert "not a folder" in refused(tmp_path, tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    assert "run.json: no such file" in refused(tmp_path, tmp_path / "empty")


def test_damaged_run_files_are_refused_by_name(run_dir: Path, tmp_path: Path) -> None:
    folder = copied(run_dir, tmp_path)
    run_json = folder / "run.json"
    original = run_json.read_text()
    run_json.write_text("{not json")
    assert "run.json: not a run.json file" in refused(tmp_path, folder)
    run_json.write_text(json.dumps(json.loads(original) | {"seed": "five"}))
    assert "run.json: seed:" in refused(tmp_path, folder)
    run_json.write_text(original)
    events = folder / "events.csv"
    lines = events.read_text().splitlines()
    for bad, field in (
        (lines[1].replace(lines[1].split(",")[1], "made_up", 1), "kind"),
        ("1e400," + lines[1].split(",", 1)[1], "time"),
        ("1,detected,HST,,no-such-campaign,,0,", "campaign"),
        ("1,detected,HST,,opening-wiper,,99,", "value"),
    ):
        events.write_text(f"{lines[0]}\n{bad}\n")
        assert f"events.csv: line 2: {field}" in refused(tmp_path, folder)
    events.write_text("a,b\n")
    assert "events.csv: line 1: columns" in refused(tmp_path, folder)
    events.write_text(f"{lines[0]}\n1,triaged,HST,,,,1,Bogus\n")
    assert "events.csv: line 2: detail" in refused(tmp_path, folder)
    events.write_text(f"{lines[0]}\n1,inject,,,,,1,{'A' * 200_000}\n")
    assert "events.csv: not an events.csv file" in refused(tmp_path, folder)
    events.write_text("\n".join(lines) + "\n")
    run_json.write_text('{"a":' * 5000 + "1" + "}" * 5000)
    assert "run.json: not a run.json file" in refused(tmp_path, folder)


def test_a_changed_or_foreign_scenario_is_refused_unread(run_dir: Path, tmp_path: Path) -> None:
    folder = copied(run_dir, tmp_path)
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: TOP-SECRET-CONTENT\n")
    message = refused(tmp_path, folder, "--scenario", secret)
    assert "scenario_file_sha256" in message and "TOP-SECRET" not in message
    run = json.loads((folder / "run.json").read_text())
    run["scenario_file"] = str(secret)
    (folder / "run.json").write_text(json.dumps(run))
    assert "TOP-SECRET" not in refused(tmp_path, folder)
    for elsewhere in ("/etc/passwd", "/etc/hostname.yaml", str(tmp_path.parent / "x.yaml")):
        foreign = tmp_path / "foreign" / "run"  # the file is named, matching SHA or not
        shutil.rmtree(foreign.parent, ignore_errors=True)
        shutil.copytree(folder, foreign)
        (foreign / "run.json").write_text(json.dumps(run | {"scenario_file": elsewhere}))
        message = refused(tmp_path, foreign)
        assert "run.json: scenario_file: not a YAML file under" in message, message
        assert len(message.strip().splitlines()) == 1
    original = Path(json.loads((run_dir / "run.json").read_text())["scenario_file"])
    for tree in (original.parent, original.parent.parent / "infrastructure_models"):
        shutil.copytree(tree, tmp_path / "elsewhere" / tree.name)
    moved = tmp_path / "elsewhere" / original.parent.name / original.name
    run["scenario_file"] = "/nowhere/scenario.yaml"
    (folder / "run.json").write_text(json.dumps(run))
    assert "--scenario" in refused(tmp_path, folder)
    assert hashlib.sha256(moved.read_bytes()).hexdigest() == run["scenario_file_sha256"]
    out = tmp_path / "moved-out"
    models = tmp_path / "elsewhere" / "infrastructure_models"
    included = models / "hemisphere.yaml"
    original_model = included.read_text()
    included.write_text(original_model.replace("Ciudad Hestia", "Ciudad Renamed", 1))
    edited = ("--allow-path", models, "export", "stix", folder, "--scenario", moved)
    result = invoke(*edited, "--out", tmp_path / "edited-out")
    assert result.exit_code == 2 and "resolved_scenario_sha256" in result.output
    included.write_text(original_model)
    result = invoke(
        "--allow-path", models, "export", "stix", folder, "--scenario", moved, "--out", out
    )
    assert result.exit_code == 0, result.output


def test_a_run_without_shares_still_exports(tmp_path: Path) -> None:
    folder = ran(tmp_path / "run", "--variant", "no_network")
    result = invoke("export", "misp", folder, "--out", tmp_path / "misp")
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert "no MISP event" in result.output
    assert invoke("export", "stix", folder, "--out", tmp_path / "stix").exit_code == 0
