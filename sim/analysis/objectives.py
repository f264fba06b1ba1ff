"""Exercise objectives rated P/S/M/U from a run's metrics, and the roster's participation in
aggregate (DESIGN.md §2, Exercise layer; §6, HSEEP)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ..engine.records import Records
from ..schema.exercise import RATINGS, Exercise, Objective, Rating
from ..schema.scenario import Scenario
from .metrics import compute_metrics

LEVELS: tuple[Rating, ...] = ("P", "S", "M")
"""Ratings with a threshold, best first; U is what remains."""

NOT_STATED = "not stated"
"""The gender of a participant whose roster entry gives none."""

NO_TEAM = "no team"
"""The team of a participant whose roster entry gives none."""

WOMEN = frozenset({"woman", "women", "female", "f", "w"})
"""Stated genders (compared without case) that count towards the share of women."""


def measure(metrics: Mapping[str, Any], path: str) -> float | None:
    """The number at dotted `path` in `metrics`; None where it is missing, None or NaN."""
    value: Any = metrics
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


RUN_KEYED = "_by_tactic"
"""Groups named with this ending are keyed by ATT&CK tactic, and a key appears only once a
stage of that tactic has run: under them any key is accepted."""


def measure_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """(field path, message) for each objective whose `measure` names no number in this
    scenario's metrics, judged on the metrics of a run in which nothing happens: those have
    every key a real run has, except under RUN_KEYED groups."""
    if scenario.exercise is None:
        return []
    ids = tuple(asset.id for asset in scenario.assets)
    shape = compute_metrics(scenario, Records(scenario.duration_hours, ids))
    return [
        (f"exercise.objectives[{k}].measure", problem)
        for k, objective in enumerate(scenario.exercise.objectives)
        if (problem := _path_problem(shape, objective.measure)) is not None
    ]


def _path_problem(shape: Mapping[str, Any], path: str) -> str | None:
    """What is wrong with dotted `path` into the metrics `shape`, or None."""
    value: Any = shape
    walked: list[str] = []
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return f"{'.'.join(walked)} is a number, with nothing under it"
        if key not in value:
            if walked and walked[-1].endswith(RUN_KEYED):
                return None
            under = f" under {'.'.join(walked)}" if walked else ""
            if not value:
                return f"no '{key}'{under}, which is empty in this scenario"
            return f"no '{key}'{under}; choose from {', '.join(value)}"
        value = value[key]
        walked.append(key)
    if isinstance(value, Mapping):
        return "names a group, not a number" + (f"; add one of {', '.join(value)}" if value else "")
    return None


def meets(objective: Objective, value: float, threshold: float) -> bool:
    """Whether `value` is at least as good as `threshold` (boundaries inclusive)."""
    return value <= threshold if objective.better == "lower" else value >= threshold


def rating(objective: Objective, value: float | None) -> Rating:
    """The best level whose threshold `value` meets; U when none is met or it is undefined."""
    if value is None:
        return "U"
    return next(
        (
            level
            for level in LEVELS
            if level in objective.thresholds
            and meets(objective, value, objective.thresholds[level])
        ),
        "U",
    )


def rate(objective: Objective, metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The objective's measured value in `metrics` and its P/S/M/U rating."""
    value = measure(metrics, objective.measure)
    level = rating(objective, value)
    return {
        "id": objective.id,
        "text": objective.text,
        "team": objective.team,
        "measure": objective.measure,
        "value": value,
        "rating": level,
        "rating_text": RATINGS[level],
    }


def _counts(values: Iterable[str]) -> dict[str, int]:
    """Counts by value, most frequent first (ties alphabetical)."""
    return dict(sorted(Counter(values).items(), key=lambda item: (-item[1], item[0])))


def participation(exercise: Exercise) -> dict[str, Any]:
    """Aggregate counts of the roster (never names): total; by team, role, organisation and
    gender; gender within each team; how many state a gender, and the share of women among
    them (None when nobody does). Genders are compared without case."""
    roster = exercise.roster
    genders = [
        p.gender.strip().casefold() if p.gender and p.gender.strip() else NOT_STATED for p in roster
    ]
    teams = [p.team or NO_TEAM for p in roster]
    stated = sum(g != NOT_STATED for g in genders)
    women = sum(g in WOMEN for g in genders)
    return {
        "total": len(roster),
        "by_team": _counts(teams),
        "by_role": _counts(p.role for p in roster),
        "by_organisation": _counts(p.organisation for p in roster),
        "by_gender": _counts(genders),
        "team_by_gender": {
            team: _counts(g for t, g in zip(teams, genders, strict=True) if t == team)
            for team in _counts(teams)
        },
        "gender_stated": stated,
        "women": women,
        "women_share": women / stated if stated else None,
    }
