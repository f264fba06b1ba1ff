"""The after-action report of a facilitated exercise, in the style of HSEEP's After-Action
Report / Improvement Plan: one self-contained HTML page the organisers can file."""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Literal

from ..analysis.counterfactuals import counterfactuals
from ..analysis.objectives import LEVELS, measure, participation, rate, rating
from ..analysis.result import RunResult
from ..facilitation.decisions import Decision
from ..schema.exercise import RATINGS, Exercise, Objective
from ..schema.scenario import Scenario
from .html import render

KPIS: tuple[tuple[str, str, Literal["lower", "higher"]], ...] = (
    ("service_hours_lost", "Service-hours lost", "lower"),
    ("peak_assets_down", "Peak assets down", "lower"),
    ("assets_affected", "Assets affected", "lower"),
    ("incident_timings.contain.mean", "Mean hours to contain", "lower"),
    ("incident_timings.detect.mean", "Mean hours to detect", "lower"),
    ("cooperation.assistance_answered", "Requests for assistance answered", "higher"),
)
"""The KPIs set against the counterfactuals: metrics path, title, which way is better."""

ORDER = {level: i for i, level in enumerate((*LEVELS, "U"))}
"""Ratings best first."""


def _number(value: float | None, signed: bool = False) -> str:
    """A value for a table: thousands separated, two decimals unless whole; — when undefined."""
    if value is None:
        return "—"
    sign = "+" if signed and value else ""
    return f"{value:{sign},.0f}" if float(value).is_integer() else f"{value:{sign},.2f}"


def _thresholds(objective: Objective) -> str:
    """The objective's thresholds, e.g. 'P ≤ 4, S ≤ 8, M ≤ 12'."""
    sign = "≤" if objective.better == "lower" else "≥"
    return ", ".join(
        f"{level} {sign} {_number(objective.thresholds[level])}"
        for level in LEVELS
        if level in objective.thresholds
    )


