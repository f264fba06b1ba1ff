"""Facilitated play: prompts on standard input, replay identity, undo, save and resume,
scripted policies, and the engine actions decisions take."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from markupsafe import escape

from sim import bundled_scenario, load_scenario
from sim.cli import main
from sim.engine.exercise import run_exercise
from sim.engine.world import run_replication
from sim.facilitation.play import Console, SaveAndQuit, play
from sim.schema.exercise import DecisionPoint, Exercise, Option

SCENARIO = load_scenario(bundled_scenario())
NO_CHOICE_YET = "\n"


def _play(tmp_path: Path, name: str, keys: list[str], *extra: str) -> tuple[str, Path]:
    out = tmp_path / name
    result = CliRunner().invoke(
        main, ["play", "--out", str(out), *extra], input="\n".join(keys) + "\n"
    )
    assert result.exit_code == 0, result.output
    return result.output, out


CHOICES = {
    "alert-before-the-final": "2",
    "venue-network": "2",
    "first-severe-incident": "3",
    "generators": "2",
    "valdora-shares": "2",
}
"""The option the room takes at each decision point of the bundled exercise (1-based)."""


PLAYED_SEED = SCENARIO.root_seed(SCENARIO.exercise.seed)
"""The seed `play` uses by default: the exercise's storyline seed."""


def _pauses() -> list[str]:
    """The bundled exercise's pauses in the order the room meets them when it takes CHOICES:
    `inject N`, `situation` (a block of the feed) or a decision point's id."""
    order: list[str] = []
    shown = {"last": ""}

    def say(text: str) -> None:
        if "DECISION " in text:
            shown["last"] = text.split("DECISION ", 1)[1].split()[0]
        elif "] inject #" in text:
            shown["last"] = "inject " + text.split("] inject #", 1)[1].split()[0]
        elif "] SITUATION" in text:
            shown["last"] = "situation"

    def ask(prompt: str) -> str:
        order.append(shown["last"])
        return CHOICES[shown["last"]] if prompt.startswith("Option") else ""

    play(SCENARIO, PLAYED_SEED, Console(ask, say))
    return order


PAUSES = _pauses()
ROOM = [
    key
    for pause in PAUSES
    for key in (["s"] if pause == "inject 3" else []) + [CHOICES.get(pause, "")]
]
"""Keys for every pause: Enter at injects (a status board first at inject 3), CHOICES at
decision points."""


def test_play_runs_end_to_end_through_its_prompts(tmp_path: Path) -> None:
    output, out = _play(tmp_path, "room", ROOM)
    assert "DECISION alert-before-the-final" in output and "STATUS at" in output
    assert "CSIRT HST:" in output and "inject #4" in output
    log = yaml.safe_load((out / "decisions.yaml").read_text())
    chosen = [(d["point"], d["option"]) for d in log["decisions"]]
    assert chosen == [(p, int(CHOICES[p]) - 1) for p in PAUSES if p in CHOICES]
    assert all(d["wall_clock"] and d["source"] == "room" for d in log["decisions"])
    events = (out / "events.csv").read_text()
    for kind in ("decision", "alert_raised", "isolated", "public_statement", "backup_activated"):
        assert f",{kind}," in events
    scenario = load_scenario(bundled_scenario("continental_final"))
    alerts = [line for line in events.splitlines() if ",alert_raised," in line]
    ids = {a.id for a in scenario.assets}
    assert all(not any(i in line.split(",", 7)[-1] for i in ids) for line in alerts), alerts
    report = (out / "aar.html").read_text()
    for decision in log["decisions"]:
        assert decision["point"] in report and escape(decision["label"]) in report
    assert "Improvement plan" in report and "no decisions taken" in report


def test_a_replayed_exercise_reproduces_identical_records(tmp_path: Path) -> None:
    _, room = _play(tmp_path, "room", ROOM)
    _, replay = _play(tmp_path, "replay", [], "--decisions", str(room / "decisions.yaml"))
    for name in ("events.csv", "series.csv", "metrics.json"):
        assert (room / name).read_bytes() == (replay / name).read_bytes()


