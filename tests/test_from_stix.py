"""Campaigns from threat reports (issue 20): a STIX bundle's attack-patterns become a campaign
whose stages follow ATT&CK's tactic order, whose techniques are in the shipped table under
their stage's tactic, which validates and runs as drafted, the same bytes every time; what
cannot be used is reported with its bundle object's id, and a file that is not a usable
bundle is one line and exit 2."""

from __future__ import annotations

import csv
import json
import statistics
import uuid
from pathlib import Path
from typing import Any

import pytest
import stix2
import yaml
from click.testing import CliRunner, Result

from sim.cli import main
from sim.schema import from_stix
from sim.schema.attack import techniques
from sim.schema.campaigns import Campaign
from sim.schema.from_stix import TACTIC_ORDER, campaign_from_stix, tactic_defaults
from sim.schema.load import campaign_templates

FIXTURE = Path(__file__).parents[1] / "scenarios" / "threat_reports" / "tidewater_lynx.json"
REVOKED = "attack-pattern--b68ceb94-cb72-51c6-a28a-0170a61c74fb"  # T1064, revoked
UNKNOWN = "attack-pattern--47d31d58-08be-5ca5-972a-e15d7248cd08"  # T1999, not in ATT&CK
MISPLACED = "attack-pattern--fd58bd35-e960-5452-bc45-46f7ed7a016a"  # T1078 under exfiltration
NS = uuid.UUID("5b0f5a52-7f43-4d7c-9a0e-3c1e2d4f6a8b")
WHEN = "2025-01-02T03:04:05.000Z"


def _id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(NS, kind + name)}"


def pattern(tid: str, *phases: str, chain: str = "mitre-attack", **extra: Any) -> Any:
    """An attack-pattern as ATT&CK and threat reports publish it."""
    return stix2.AttackPattern(
        id=_id("attack-pattern", tid + repr(phases) + repr(sorted(extra))),
        created=WHEN,
        modified=WHEN,
        name=f"technique {tid}",
        external_references=[{"source_name": "mitre-attack", "external_id": tid}],
        kill_chain_phases=[{"kill_chain_name": chain, "phase_name": p} for p in phases],
        allow_custom=True,
        **extra,
    )


def actor(kind: str = "intrusion-set", name: str = "Fictional Set", **extra: Any) -> Any:
    cls = stix2.IntrusionSet if kind == "intrusion-set" else stix2.Campaign
    return cls(id=_id(kind, name), created=WHEN, modified=WHEN, name=name, **extra)


def uses(source: Any, target: Any, kind: str = "uses") -> Any:
    return stix2.Relationship(
        id=_id("relationship", source.id + kind + target.id),
        created=WHEN,
        modified=WHEN,
        relationship_type=kind,
        source_ref=source.id,
        target_ref=target.id,
    )


def write_bundle(path: Path, *objects: Any) -> Path:
    bundle = stix2.Bundle(*objects, id=_id("bundle", path.name), allow_custom=True)
    path.write_text(bundle.serialize(pretty=True))
    return path


def report(path: Path, owner: Any, *patterns: Any) -> Path:
    """A bundle in a report's shape: an intrusion set that `uses` each attack-pattern."""
    return write_bundle(path, owner, *patterns, *(uses(owner, p) for p in patterns))


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def stages_of(text: str) -> list[dict[str, Any]]:
    return yaml.safe_load(text)["campaigns"][0]["stages"]


def assert_lawful(stages: list[dict[str, Any]]) -> None:
    """Stages in tactic order, one per tactic, each technique in the table under its tactic."""
    order = [TACTIC_ORDER.index(s["tactic"]) for s in stages]
    assert order == sorted(set(order))
    table = techniques()
    for stage in stages:
        assert stage["tactic"] in table[stage["technique"]].tactics


