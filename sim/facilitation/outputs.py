"""What a played exercise leaves behind, whoever played it (the terminal or a served room): the
run's records, the decisions file that replays it, and the after-action report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ..analysis.counterfactuals import MAX_RUNS, decision_effects
from ..analysis.export import run_files
from ..analysis.result import RunResult
from ..report.aar import aar_report
from ..schema.exercise import Move
from .decisions import Decision
from .session import Played, Session, decisions_file


def exercise_files(
    session: Session,
    played: Played,
    moves: Sequence[Move],
    notes: Sequence[Mapping[str, Any]],
    provenance: dict[str, Any],
) -> dict[str, bytes]:
    """events.csv, series.csv, metrics.json, run.json, decisions.yaml and aar.html of a
    finished exercise (`played.result` set), by file name; `moves` and `notes` are a served
    room's teams' moves and evaluators' notes. Raises ScenarioError for an AAR whose
    measures cannot be computed."""
    result = played.result
    if result is None:
        raise ValueError("the exercise has not finished")
    files = run_files(result, provenance)
    files["decisions.yaml"] = decisions_file(session, played, moves)
    about = provenance | {"seed": result.seed, "variant": result.variant or "none"}
    files["aar.html"] = after_action_report(
        result,
        played.taken,
        played.undone,
        about,
        notes=notes,
        moves=moves,
    )
    return files


def after_action_report(
    played: RunResult,
    taken: list[Decision],
    undone: list[Decision],
    provenance: dict[str, Any],
    *,
    max_runs: int = MAX_RUNS,
    notes: Sequence[Mapping[str, Any]] = (),
    moves: Sequence[Move] = (),
) -> bytes:
    """The AAR of a played exercise: the room's run against no decisions, each decision
    alone and every other option open to the room, all on the room's seed (at most
    `max_runs` runs, made here, so that the report only renders them), the teams' `moves`
    held as taken; `notes` are the evaluators' (see `aar_report`)."""
    effects = decision_effects(
        played.scenario,
        played.seed,
        {d.point: d.option for d in taken},
        played.metrics,
        played.records,
        max_runs=max_runs,
        moves=moves,
    )
    return aar_report(
        played.scenario,
        played.metrics,
        played.records.events,
        [asdict(d) for d in taken],
        effects,
        provenance,
        undone=[asdict(d) for d in undone],
        notes=notes,
    )