def test_undo_gives_the_records_of_never_having_decided_otherwise(tmp_path: Path) -> None:
    # Take option 1 at the first decision, undo it from the next pause, then take option 2.
    first = PAUSES.index("alert-before-the-final")
    undone = [*ROOM[:first], "1", "u", *ROOM[first:]]
    output, out = _play(tmp_path, "undo", undone)
    assert "Undone: 'Keep normal operations'" in output
    log = yaml.safe_load((out / "decisions.yaml").read_text())
    assert [d["label"] for d in log["undone"]] == ["Keep normal operations"]
    assert "Decisions the room took back" in (out / "aar.html").read_text()
    _, direct = _play(tmp_path, "direct", ROOM)
    assert (out / "events.csv").read_bytes() == (direct / "events.csv").read_bytes()


def test_save_and_quit_then_resume_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "saved"
    alert = PAUSES.index("alert-before-the-final")
    keys = [*ROOM[: alert + 1], "q"]  # to the first decision, then save and quit at the next pause
    first = CliRunner().invoke(main, ["play", "--out", str(out)], input="\n".join(keys) + "\n")
    assert first.exit_code == 0 and "--resume" in first.output, first.output
    session = tmp_path / "saved.session.yaml"
    assert session.exists() and not out.exists()
    rest = [key for pause in PAUSES[alert + 2 :] for key in [CHOICES.get(pause, "")]]
    resumed = CliRunner().invoke(
        main, ["play", "--resume", str(session), "--out", str(out)], input="\n".join(rest) + "\n"
    )
    assert resumed.exit_code == 0, resumed.output
    assert "inject #1" not in resumed.output and not session.exists()
    _, direct = _play(tmp_path, "direct", ROOM)
    assert (out / "events.csv").read_bytes() == (direct / "events.csv").read_bytes()


def test_scripted_policies_decide_without_prompts(tmp_path: Path) -> None:
    share = _play(tmp_path, "share", [], "--auto", "prefer:share_indicators")[1]
    never = _play(tmp_path, "never", [], "--auto", "avoid:share_indicators")[1]
    shared = yaml.safe_load((share / "decisions.yaml").read_text())["decisions"]
    assert {d["source"] for d in shared} == {"policy:prefer:share_indicators"}
    assert ",indicators_shared," in (share / "events.csv").read_text()
    assert ",indicators_shared," not in (never / "events.csv").read_text()


def test_an_unknown_policy_or_a_mismatched_decisions_file_is_a_short_error(tmp_path: Path) -> None:
    bad = CliRunner().invoke(main, ["play", "--auto", "sometimes", "--out", str(tmp_path / "a")])
    assert bad.exit_code == 2 and "unknown policy" in bad.stderr
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        yaml.safe_dump(
            {
                "decisions": [
                    {
                        "point": "nope",
                        "option": 0,
                        "label": "x",
                        "time_hours": 0,
                        "wall_clock": "",
                        "source": "room",
                    }
                ]
            }
        )
    )
    mismatch = CliRunner().invoke(
        main, ["play", "--decisions", str(wrong), "--out", str(tmp_path / "b")]
    )
    assert mismatch.exit_code == 2 and "nope" in mismatch.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def _with_points(*points: DecisionPoint) -> object:
    return SCENARIO.model_copy(update={"exercise": Exercise(title="t", decision_points=points)})


def _engine_rows(records: object) -> list[tuple]:
    return [row for row in records.events if row[1] not in ("decision", "inject")]


def test_options_without_actions_leave_the_engine_untouched() -> None:
    idle = DecisionPoint(
        id="idle", at_hours=30, prompt="?", options=(Option(label="a"), Option(label="b"))
    )
    scenario = _with_points(idle)
    played = run_exercise(scenario, 5, lambda point, world: 1)
    plain = run_replication(SCENARIO, seed=5)
    assert _engine_rows(played) == plain.events
    assert list(played.series_q) == list(plain.series_q)


