"""The AAR's counterfactuals, timeline, words and charts: laws, not pinned numbers."""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import Any

import pytest

import sim
from sim.analysis.counterfactuals import decision_effects, outcome_of
from sim.engine import kinds
from sim.engine.records import Row
from sim.facilitation.outputs import after_action_report
from sim.facilitation.session import open_session, replay
from sim.report.aar import KPIS, aar_report
from sim.report.aar_timeline import timeline
from sim.report.aar_words import amount, measure_name, quantity
from sim.schema.exercise import DecisionPoint

Played = tuple[sim.Scenario, Any, list[Any]]


@pytest.fixture(scope="module")
def played() -> Played:
    """The default exercise played with the last option everywhere, and a decision point
    added that never falls due (after the end of the run)."""
    session = open_session("continental_final")
    exercise = session.resolved.scenario.exercise
    assert exercise is not None
    never = DecisionPoint(
        id="never",
        at_hours=session.resolved.scenario.duration_hours + 1,
        prompt="After the end: does <b>anyone</b> decide?",
        options=({"label": "No"}, {"label": "Yes"}),
    )
    scenario = session.resolved.scenario.model_copy(
        update={
            "exercise": exercise.model_copy(
                update={"decision_points": (*exercise.decision_points, never)}
            )
        }
    )
    result = replay(replace(session, resolved=replace(session.resolved, scenario=scenario)), "last")
    assert result.result is not None
    return scenario, result.result, result.taken


@pytest.fixture(scope="module")
def page(played: Played) -> str:
    _scenario, result, taken = played
    return after_action_report(result, taken, [], {"seed": result.seed}).decode()


def _chosen(taken: list[Any]) -> dict[str, int]:
    return {d.point: d.option for d in taken}


def test_replaying_the_rooms_choices_gives_the_rooms_run(played: Played) -> None:
    scenario, result, taken = played
    again = outcome_of(scenario, result.seed, _chosen(taken), "room", "again")
    assert again.metrics == result.metrics
    assert list(again.fired) == [d.point for d in taken]


def test_a_room_that_takes_every_default_has_no_effect(played: Played) -> None:
    scenario, result, _ = played
    defaults = outcome_of(scenario, result.seed, {}, "defaults", "defaults")
    points = {p.id: p for p in scenario.exercise.decision_points}
    chosen = {p: points[p].default for p in defaults.fired}
    effects = decision_effects(scenario, result.seed, chosen, defaults.metrics, max_runs=4)
    assert effects.defaults is not None and effects.defaults.metrics == defaults.metrics
    assert effects.singles == ()  # a decision identical to the default has no effect alone
    # the same choice spelt out is the same run
    point = defaults.fired[0]
    same = outcome_of(scenario, result.seed, {point: points[point].default}, "single", "x")
    assert same.metrics == defaults.metrics


def test_counterfactuals_share_the_seed_and_stay_under_the_cap(played: Played) -> None:
    scenario, result, taken = played
    effects = decision_effects(scenario, result.seed, _chosen(taken), result.metrics, max_runs=3)
    runs = [o for o in (effects.defaults, effects.nothing, effects.together) if o]
    runs += [*effects.singles, *effects.alternatives]
    assert len(runs) <= 3
    points = {p.id: p for p in scenario.exercise.decision_points}
    offered = sum(len(points[p].options) - 1 for p in _chosen(taken))
    assert len(effects.alternatives) + effects.left_out == offered
    for single in effects.singles:  # each single differs from the defaults at one point only
        assert list(single.choices) == [single.point]
        assert single.choices[single.point] != points[single.point].default
    for option, outcome in effects.options_at(taken[0].point):
        assert outcome is effects.room or outcome.choices[taken[0].point] == option


def test_every_decision_taken_appears_once_and_the_point_that_never_fell_due_is_listed(
    played: Played, page: str
) -> None:
    _, _, taken = played
    table = page.split("<h2>Decisions and their effect</h2>")[1].split("<h3>")[0]
    for k, decision in enumerate(taken, 1):
        assert table.count(f"<td>D{k}</td>") == 1 and _escape(decision.label) in table
    assert f"<td>D{len(taken) + 1}</td>" not in table
    never = page.split("Decision points that never fell due")[1].split("<h2>")[0]
    assert "After the end: does &lt;b&gt;anyone&lt;/b&gt; decide?" in never
    assert "at hour 97" in never