def test_the_fixture_becomes_a_lawful_campaign_and_reports_what_it_skips() -> None:
    result = invoke("campaign", "from-stix", FIXTURE, "--id", "tidewater")
    assert result.exit_code == 0, result.output
    stages = stages_of(result.stdout)
    assert_lawful(stages)
    assert [s["technique"] for s in stages] == [
        "T1566.001",  # a sub-technique before T1078, which names no sub-technique
        "T1059.001",
        "T1003.001",
        "T1021.002",
        "T1071.001",
        "T1486",
    ]
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    for ident, technique in ((REVOKED, "T1064"), (UNKNOWN, "T1999"), (MISPLACED, "T1078")):
        assert sum(ident in line and technique in line for line in lines) == 1
    assert "revoked" in next(line for line in lines if REVOKED in line)
    assert "not in ATT&CK v18.1" in next(line for line in lines if UNKNOWN in line)
    used = {s["technique"] for s in stages}
    assert not used & {"T1064", "T1999"}
    campaign = yaml.safe_load(result.stdout)["campaigns"][0]
    assert campaign["actor"] == "criminal"  # primary_motivation: personal-gain
    assert campaign["impact"] == {"type": "ransomware"}  # T1486, used by its campaign
    assert "ASSUMPTIONS" in campaign["source"]
    assert "also in the bundle: T1078, T1190" in result.stdout
    for field in ("actor:", "start_hours:", "targeting:", "impact:"):
        lines = result.stdout.splitlines()
        line = next(k for k, text in enumerate(lines) if text.strip().startswith(field))
        near = lines[line - 1 : line + 1]
        assert any("assumption: edit" in text for text in near), field
    assert result.stdout.count("assumption: duration, success, detectability") == len(stages)


def test_drawn_bundles_obey_the_laws(tmp_path: Path) -> None:
    table = techniques()
    chosen = sorted(table)[::23]  # enterprise and ICS, sub-techniques and not
    assert {table[t].domain for t in chosen} == {"enterprise", "ics"}
    patterns = [
        pattern(t, *table[t].tactics, chain=f"mitre-{'ics-' * (table[t].domain == 'ics')}attack")
        for t in chosen
    ]
    path = report(tmp_path / "drawn.json", actor(), *patterns)
    campaign, warnings = campaign_from_stix(path, "drawn")
    Campaign.model_validate(campaign)
    assert_lawful(campaign["stages"])
    by_tactic: dict[str, set[str]] = {}
    for t in chosen:
        for tactic in table[t].tactics:
            by_tactic.setdefault(tactic, set()).add(t)
    tactics = [s["tactic"] for s in campaign["stages"]]
    techniques_used = [s["technique"] for s in campaign["stages"]]
    assert tactics == [t for t in TACTIC_ORDER if t in tactics]  # in ATT&CK's order
    assert len(set(techniques_used)) == len(techniques_used)  # one stage per technique
    for stage in campaign["stages"]:
        assert stage["technique"] in by_tactic[stage["tactic"]]
    for tactic in set(by_tactic) - set(tactics):  # a tactic left out is said so
        assert any(f": {tactic}: " in w and "no stage for it" in w for w in warnings), tactic


def test_stage_figures_are_the_templates_medians_for_the_tactic() -> None:
    stages = [s for t in campaign_templates().values() for s in t["stages"]]
    defaults = tactic_defaults()
    for tactic in {s["tactic"] for s in stages}:
        mine = [s for s in stages if s["tactic"] == tactic]
        assert defaults[tactic].success == pytest.approx(
            statistics.median(s["success"] for s in mine)
        )
        assert defaults[tactic].duration in [s["duration"] for s in mine]
    assert "collection" not in defaults
    assert defaults[""].success == pytest.approx(statistics.median(s["success"] for s in stages))


