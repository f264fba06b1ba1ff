"""Objectives rated P/S/M/U, participation in aggregate, and the after-action report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

import sim
from sim.analysis.metrics import compute_metrics
from sim.analysis.objectives import (
    NOT_STATED,
    measure,
    measure_problems,
    participation,
    rate,
    rating,
)
from sim.cli import main
from sim.engine.world import run_replication
from sim.report.aar import aar_report
from sim.schema.exercise import Exercise, Objective

ORDER = "PSMU"

OBJECTIVES = (
    {
        "id": "contain",
        "text": "Contain campaign incidents quickly",
        "measure": "incident_timings.contain.mean",
        "thresholds": {"P": 0.5, "S": 100, "M": 200},
        "team": "hst-csirt",
    },
    {
        "id": "assist",
        "text": "Answer requests for assistance",
        "measure": "cooperation.assistance_answered",
        "better": "higher",
        "thresholds": {"P": 3, "S": 2, "M": 1},
    },
    {
        "id": "service",
        "text": "Keep service-hours lost low",
        "measure": "service_hours_lost",
        "thresholds": {"P": 1e12},
    },
    {"id": "undefined", "text": "A measure the run lacks", "measure": "no.such", "thresholds": {}},
)

EXERCISE: dict[str, Any] = {
    "title": "Continental final tabletop",
    "teams": [
        {"id": "hst-csirt", "name": "Hostland national CSIRT", "country": "HST"},
        {"id": "venue", "name": "Venue security", "role": "event_security", "country": "HST"},
    ],
    "roster": [
        {"name": "Ana Pérez", "role": "analyst", "organisation": "CSIRT-HST", "team": "hst-csirt",
         "gender": "Woman"},
        {"name": "Bo Lind", "role": "analyst", "organisation": "CSIRT-HST", "team": "hst-csirt",
         "gender": "man"},
        {"name": "Cy Moreau", "role": "security lead", "organisation": "Organising committee",
         "team": "venue", "gender": "woman"},
        {"name": "Dee Okafor", "role": "observer", "organisation": "Ministry"},
    ],
    "objectives": OBJECTIVES,
    "injects": [
        {"sequence": 1, "time_hours": 2, "from": "Exercise control", "to": "hst-csirt",
         "message": "Metro operator reports encrypted ticket machines."},
        {"sequence": 2, "time_hours": 62.5, "from": "Venue SOC", "to": "venue",
         "message": "Accreditation desk cannot print badges.", "objective": "contain"},
        {"sequence": 3, "time_hours": 200, "from": "Press", "to": "venue",
         "message": "A journalist asks about the outage."},
    ],
    "decision_points": [
        {"id": "share-iocs", "at_hours": 12, "team": "hst-csirt",
         "prompt": "Share the metro ransomware indicators with the region?",
         "options": [
             {"label": "Keep them national"},
             {"label": "Share with every member",
              "actions": [{"action": "share_indicators", "country": "HST"}]},
         ]},
        {"id": "isolate-venue", "at_hours": 63, "team": "venue",
         "prompt": "Isolate the venue network?",
         "options": [
             {"label": "Isolate for six hours",
              "actions": [{"action": "isolate", "asset": "HST-ven-net", "hours": 6}]},
             {"label": "Keep it running"},
         ]},
    ],
}  # fmt: skip

DECISIONS = [
    {"point": "share-iocs", "option": 1, "label": "Share with every member", "time_hours": 12.0,
     "wall_clock": "2026-03-02T10:14:00+00:00", "source": "room"},
    {"point": "isolate-venue", "option": 0, "label": "Isolate for six hours", "time_hours": 63.0,
     "wall_clock": "2026-03-02T11:02:00+00:00", "source": "policy:always_isolate"},
]  # fmt: skip

ACTIONS = [
    (
        12.0,
        "indicators_shared",
        "HST",
        "",
        "regional-ransomware",
        "decision:share-iocs",
        math.nan,
        "",
    ),
    (12.5, "indicators_received", "VLD", "", "", "decision:share-iocs", math.nan, "from HST"),
    (63.0, "isolated", "HST", "HST-ven-net", "", "decision:isolate-venue", 6.0, "6 h"),
    (69.0, "isolation_end", "HST", "HST-ven-net", "", "decision:isolate-venue", math.nan, ""),
]


def _objective(better: str, thresholds: dict[str, float]) -> Objective:
    return Objective(id="o", text="t", measure="x", better=better, thresholds=thresholds)


thresholds = st.dictionaries(
    st.sampled_from("PSM"), st.floats(-1e6, 1e6, allow_nan=False), max_size=3
)
values = st.floats(-2e6, 2e6, allow_nan=False)


@given(st.sampled_from(["lower", "higher"]), thresholds, values, values)
def test_a_better_value_never_gets_a_worse_rating(
    better: str, levels: dict[str, float], a: float, b: float
) -> None:
    order = sorted(levels.values(), reverse=better == "higher")
    levels = dict(zip(sorted(levels, key="PSM".index), order, strict=True))
    objective = _objective(better, levels)
    good, bad = sorted((a, b), reverse=better == "higher")
    assert ORDER.index(rating(objective, good)) <= ORDER.index(rating(objective, bad))


@pytest.mark.parametrize("better", ["lower", "higher"])
def test_thresholds_are_inclusive_and_undefined_is_unable(better: str) -> None:
    levels = {"P": 1.0, "S": 2.0, "M": 3.0} if better == "lower" else {"P": 3, "S": 2, "M": 1}
    objective = _objective(better, levels)
    assert [rating(objective, v) for v in levels.values()] == ["P", "S", "M"]
    worst = 3.5 if better == "lower" else 0.5
    assert rating(objective, worst) == "U"
    assert rating(objective, None) == "U"


def test_measure_follows_dotted_paths_and_is_none_where_undefined() -> None:
    metrics = {"a": {"b": {"c": 2}, "n": None, "nan": math.nan, "d": {"e": 1}}, "x": 1.5}
    assert measure(metrics, "a.b.c") == 2.0
    assert measure(metrics, "x") == 1.5
    for path in ("a.n", "a.nan", "a.missing", "x.y", "a.d", ""):
        assert measure(metrics, path) is None
    rated = rate(_objective("lower", {"P": 1}), {"x": None})
    assert (rated["value"], rated["rating"]) == (None, "U")
    assert rated["rating_text"] == "Unable to be performed"


def test_participation_adds_up_and_names_no_one() -> None:
    exercise = Exercise.model_validate(EXERCISE)
    counts = participation(exercise)
    assert counts["total"] == len(exercise.roster) == 4
    for key in ("by_team", "by_role", "by_organisation", "by_gender"):
        assert sum(counts[key].values()) == counts["total"]
    assert sum(sum(g.values()) for g in counts["team_by_gender"].values()) == counts["total"]
    assert counts["by_gender"] == {"woman": 2, "man": 1, NOT_STATED: 1}
    assert (counts["gender_stated"], counts["women"], counts["women_share"]) == (3, 2, 2 / 3)
    text = json.dumps(counts)
    assert not any(part in text for p in exercise.roster for part in p.name.split())
    assert participation(exercise.model_copy(update={"roster": ()}))["women_share"] is None


@pytest.fixture(scope="module")
def room() -> tuple[sim.Scenario, dict[str, Any], list[tuple], dict[str, dict[str, Any]]]:
    """The continental final as an exercise: the room's run with faked injects, decisions and
    their consequences, and two counterfactuals."""
    base = sim.load_scenario(sim.bundled_scenario("continental_final"))
    scenario = base.model_copy(update={"exercise": Exercise.model_validate(EXERCISE)})
    result = sim.run(scenario)
    events = list(result.records.events)
    for inject in scenario.exercise.injects[:2]:
        s = inject.sequence
        row = (inject.time_hours, "inject", "", "", "", f"inject:{s}", float(s), inject.message)
        events.append(row)
    for d in DECISIONS:
        point = f"decision:{d['point']}"
        events.append((d["time_hours"], "decision", "", "", "", point, d["option"], d["label"]))
    events += ACTIONS
    counterfactuals = {
        "scenario as written, no decisions": result.metrics,
        "best variant: all_cbms": sim.run(base, "all_cbms").metrics,
    }
    return scenario, result.metrics, sorted(events, key=lambda e: e[0]), counterfactuals


def _report(room: tuple, **changes: Any) -> str:
    scenario, metrics, events, counterfactuals = room
    provenance = {"package_version": sim.__version__, "seed": scenario.seed}
    return aar_report(
        changes.get("scenario", scenario), metrics, events, DECISIONS, counterfactuals,
        provenance, figures={"a figure": b"\x89PNG"},
    ).decode()  # fmt: skip


def test_the_report_shows_every_decision_inject_and_objective(room: tuple) -> None:
    html = _report(room)
    scenario, metrics = room[0], room[1]
    for d in DECISIONS:
        assert str(escape(d["label"])) in html and d["source"] in html
    for inject in scenario.exercise.injects[:2]:
        assert str(escape(inject.message)) in html
    assert "inject 3 (hour 200" in html  # on the MSEL, never delivered
    crew = "Ransomware crew moving through the region's banks and hospitals"
    for detail in (f"indicators shared (Hestoria): {crew}", "isolated (Hestoria, "):
        assert str(escape(detail)) in html
    plan = html.split("<h2>Improvement plan</h2>")[1]
    for objective in scenario.exercise.objectives:
        rated = rate(objective, metrics)
        assert f'<td class="{rated["rating"]}">{rated["rating"]}: ' in html
        assert (str(escape(objective.text)) in plan) == (rated["rating"] != "P")
    assert rate(scenario.exercise.objectives[-1], metrics)["rating"] == "U"
    assert "best variant: all_cbms" in html and "data:image/png;base64," in html
    assert not any(p.name in html for p in scenario.exercise.roster) and "woman" in html


def test_the_report_escapes_text_from_the_scenario(room: tuple) -> None:
    scenario = room[0]
    hostile = scenario.exercise.model_copy(update={"title": "<script>alert(1)</script>"})
    html = _report(room, scenario=scenario.model_copy(update={"exercise": hostile}))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_scenario_without_an_exercise_has_no_report(room: tuple) -> None:
    with pytest.raises(ValueError, match="no exercise"):
        _report(room, scenario=room[0].model_copy(update={"exercise": None}))


def test_thresholds_that_run_the_wrong_way_are_refused() -> None:
    with pytest.raises(ValueError, match="P ≤ S ≤ M"):
        _objective("lower", {"P": 36, "S": 16, "M": 8})


def _measuring(*paths: str, name: str = "continental_final") -> sim.Scenario:
    """Bundled scenario `name` with the default scenario's exercise, holding one objective
    per path in `paths`."""
    exercise = sim.load_scenario(sim.bundled_scenario()).exercise
    assert exercise is not None
    objectives = tuple(
        exercise.objectives[0].model_copy(update={"id": f"o{k}", "measure": path})
        for k, path in enumerate(paths)
    )
    exercise = exercise.model_copy(update={"objectives": objectives})
    return sim.load_scenario(sim.bundled_scenario(name)).model_copy(update={"exercise": exercise})


def _leaves(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{prefix}{k}.")]
    return [prefix[:-1]]


def test_every_number_a_real_run_reports_is_a_valid_measure() -> None:
    for name, seed in (("continental_final", 1), ("continental_final", 2), ("ransomware_wave", 3)):
        scenario = sim.load_scenario(sim.bundled_scenario(name))
        paths = _leaves(compute_metrics(scenario, run_replication(scenario, seed=seed)))
        assert any("_by_tactic." in path for path in paths)  # keys that only a run fills
        assert measure_problems(_measuring(*paths, name=name)) == []


def test_a_measure_naming_no_number_is_refused_with_its_field_path() -> None:
    problems = dict(
        measure_problems(
            _measuring(
                "incident_timing.contain.mean",  # misspelt metric
                "incident_timings.contain.avg",  # misspelt statistic
                "incident_timings.contain",  # a group
                "service_hours_lost.energy",  # under a number
                "incident_timings.contain.mean",  # fine
            )
        )
    )
    assert sorted(problems) == [f"exercise.objectives[{k}].measure" for k in range(4)]
    assert "choose from service_hours_lost" in problems["exercise.objectives[0].measure"]
    assert "n, mean, p50, p90" in problems["exercise.objectives[1].measure"]
    assert "names a group" in problems["exercise.objectives[2].measure"]
    assert "is a number" in problems["exercise.objectives[3].measure"]


def test_only_groups_keyed_by_tactic_take_keys_a_run_has_not_shown_yet() -> None:
    tactic = "campaigns.opening-wiper.blocked_by_tactic.exfiltration"
    assert measure_problems(_measuring(tactic)) == []
    eventless = _measuring("event_window_impact.final.total").model_copy(update={"events": ()})
    assert measure_problems(eventless) == [
        (
            "exercise.objectives[0].measure",
            "no 'final' under event_window_impact, which is empty in this scenario",
        )
    ]


def test_validate_and_play_refuse_a_misspelt_measure_and_write_nothing(tmp_path: Path) -> None:
    bundled = Path(sim.bundled_scenario())
    text = bundled.read_text().replace("incident_timings.contain.mean", "incident_timing.mean")
    text = text.replace(
        "../infrastructure_models/", f"{bundled.parent.parent}/infrastructure_models/"
    )
    assert "incident_timing.mean" in text
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = tmp_path / "played"
    for args in (
        ["validate", str(path)],
        ["play", str(path), "--auto", "default", "--out", str(out)],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert f"{path}: exercise.objectives[0].measure: no 'incident_timing'" in result.output
        assert "Traceback" not in result.output
    assert not out.exists()


def test_validate_checks_measures_under_every_variant_and_names_it(tmp_path: Path) -> None:
    bundled = Path(sim.bundled_scenario())
    text = bundled.read_text().replace(
        "variants:\n", "variants:\n  called_off:\n    description: No final.\n    events: []\n", 1
    )
    text = text.replace(
        "../infrastructure_models/", f"{bundled.parent.parent}/infrastructure_models/"
    )
    path = tmp_path / "called_off.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "measure" in line]
    assert len(lines) == 1 and "(with variant 'called_off')" in lines[0]


def test_the_timeline_reads_why_a_stage_was_blocked_and_what_the_response_shortened(
    room: tuple,
) -> None:
    """Read by kind, not out of a detail: a block's reason row says why, a restoration_start
    row marks an impact the response cut short, an inject's detail is its message."""
    from sim.engine.records import Row
    from sim.report.aar_timeline import timeline

    scenario = room[0]
    campaign = scenario.campaigns[0]
    assets = [a for a in scenario.assets if a.country == scenario.countries[0].id][:3]
    country = assets[0].country

    def row(time: float, kind: str, asset: Any, value: float, detail: str) -> Row:
        incident = f"{campaign.id}/{asset.id}"
        return Row(time, kind, country, asset.id, campaign.id, incident, value, detail)

    rows = [
        row(1.0, "stage_blocked", assets[0], 1, "1:x:T1"),
        row(1.0, "block_reason", assets[0], 1, "indicators"),
        row(20.0, "stage_blocked", assets[1], 1, "1:x:T1"),
        row(20.0, "block_reason", assets[1], 1, "isolated"),
        row(40.0, "restoration_start", assets[2], math.nan, ""),
        row(41.0, "impact_end", assets[2], 9.0, "ransomware"),
    ]
    lines = [entry["text"] for entry in timeline(scenario, rows, [])[0]]
    assert any("by indicators held there" in line for line in lines), lines
    assert any("while the asset was isolated" in line for line in lines), lines
    assert any("(1 sooner thanks to the response)" in line for line in lines), lines