def test_isolating_an_asset_for_the_whole_run_stops_every_intrusion_into_it() -> None:
    from sim.schema.exercise import Isolate

    target = "HST-ven-net"
    isolate = Option(
        label="isolate",
        actions=(Isolate(action="isolate", asset=target, hours=SCENARIO.duration_hours),),
    )
    point = DecisionPoint(id="iso", at_hours=0, prompt="?", options=(Option(label="no"), isolate))
    records = run_exercise(_with_points(point), 5, lambda point, world: 1)
    landed = [r for r in records.events if r[3] == target and r[1] in ("stage_success", "impact")]
    assert landed == []


def test_msel_export_then_import_gives_back_the_scenarios_injects(tmp_path: Path) -> None:
    from sim.schema.exercise import Inject

    for fmt in ("csv", "xlsx"):
        table, back = tmp_path / f"msel.{fmt}", tmp_path / f"injects-{fmt}.yaml"
        exported = CliRunner().invoke(main, ["msel", "export", "--out", str(table)])
        count = len(SCENARIO.exercise.injects)
        assert exported.exit_code == 0 and f"{count} injects" in exported.output, exported.output
        imported = CliRunner().invoke(main, ["msel", "import", str(table), "--out", str(back)])
        assert imported.exit_code == 0, imported.output
        injects = [Inject(**row) for row in yaml.safe_load(back.read_text())["injects"]]
        in_order = sorted(SCENARIO.exercise.injects, key=lambda i: (i.time_hours, i.sequence))
        assert injects == in_order  # the MSEL's order: by time, then sequence


def test_a_bad_msel_cell_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    table = tmp_path / "msel.csv"
    CliRunner().invoke(main, ["msel", "export", "--out", str(table)])
    lines = table.read_text(encoding="utf-8-sig").splitlines()
    timed = next(k for k, line in enumerate(lines) if ",40.0," in line)  # inject 3, at 40 h
    lines[timed] = lines[timed].replace(",40.0,", ",fourteen,", 1)
    table.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["msel", "import", str(table)])
    line = f"line {timed + 1}"
    assert result.exit_code == 2 and line in result.stderr and "time_hours" in result.stderr
    assert "Traceback" not in result.output