def test_the_campaign_validates_and_runs_in_a_scenario(tmp_path: Path) -> None:
    new = tmp_path / "with-tidewater.yaml"
    result = invoke(
        "campaign", "from-stix", FIXTURE, "--id", "tidewater", "--into", "grid_cascade",
        "--out", new,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "assumption: edit" in new.read_text()  # the comments are kept in the file
    checked = invoke("validate", new)
    assert checked.exit_code == 0, checked.output
    ran = invoke("run", new, "--out", tmp_path / "run")
    assert ran.exit_code == 0, ran.output
    with (tmp_path / "run" / "events.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["campaign"] == "tidewater"]
    assert rows and rows[0]["kind"] == "intrusion_start"


def test_appending_keeps_the_scenario_and_its_comments(tmp_path: Path) -> None:
    from sim.library import bundled_scenario
    from sim.schema.load import load_scenario

    new = tmp_path / "wave.yaml"
    result = invoke(
        "campaign", "from-stix", FIXTURE, "--id", "tw", "--into", "ransomware_wave", "--out", new
    )
    assert result.exit_code == 0, result.output
    old_text = bundled_scenario("ransomware_wave").read_text()
    comments = [line.strip() for line in old_text.splitlines() if line.strip().startswith("#")]
    assert all(c in new.read_text() for c in comments)
    before, after = load_scenario(bundled_scenario("ransomware_wave")), load_scenario(new)
    assert [c.id for c in after.campaigns] == [*(c.id for c in before.campaigns), "tw"]
    assert after.campaigns[:-1] == before.campaigns


def test_the_same_bundle_gives_the_same_bytes(tmp_path: Path) -> None:
    printed = [invoke("campaign", "from-stix", FIXTURE, "--id", "x").stdout for _ in range(2)]
    assert printed[0] == printed[1]
    written = []
    for name in ("a.yaml", "b.yaml"):
        args = ["--into", "grid_cascade", "--out", tmp_path / name]
        assert invoke("campaign", "from-stix", FIXTURE, "--id", "x", *args).exit_code == 0
        written.append((tmp_path / name).read_bytes())
    assert written[0] == written[1]
    assert printed[0].encode() in written[0]  # the block is the same in both


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not json at all", "is not JSON"),
        (b"[1, 2]", "is a JSON array, not a STIX bundle"),
        (b'{"type": "indicator"}', "is not a STIX bundle"),
        (b"\xff\xfe\x00\xd8", "is not JSON"),
        (b"[" * 100_000, "is not usable JSON"),
        (b'{"type": "bundle", "objects": []}', "holds no attack-pattern"),
        (b'{"type": "bundle", "objects": {"a": 1}}', "'objects' is not a list"),
        (b'{"type": "bundle", "objects": [{"type": "attack-pattern"}]}', "no valid 'id'"),
    ],
)
def test_unusable_files_are_one_line_and_nothing_written(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    out = tmp_path / "out.yaml"
    result = invoke("campaign", "from-stix", bad, "--id", "x", "--out", out)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and expected in result.stderr
    assert str(bad) in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_invalid_stix_names_the_object_and_the_property_but_echoes_no_content(
    tmp_path: Path,
) -> None:
    ident = "attack-pattern--6f1a5e2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    bad = {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": ident,
        "created": "SECRET-NOT-A-DATE",
        "modified": WHEN,
        "name": "SECRET",
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"type": "bundle", "objects": [bad]}))
    result = invoke("campaign", "from-stix", path, "--id", "x")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert ident in result.stderr and "'created'" in result.stderr
    assert "SECRET" not in result.output


def test_a_directory_and_an_oversized_file_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "folder.json"
    folder.mkdir()
    result = invoke("campaign", "from-stix", folder, "--id", "x")
    assert result.exit_code == 2 and "is a directory" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    monkeypatch.setattr(from_stix, "MAX_BUNDLE_BYTES", 1000)
    out = tmp_path / "out.yaml"
    result = invoke("campaign", "from-stix", FIXTURE, "--id", "x", "--out", out)
    assert result.exit_code == 2 and "more than the 1,000 bytes" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not out.exists()


def test_nothing_usable_left_is_an_error(tmp_path: Path) -> None:
    path = report(
        tmp_path / "r.json",
        actor(),
        pattern("T1566.001", "initial-access", revoked=True),
        pattern("T1059", "execution", x_mitre_deprecated=True),
        pattern("T9999", "impact"),
    )
    out = tmp_path / "new.yaml"
    result = invoke(
        "campaign", "from-stix", path, "--id", "x", "--into", "grid_cascade", "--out", out
    )
    assert result.exit_code == 2 and not out.exists()
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and "no usable ATT&CK technique" in lines[-1]
    assert "deprecated" in result.stderr and "T9999" in result.stderr


def test_several_owners_need_from(tmp_path: Path) -> None:
    one = actor(name="First Set", aliases=["FS1"])
    two = actor(name="Second Set", resource_level="government")
    a, b = pattern("T1190", "initial-access"), pattern("T1498", "impact")
    path = write_bundle(tmp_path / "two.json", one, two, a, b, uses(one, a), uses(two, b))
    result = invoke("campaign", "from-stix", path, "--id", "x")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert one.id in result.stderr and two.id in result.stderr and "--from" in result.stderr
    for pick in ("fs1", two.id):
        result = invoke("campaign", "from-stix", path, "--id", "x", "--from", pick)
        assert result.exit_code == 0, result.output
    campaign = yaml.safe_load(result.stdout)["campaigns"][0]
    assert campaign["actor"] == "state" and campaign["impact"] == {"type": "ddos"}
    assert [s["technique"] for s in campaign["stages"]] == ["T1498"]
    result = invoke("campaign", "from-stix", path, "--id", "x", "--from", "nobody")
    assert result.exit_code == 2 and "matches no intrusion set or campaign" in result.stderr


