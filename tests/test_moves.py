"""Moves: what a team does outside decision points is taken at its hour, recorded in the
decisions file, and replays to the same records; a move with no mechanical effect leaves the
engine's own records untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.engine import kinds
from sim.engine.exercise import run_exercise
from sim.facilitation.decisions import DecisionsError, read_decisions, write_decisions
from sim.facilitation.session import open_session, replay
from sim.schema.exercise import Move


def _moves() -> list[Move]:
    return [
        Move.model_validate(
            {
                "time_hours": 30.000001,
                "country": "HST",
                "label": "Hestoria shares with Valdora",
                "actions": [{"action": "share_indicators", "country": "HST", "to": ["VLD"]}],
            }
        ),
        Move.model_validate(
            {
                "time_hours": 41.5,
                "country": "VLD",
                "label": "Valdora lends Hestoria 3 analysts",
                "actions": [
                    {"action": "request_assistance", "country": "HST", "from": "VLD", "analysts": 3}
                ],
            }
        ),
    ]


def test_moves_are_taken_at_their_hours_and_logged() -> None:
    session = open_session("continental_final")
    scenario = session.resolved.scenario
    records = run_exercise(scenario, session.seed, lambda p, w: p.default, moves=_moves())
    taken = [r for r in records.events if r.kind == kinds.MOVE]
    assert [(r.time, r.country, r.incident) for r in taken] == [
        (30.000001, "HST", "move:1"),
        (41.5, "VLD", "move:2"),
    ]
    assert any(
        r.kind == kinds.ASSISTANCE_REQUESTED and r.incident == "move:2" for r in records.events
    )


def test_a_statement_move_changes_nothing_else() -> None:
    session = open_session("continental_final")
    scenario = session.resolved.scenario
    said = Move.model_validate(
        {
            "time_hours": 12.25,
            "country": "HST",
            "label": "a press line",
            "actions": [{"action": "statement", "text": "We are aware."}],
        }
    )
    plain = run_exercise(scenario, session.seed, lambda p, w: p.default).events
    spoken = run_exercise(scenario, session.seed, lambda p, w: p.default, moves=[said]).events
    assert [r for r in spoken if not r.incident.startswith("move:")] == plain


def test_a_decisions_file_with_moves_replays_to_the_same_records(tmp_path: Path) -> None:
    session = open_session("continental_final")
    scenario = session.resolved.scenario
    live = run_exercise(scenario, session.seed, lambda p, w: p.default, moves=_moves())
    path = tmp_path / "decisions.yaml"
    path.write_bytes(write_decisions([], session.about(), moves=_moves()))
    header, _ = read_decisions(path)
    assert header["moves"] == _moves()
    replayed = replay(open_session(decisions=path))
    assert replayed.result is not None and replayed.result.records.events == live.events


def test_a_bad_move_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "scenario: continental_final\ndecisions: []\nmoves:\n"
        "- {time_hours: 3, country: HST, label: x, actions: [{action: launch_missiles}]}\n"
    )
    with pytest.raises(DecisionsError, match=r"moves\.0\.actions\.0"):
        read_decisions(path)