def test_a_session_resumes_with_its_own_seed_and_variant(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = ["play", "--seed", "9", "--variant", "all_cbms", "--out", str(out)]
    assert CliRunner().invoke(main, args, input="q\n").exit_code == 0
    session = tmp_path / "s.session.yaml"
    again = CliRunner().invoke(main, ["play", "--out", str(out)], input="q\n")
    assert again.exit_code == 2 and "--resume" in again.stderr
    resumed = CliRunner().invoke(
        main, ["play", "--resume", str(session), "--out", str(out)], input="\n" * 300
    )
    assert resumed.exit_code == 0, resumed.output
    assert "variant: all_cbms, seed 9" in resumed.output
    log = yaml.safe_load((out / "decisions.yaml").read_text())
    assert (log["seed"], log["variant"]) == (9, "all_cbms")


def test_exercise_timing_and_help_from_a_country_without_a_csirt_are_checked() -> None:
    from sim.errors import ScenarioError
    from sim.schema.exercise import Inject, RequestAssistance

    late = Inject(sequence=1, time_hours=500, sender="a", recipient="b", message="m")
    lonely = RequestAssistance(
        action="request_assistance", country="HST", helper="SLV", arrival_hours=1, hours=2
    )
    point = DecisionPoint(
        id="p",
        at_hours=1,
        prompt="?",
        options=(Option(label="a"), Option(label="b", actions=(lonely,))),
    )
    data = SCENARIO.model_dump(mode="json", by_alias=True, exclude={"exercise"})
    data["exercise"] = Exercise(title="t", injects=(late,), decision_points=(point,)).model_dump(
        mode="json", by_alias=True
    )
    try:
        load_scenario(data)
    except ScenarioError as error:
        report = error.report()
    else:
        raise AssertionError("the exercise should not validate")
    assert "exercise.injects[0].time_hours: falls due after the scenario ends" in report
    assert "'SLV' has no CSIRT to lend" in report


def test_two_decision_points_on_the_same_trigger_both_fire() -> None:
    from sim.schema.exercise import Trigger

    when = Trigger(first_incident_at_least="Baseline")
    points = tuple(
        DecisionPoint(
            id=name, when=when, prompt="?", options=(Option(label="a"), Option(label="b"))
        )
        for name in ("first", "second")
    )
    asked: list[tuple[float, str]] = []
    choose = lambda point, world: asked.append((world.env.now, point.id)) or 0  # noqa: E731
    run_exercise(_with_points(*points), 5, choose)
    assert sorted(name for _, name in asked) == ["first", "second"]
    assert asked[0][0] == asked[1][0]  # the same triaged incident triggers both


def test_a_country_cannot_ask_itself_for_analysts() -> None:
    from pydantic import ValidationError

    from sim.schema.exercise import RequestAssistance

    with pytest.raises(ValidationError, match="not itself"):
        RequestAssistance(action="request_assistance", country="HST", helper="HST")


def test_a_scenario_without_an_exercise_plays_the_injects_of_an_msel(tmp_path: Path) -> None:
    table = Path(__file__).parent / "data" / "facilitator_msel.csv"
    out = tmp_path / "g"
    args = ["play", "grid_cascade", "--msel", str(table), "--auto", "first", "--out", str(out)]
    played = CliRunner().invoke(main, args)
    assert played.exit_code == 0, played.output
    assert ",inject," in (out / "events.csv").read_text()
    again = tmp_path / "again"
    replay = ["play", "--decisions", str(out / "decisions.yaml"), "--out", str(again)]
    assert CliRunner().invoke(main, replay).exit_code == 0  # the file remembers its MSEL
    assert (again / "events.csv").read_bytes() == (out / "events.csv").read_bytes()


def test_the_room_hears_the_simulation_to_its_end_but_not_what_nobody_detected() -> None:
    from sim.engine import kinds
    from sim.facilitation.feed import Feed

    records = run_exercise(SCENARIO, SCENARIO.seed, lambda point, world: point.default)
    feed = Feed(SCENARIO)
    heard = [(row, feed.line(row)) for row in records.events]
    hidden = {kinds.INTRUSION_START, kinds.STAGE_SUCCESS, kinds.STAGE_BLOCKED, kinds.WORK}
    assert all(line is None for row, line in heard if row.kind in hidden)
    assert all(
        line is None for row, line in heard if row.kind == kinds.TRIAGED and not row.campaign
    )
    last_inject = max(i.time_hours for i in SCENARIO.exercise.injects if i.when is None)
    assert any(line is not None and row.time > last_inject + 10 for row, line in heard)

    output, _ = _pauses_output()
    assert "SITUATION" in output.split("inject #4")[-1]  # news after the last scheduled inject
    assert output.rstrip().endswith("the simulation has run its course.")


def test_a_jump_ahead_stops_at_the_next_news() -> None:
    said: list[str] = []
    keys = iter(["", "j 90"])
    stops: list[str] = []  # what was last shown at each pause after the jump

    def ask(prompt: str) -> str:
        if prompt.startswith("Option"):
            return ""
        answer = next(keys, None)
        if answer is None:
            stops.append(said[-2] if said[-1].startswith("  ") else said[-1])
            raise SaveAndQuit(0.0)
        return answer

    play(SCENARIO, SCENARIO.seed, Console(ask, said.append))
    (stop,) = stops
    assert "SITUATION" in stop and float(stop.split("h ·")[0].strip("[ ")) < 90


def _pauses_output() -> tuple[str, list[str]]:
    said: list[str] = []
    play(SCENARIO, SCENARIO.seed, Console(lambda prompt: "", said.append))
    return "\n".join(said), said


def test_play_defaults_to_the_exercises_storyline_seed() -> None:
    from sim.facilitation.session import open_session

    assert SCENARIO.exercise.seed is not None and SCENARIO.exercise.seed != SCENARIO.seed
    assert open_session("continental_final").seed == SCENARIO.exercise.seed
    assert open_session("continental_final", seed=3).seed == 3