def test_a_campaign_attributed_to_its_set_is_drafted_with_the_set(tmp_path: Path) -> None:
    owner = actor(primary_motivation="ideology")
    operation = actor("campaign", "Operation X")
    a, b = pattern("T1595", "reconnaissance"), pattern("T1491.002", "impact")
    path = write_bundle(
        tmp_path / "c.json",
        owner,
        operation,
        a,
        b,
        uses(owner, a),
        uses(operation, b),
        uses(operation, owner, "attributed-to"),
    )
    campaign, _ = campaign_from_stix(path, "x")
    assert [s["technique"] for s in campaign["stages"]] == ["T1595", "T1491.002"]
    assert campaign["actor"] == "hacktivist" and campaign["impact"] == {"type": "degrade"}
    narrowed, _ = campaign_from_stix(path, "x", pick="operation x")
    assert [s["technique"] for s in narrowed["stages"]] == ["T1491.002"]
    assert narrowed["actor"] == "hacktivist"  # from the set it is attributed to


def test_without_an_owner_every_attack_pattern_is_used(tmp_path: Path) -> None:
    ics = [
        pattern("T0866", "initial-access", chain="mitre-ics-attack"),
        pattern("T0816", "inhibit-response-function", chain="mitre-ics-attack"),
        pattern("T0831", "impact", chain="mitre-ics-attack"),
    ]
    path = write_bundle(tmp_path / "ics.json", *ics)
    campaign, warnings = campaign_from_stix(path, "ics")
    assert warnings == []
    assert [s["tactic"] for s in campaign["stages"]] == [
        "initial-access",
        "inhibit-response-function",
        "impact",
    ]
    assert campaign["impact"] == {"type": "degrade"} and campaign["actor"] == "state"


def test_a_technique_without_a_phase_takes_its_first_tactic(tmp_path: Path) -> None:
    bare = stix2.AttackPattern(
        id=_id("attack-pattern", "bare"),
        created=WHEN,
        modified=WHEN,
        name="Valid Accounts",
        external_references=[{"source_name": "mitre-attack", "external_id": "T1078"}],
    )
    path = report(tmp_path / "bare.json", actor(), bare)
    campaign, warnings = campaign_from_stix(path, "x")
    assert [s["tactic"] for s in campaign["stages"]] == ["initial-access"]
    assert len(warnings) == 1 and bare.id in warnings[0] and "placed under" in warnings[0]


def test_a_use_of_a_missing_attack_pattern_is_reported(tmp_path: Path) -> None:
    owner, present, absent = actor(), pattern("T1190", "initial-access"), pattern("T1486", "impact")
    link = uses(owner, absent)
    path = write_bundle(tmp_path / "m.json", owner, present, uses(owner, present), link)
    campaign, warnings = campaign_from_stix(path, "x")
    assert len(campaign["stages"]) == 1
    assert warnings == [f"{path}: {link.id}: uses {absent.id}, which is not in the bundle; skipped"]


def test_bad_ids_and_outputs_are_refused(tmp_path: Path) -> None:
    result = invoke("campaign", "from-stix", FIXTURE, "--id", "a b")
    assert result.exit_code == 2 and "not a valid campaign id" in result.stderr
    result = invoke(
        "campaign", "from-stix", FIXTURE, "--id", "opening-wiper", "--into", "continental_final",
        "--out", tmp_path / "new.yaml",
    )  # fmt: skip
    assert result.exit_code == 2 and "already has a campaign" in result.stderr
    assert not (tmp_path / "new.yaml").exists()
    result = invoke("campaign", "from-stix", FIXTURE, "--id", "x", "--into", "grid_cascade")
    assert result.exit_code == 2 and "give --out" in result.stderr
    out = tmp_path / "block.yaml"
    out.write_text("mine")
    result = invoke("campaign", "from-stix", FIXTURE, "--id", "x", "--out", out)
    assert result.exit_code == 2 and out.read_text() == "mine"
    result = invoke("campaign", "from-stix", FIXTURE, "--id", "x", "--out", out, "--force")
    assert result.exit_code == 0 and yaml.safe_load(out.read_text())["campaigns"][0]["id"] == "x"
