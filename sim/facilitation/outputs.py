"""What a played exercise leaves behind, whoever played it (the terminal or a served room): the
run's records, the decisions file that replays it, and the after-action report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..analysis.export import run_files
from ..report.aar import after_action_report
from ..schema.exercise import Move
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
        session.resolved.written,
        result,
        played.taken,
        played.undone,
        about,
        notes=notes,
        moves=moves,
    )
    return files