def _timeline(
    start: datetime,
    exercise: Exercise,
    teams: dict[str, str],
    events: list[tuple[Any, ...]],
    decisions: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Injects delivered and decisions taken, in time order, each decision with its
    consequences (the rows its actions logged, tagged `decision:POINT`); and notes on injects
    of the MSEL that the log does not show delivered."""
    injects = {i.sequence: i for i in exercise.injects}
    points = {p.id: p for p in exercise.decision_points}

    def when(hours: float) -> str:
        try:
            return (start + timedelta(hours=hours)).strftime("%a %d %b %H:%M")
        except OverflowError:  # past the calendar's end
            return f"hour {hours:g}"

    entries: list[dict[str, Any]] = []
    consequences: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for time, kind, country, asset, _campaign, incident, value, detail in events:
        if kind == "inject" and int(value) in injects:
            inject = injects.pop(int(value))
            entries.append(
                {
                    "order": (time, 0, inject.sequence),
                    "hour": f"{time:.1f}",
                    "when": when(time),
                    "entry": f"Inject {inject.sequence}",
                    "kind": f"{inject.type}, by {inject.method}",
                    "route": f"{inject.sender} → {inject.recipient}",
                    "text": inject.message,
                    "expected": inject.expected_action,
                }
            )
        elif kind != "decision" and incident.startswith("decision:"):
            consequences[incident.removeprefix("decision:")].append(
                {
                    "hour": f"{time:.1f}",
                    "what": kind.replace("_", " "),
                    "where": ", ".join(part for part in (country, asset) if part),
                    "detail": detail,
                }
            )
    for decision in decisions:
        point = points.get(decision["point"])
        entries.append(
            {
                "order": (decision["time_hours"], 1, len(entries)),
                "hour": f"{decision['time_hours']:.1f}",
                "when": when(decision["time_hours"]),
                "entry": f"Decision {decision['point']}",
                "route": teams.get(point.team, point.team) if point and point.team else "",
                "text": point.prompt if point else "",
                "choice": decision["label"],
                "number": decision["option"] + 1,
                "default": point is not None and decision["option"] == point.default,
                "source": decision["source"],
                "wall_clock": decision["wall_clock"],
                "consequences": consequences[decision["point"]],
            }
        )
    missing = [
        f"inject {i.sequence} (hour {i.time_hours:g}, {i.sender} → {i.recipient})"
        for i in injects.values()
    ]
    return sorted(entries, key=lambda e: e["order"]), missing


def _kpis(
    metrics: dict[str, Any], counterfactuals: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per KPI: the room's value, and each counterfactual's with the room's difference from it."""
    rows = []
    for path, title, better in KPIS:
        room = measure(metrics, path)
        cells = []
        for other in counterfactuals.values():
            value = measure(other, path)
            difference = None if room is None or value is None else room - value
            gain = 0.0 if difference is None else difference * (1 if better == "higher" else -1)
            verdict = "better" if gain > 0 else "worse" if gain < 0 else ""
            cells.append(
                {
                    "value": _number(value),
                    "difference": _number(difference, signed=True),
                    "verdict": verdict,
                }
            )
        rows.append({"title": title, "path": path, "room": _number(room), "cells": cells})
    return rows


def _observation(
    objective: Objective, value: float | None, counterfactuals: dict[str, dict[str, Any]]
) -> str:
    """What the measure showed, and which counterfactual runs would have rated better."""
    rank = ORDER[rating(objective, value)]
    if value is None:
        text = f"{objective.measure} was undefined in the room's run: nothing reached it."
    else:
        text = f"{objective.measure} was {_number(value)} against {_thresholds(objective)}."
    for label, other in counterfactuals.items():
        theirs = measure(other, objective.measure)
        level = rating(objective, theirs)
        if ORDER[level] < rank:
            text += f" {label} reached {_number(theirs)} ({level})."
    return text


def aar_report(
    scenario: Scenario,
    metrics: dict[str, Any],
    events: list[tuple[Any, ...]],
    decisions: list[dict[str, Any]],
    counterfactuals: dict[str, dict[str, Any]],
    provenance: dict[str, Any],
    figures: dict[str, bytes] | None = None,
    undone: list[dict[str, Any]] | None = None,
) -> bytes:
    """The AAR/IP as UTF-8 HTML: overview, timeline of injects, decisions and consequences,
    the room's KPIs against each counterfactual run, objectives rated P/S/M/U, participation
    in aggregate, and an improvement plan. `events` are the room run's rows in EVENT_COLUMNS
    order; `decisions` have keys point, option, label, time_hours, wall_clock, source;
    `counterfactuals` map a label to that run's metrics on the same seed."""
    exercise = scenario.exercise
    if exercise is None:
        raise ValueError(f"scenario {scenario.name!r} has no exercise")
    teams = {t.id: t.name for t in exercise.teams}
    countries = {c.id: c.name or c.id for c in scenario.countries}
    objectives = [
        rate(o, metrics) | {"thresholds": _thresholds(o), "objective": o}
        for o in exercise.objectives
    ]
    timeline, undelivered = _timeline(scenario.start, exercise, teams, events, decisions)
    html = render(
        "aar.html.j2",
        scenario=scenario,
        exercise=exercise,
        teams=teams,
        countries=countries,
        timeline=timeline,
        undelivered=undelivered,
        counterfactuals=list(counterfactuals),
        kpis=_kpis(metrics, counterfactuals),
        objectives=objectives,
        participation=participation(exercise),
        plan=[
            o | {"observation": _observation(o["objective"], o["value"], counterfactuals)}
            for o in objectives
            if o["rating"] != "P"
        ],
        ratings=RATINGS,
        number=_number,
        figures={name: base64.b64encode(data).decode() for name, data in (figures or {}).items()},
        provenance=provenance,
        undone=undone or [],
        conducted=" to ".join(
            dict.fromkeys(d["wall_clock"][:10] for d in decisions if d.get("wall_clock"))
        ),
        digest=scenario.digest(),
    )
    return html.encode()


def after_action_report(
    written: Scenario,
    played: RunResult,
    taken: list[Decision],
    undone: list[Decision],
    provenance: dict[str, Any],
) -> bytes:
    """The AAR of a played exercise: the room's run against its counterfactuals (no decisions,
    the baseline variant, the best declared variant of `written`) on the same seed."""
    return aar_report(
        played.scenario,
        played.metrics,
        played.records.events,
        [asdict(d) for d in taken],
        counterfactuals(written, played),
        provenance,
        undone=[asdict(d) for d in undone],
    )