def test_the_timeline_shows_an_impact_of_every_campaign_that_landed(
    played: Played, page: str
) -> None:
    scenario, result, _ = played
    names = {c.id: c.name for c in scenario.campaigns}
    landed = {r.campaign for r in result.records.events if r.kind == kinds.IMPACT}
    assert landed
    lines = re.findall(r'<tr class="impact">(.*?)</tr>', page, re.S)
    for campaign in landed:
        assert sum(str(_escape(names[campaign])) in line for line in lines) >= 1


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_no_metric_path_or_raw_number_is_in_the_body_text(played: Played, page: str) -> None:
    scenario, result, _ = played
    body = re.sub(r'<details class="facilitator">.*?</details>', "", page, flags=re.S)
    body = re.sub(r"data:image/png;base64,[^\"]+", "", body)
    paths = [path for path, _ in KPIS] + [o.measure for o in scenario.exercise.objectives]
    for path in paths:
        assert path not in body
    assert f"{result.metrics['service_hours_lost']:,.2f}" not in body
    assert "monitoring_bonus" not in body and "raise_alert(" not in body
    assert "monitoring_bonus" in page  # the facilitator still sees the engine actions
    assert page.count("data:image/png;base64,") == 2  # impact over time, and the choices


def test_a_blackout_is_one_line_not_one_per_asset(played: Played) -> None:
    scenario = played[0]
    venue = [a for a in scenario.assets if a.sector == "event_venue" and a.country == "HST"]
    assert len(venue) > 3
    rows = [
        Row(70 + k / 100, kinds.ASSET_DOWN, "HST", a.id, "", "", 1.0, "")
        for k, a in enumerate(venue)
    ]
    rows += [Row(90.0, kinds.ASSET_UP, "HST", a.id, "", "", 0.0, "") for a in venue]
    entries, _ = timeline(scenario, rows, [])
    assert [e["category"] for e in entries] == ["outage", "recovery"]
    assert f"{len(venue)} event venue assets down in Hestoria" in entries[0]["text"]
    assert "Fri 17 Jul 08:00" in [
        e["when"] for e in timeline(scenario, [rows[0]._replace(time=20.0)], [])[0]
    ]


def test_hostile_text_is_escaped_everywhere(played: Played) -> None:
    scenario, result, taken = played
    hostile = "<script>alert(1)</script>"
    exercise = scenario.exercise
    points = list(exercise.decision_points)
    first = points[0]
    options = tuple(o.model_copy(update={"label": hostile}) for o in first.options)
    points[0] = first.model_copy(update={"options": options, "prompt": hostile})
    campaigns = tuple(c.model_copy(update={"name": hostile}) for c in scenario.campaigns)
    changed = scenario.model_copy(
        update={
            "campaigns": campaigns,
            "exercise": exercise.model_copy(
                update={"title": hostile, "decision_points": tuple(points)}
            ),
        }
    )
    decisions = [asdict(d) | {"label": hostile} for d in taken]
    html = aar_report(
        changed, result.metrics, result.records.events, decisions, {}, {"x": hostile}
    ).decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_numbers_read_in_units_and_measures_in_words(played: Played) -> None:
    scenario, result, _ = played
    assert quantity(100_534_191.78, "service-hours") == "100.5 M service-hours"
    assert quantity(4.2, "h") == "4.2 h" and quantity(0.41, "%") == "41%"
    assert amount(None) == "—" and amount(3.0) == "3" and amount(12_345.6) == "12,346"
    assert measure_name("incident_timings.contain.mean") == "mean time to contain"

    def leaves(value: Any, prefix: str = "") -> list[str]:
        if isinstance(value, dict):
            return [leaf for k, v in value.items() for leaf in leaves(v, f"{prefix}{k}.")]
        return [prefix[:-1]]

    for path in leaves(result.metrics):
        words = measure_name(path, scenario)
        assert path not in words and "_" not in words, (path, words)
