"""The after-action report of a facilitated exercise, in the form of HSEEP's After-Action
Report / Improvement Plan: one self-contained HTML page the organisers can file.

It shows what happened (the simulated events beside the injects and decisions, with charts),
what the decisions changed (the room against no decisions, each decision alone and every other
option open to the room, all on the room's seed), the objectives rated with strengths and areas
for improvement drafted from their measures, and an improvement plan prefilled from those."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ..analysis.counterfactuals import Effects, Outcome
from ..analysis.objectives import LEVELS, measure, participation, rating
from ..engine.records import Row
from ..schema.exercise import RATINGS, DecisionPoint, Objective
from ..schema.scenario import Scenario
from .aar_figures import choices_bars, impact_over_time
from .aar_timeline import timeline
from .aar_words import change, measure_name, measured, quantity, threshold_text, unit_of
from .html import render

Better = Literal["lower", "higher"]

KPIS: tuple[tuple[str, Better], ...] = (
    ("service_hours_lost", "lower"),
    ("peak_assets_down", "lower"),
    ("assets_affected", "lower"),
    ("incident_timings.detect.mean", "lower"),
    ("incident_timings.contain.mean", "lower"),
    ("cooperation.assistance_answered", "higher"),
)
"""The measures set against the counterfactuals (with each objective's), and which way is
better."""

SERVICE = "service_hours_lost"

ORDER = {level: i for i, level in enumerate((*LEVELS, "U"))}
"""Ratings best first."""

MATERIAL = 0.01
"""A finding names a decision or an option only when it moves the measure by this share of
its value or more (or changes the rating)."""


def _gain(new: float | None, old: float | None, better: Better) -> float:
    """How much better `new` is than `old` (negative: worse; 0 when either is undefined)."""
    if new is None or old is None:
        return 0.0
    return (old - new) if better == "lower" else (new - old)


def _material(gain: float, scale: float | None) -> bool:
    return gain != 0 and abs(gain) >= MATERIAL * abs(scale or 0.0)


def _verdict(gain: float, scale: float | None) -> str:
    tolerance = 1e-9 * max(1.0, abs(scale or 0.0))
    return "better" if gain > tolerance else "worse" if gain < -tolerance else ""


def _trigger(scenario: Scenario, point: DecisionPoint) -> str:
    """When a decision point falls due, in words."""
    if point.at_hours is not None:
        return f"at hour {point.at_hours:g} ({scenario.calendar_time(point.at_hours)})"
    when = point.when
    describe = getattr(when, "describe", None)
    if describe is not None:
        return f"when {describe()}"
    fields = when.model_dump(exclude_defaults=True) if when is not None else {}
    return "when " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in fields.items())


def _action_text(action: Any) -> str:
    """An engine action as the facilitator reads it: `raise_alert(sector=..., ...)`."""
    fields = action.model_dump(exclude={"action"}, exclude_defaults=True, by_alias=True)
    shown = {k: ", ".join(v) if isinstance(v, (tuple, list)) else v for k, v in fields.items()}
    return f"{action.action}({', '.join(f'{k}={v}' for k, v in shown.items())})"


class Report:
    """What the template needs, drafted from the room's run and its counterfactuals."""

    def __init__(
        self,
        scenario: Scenario,
        metrics: Mapping[str, Any],
        decisions: list[dict[str, Any]],
        effects: Effects | None,
        others: Sequence[tuple[str, Mapping[str, Any]]],
    ) -> None:
        assert scenario.exercise is not None
        self.scenario, self.exercise = scenario, scenario.exercise
        self.metrics, self.decisions, self.effects = metrics, decisions, effects
        self.points = {p.id: p for p in self.exercise.decision_points}
        self.teams = {t.id: t.name for t in self.exercise.teams}
        self.number = {d["point"]: k for k, d in enumerate(decisions, 1)}
        compared: list[tuple[str, Mapping[str, Any]]] = list(others)
        if effects is not None:
            compared = [(o.label, o.metrics) for o in effects.compared()[1:]]
        self.compared = compared

    def name(self, path: str) -> str:
        return measure_name(path, self.scenario)

    # -- objectives ------------------------------------------------------------------------

    def objectives(self) -> list[dict[str, Any]]:
        """Each objective rated, with strengths and areas for improvement drafted from its
        measure, the decisions' measured effects on it and the options open to the room."""
        rated = []
        for objective in self.exercise.objectives:
            value = measure(self.metrics, objective.measure)
            level = rating(objective, value)
            unit = unit_of(objective.measure)
            strengths, areas = self._findings(objective, value, level)
            rated.append(
                {
                    "objective": objective,
                    "id": objective.id,
                    "text": objective.text,
                    "team": self.teams.get(objective.team, objective.team)
                    if objective.team
                    else "",
                    "measure": self.name(objective.measure),
                    "path": objective.measure,
                    "value": measured(objective.measure, value),
                    "thresholds": threshold_text(
                        objective.thresholds, objective.better, unit, LEVELS
                    ),
                    "rating": level,
                    "rating_text": RATINGS[level],
                    "strengths": strengths,
                    "areas": areas,
                    "injects": [
                        i.sequence for i in self.exercise.injects if i.objective == objective.id
                    ],
                }
            )
        return rated

    def _findings(
        self, objective: Objective, value: float | None, level: str
    ) -> tuple[list[str], list[str]]:
        name, path, better = self.name(objective.measure), objective.measure, objective.better
        unit = unit_of(path)
        shown = measured(path, value)
        strengths: list[str] = []
        areas: list[str] = []
        sign = "≤" if better == "lower" else "≥"
        target = objective.thresholds.get("P")
        if value is None:
            areas.append(
                f"The {name} could not be measured: nothing in the run reached it "
                f"(rated U, {RATINGS['U'].lower()})."
            )
        elif level == "P":
            within = f", within the threshold for P ({sign} {measured(path, target)})"
            strengths.append(f"The {name} was {shown}{within if target is not None else ''}.")
        else:
            short = f", short of P ({sign} {measured(path, target)})" if target is not None else ""
            areas.append(
                f"The {name} was {shown}{short}: rated {level}, {RATINGS[level].lower()}."  # type: ignore[index]
            )
        if self.effects is None or self.effects.defaults is None:
            return strengths, areas
        reference = measure(self.effects.defaults.metrics, path)
        for single in self.effects.singles:
            theirs = measure(single.metrics, path)
            gain = _gain(theirs, reference, better)
            verdict = _verdict(gain, reference)
            moved = rating(objective, theirs) != rating(objective, reference)
            if not verdict or single.point is None or not (moved or _material(gain, reference)):
                continue
            k = self.number.get(single.point, "?")
            label = self.points[single.point].options[single.option or 0].label
            words = "improved" if verdict == "better" else "worsened"
            text = (
                f"D{k} (“{label}”) {words} the {name}: {measured(path, theirs)} with that "
                f"decision alone against {measured(path, reference)} with no decisions taken."
            )
            (strengths if verdict == "better" else areas).append(text)
        for point in self.effects.chosen:
            options = self.effects.options_at(point)
            room = measure(self.metrics, path)
            scored = [
                (_gain(measure(o.metrics, path), room, better), option, o)
                for option, o in options
                if o is not self.effects.room
            ]
            scored = [
                s
                for s in scored
                if _verdict(s[0], room) == "better"
                and (
                    _material(s[0], room) or rating(objective, measure(s[2].metrics, path)) != level
                )
            ]
            if not scored:
                continue
            _, option, outcome = max(scored, key=lambda s: s[0])
            theirs = measure(outcome.metrics, path)
            k = self.number.get(point, "?")
            label = self.points[point].options[option].label
            improved = rating(objective, theirs)
            rated = f", rated {improved}" if improved != level else ""
            areas.append(
                f"At D{k}, “{label}” would have given a {name} of {measured(path, theirs)}"
                f"{rated}, {change(theirs, room, unit)} (the room's other choices unchanged)."
            )
        return strengths, areas

    # -- decisions -------------------------------------------------------------------------

    def decision_rows(self) -> list[dict[str, Any]]:
        """Per decision taken: its choice, the default, its effect alone, and every option
        open to the room at that point with its outcome (the other choices held)."""
        rows = []
        effects = self.effects
        for k, decision in enumerate(self.decisions, 1):
            point = self.points.get(decision["point"])
            if point is None:
                continue
            row: dict[str, Any] = {
                "number": k,
                "point": point.id,
                "prompt": point.prompt,
                "team": self.teams.get(point.team, point.team) if point.team else "",
                "hour": f"{decision['time_hours']:.1f}",
                "when": self.scenario.calendar_time(decision["time_hours"]),
                "choice": decision["label"],
                "default_label": point.options[point.default].label,
                "is_default": decision["option"] == point.default,
                "alone": None,
                "options": [],
            }
            if effects is not None and effects.defaults is not None:
                reference = effects.defaults.metrics.get(SERVICE)
                single = next((s for s in effects.singles if s.point == point.id), None)
                if row["is_default"]:
                    row["alone"] = {"text": "none: it is the default", "verdict": ""}
                elif single is not None:
                    theirs = single.metrics.get(SERVICE)
                    row["alone"] = {
                        "text": change(theirs, reference, "service-hours"),
                        "verdict": _verdict(_gain(theirs, reference, "lower"), reference),
                        "fired": point.id in single.fired,
                    }
            if effects is not None and point.id in effects.chosen:
                room = self.metrics.get(SERVICE)
                best_option = effects.best_at(point.id)[0]
                for option, outcome in effects.options_at(point.id):
                    theirs = outcome.metrics.get(SERVICE)
                    row["options"].append(
                        {
                            "label": point.options[option].label,
                            "room": outcome is effects.room,
                            "default": option == point.default,
                            "best": option == best_option,
                            "value": quantity(theirs, "service-hours"),
                            "change": ""
                            if outcome is effects.room
                            else change(theirs, room, "service-hours"),
                            "verdict": _verdict(_gain(theirs, room, "lower"), room),
                        }
                    )
            rows.append(row)
        return rows

    def never_fired(self) -> list[dict[str, Any]]:
        """Decision points that never fell due in the room's run, with their trigger."""
        decided = {d["point"] for d in self.decisions}
        runs = self.effects.compared() + list(self.effects.alternatives) if self.effects else []
        found = []
        for point in self.exercise.decision_points:
            if point.id in decided:
                continue
            elsewhere = sum(point.id in o.fired for o in runs if o.kind != "room")
            found.append(
                {
                    "point": point.id,
                    "prompt": point.prompt,
                    "team": self.teams.get(point.team, point.team) if point.team else "",
                    "trigger": _trigger(self.scenario, point),
                    "elsewhere": elsewhere,
                }
            )
        return found

    def kpis(self) -> list[dict[str, Any]]:
        """Per measure (the KPIS, then each objective's): the room's value, and each
        whole-run counterfactual's with the room's difference from it."""
        paths: dict[str, Better] = dict(KPIS)
        for objective in self.exercise.objectives:
            paths.setdefault(objective.measure, objective.better)
        rows = []
        for path, better in paths.items():
            room = measure(self.metrics, path)
            cells = []
            for _, other in self.compared:
                theirs = measure(other, path)
                cells.append(
                    {
                        "value": measured(path, theirs),
                        "difference": change(room, theirs, unit_of(path)),
                        "verdict": _verdict(_gain(room, theirs, better), theirs),
                    }
                )
            rows.append(
                {
                    "title": self.name(path),
                    "path": path,
                    "room": measured(path, room),
                    "cells": cells,
                }
            )
        return rows

    def bars(self) -> list[tuple[str, float, str]]:
        """The choices chart: the room, no decisions, no action, each decision alone, every
        other option measured at each point (the room's choices elsewhere), and the best
        options together."""
        effects = self.effects
        if effects is None:
            return []
        found: list[tuple[str, float, str]] = [
            ("The room's decisions", effects.room.metrics[SERVICE], "room")
        ]
        if effects.nothing is not None:
            found.append(("No action at any point", effects.nothing.metrics[SERVICE], "reference"))
        for single in effects.singles:
            k = self.number.get(single.point or "", "?")
            label = self.points[single.point or ""].options[single.option or 0].label
            found.append((f"Only D{k}: {label}", single.metrics[SERVICE], "option"))
        for point in effects.chosen:
            k = self.number.get(point, "?")
            found += [
                (
                    f"D{k} instead: {self.points[point].options[option].label}",
                    outcome.metrics[SERVICE],
                    "option",
                )
                for option, outcome in effects.options_at(point)
                if outcome is not effects.room
            ]
        if effects.together is not None:
            found.append(
                (
                    "Best option at every point, together",
                    effects.together.metrics[SERVICE],
                    "option",
                )
            )
        return found

    def facilitator(self) -> list[dict[str, Any]]:
        """Each decision point with its trigger and its options' engine actions."""
        return [
            {
                "point": point.id,
                "trigger": _trigger(self.scenario, point),
                "options": [
                    {
                        "number": k,
                        "label": option.label,
                        "default": k - 1 == point.default,
                        "actions": "; ".join(map(_action_text, option.actions)) or "no action",
                    }
                    for k, option in enumerate(point.options, 1)
                ],
            }
            for point in self.exercise.decision_points
        ]

    def runs(self) -> list[dict[str, Any]]:
        """The counterfactual runs, for the facilitator: what each chose and what fell due."""
        if self.effects is None:
            return []
        effects = self.effects
        every: list[Outcome] = [*effects.compared(), *effects.singles, *effects.alternatives]
        return [
            {
                "label": o.label,
                "choices": ", ".join(f"{p}={k + 1}" for p, k in o.choices.items()) or "defaults",
                "fired": ", ".join(o.fired) or "none",
                "service": quantity(o.metrics.get(SERVICE), "service-hours"),
            }
            for o in every
        ]


def _figures(report: Report, decisions: list[dict[str, Any]], title: str) -> dict[str, bytes]:
    effects = report.effects
    if effects is None or effects.room.records is None:
        return {}
    reference = effects.defaults.records if effects.defaults is not None else None
    marks = [(k, d["time_hours"]) for k, d in enumerate(decisions, 1)]
    impact = impact_over_time(report.scenario, effects.room.records, reference, marks, title)
    found = {"impact": impact["aar_impact.png"]}
    bars = report.bars()
    if len(bars) > 1:
        title = "Service-hours lost: the room against the choices open to it"
        baseline = (effects.defaults or effects.room).metrics[SERVICE]  # room: all defaults
        chart = choices_bars(bars, baseline, title)
        found["choices"] = chart["aar_choices.png"]
    return found


def aar_report(
    scenario: Scenario,
    metrics: dict[str, Any],
    events: Sequence[tuple[Any, ...]],
    decisions: list[dict[str, Any]],
    counterfactuals: Effects | Mapping[str, dict[str, Any]] | None,
    provenance: dict[str, Any],
    figures: dict[str, bytes] | None = None,
    undone: list[dict[str, Any]] | None = None,
    notes: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """The AAR/IP as UTF-8 HTML. `events` are the room run's rows (EVENT_COLUMNS order);
    `decisions` have keys point, option, label, time_hours, wall_clock, source;
    `counterfactuals` are the decisions' effects (`decision_effects`, whose room run carries
    its records: then the report draws its charts), or a mapping of labels to other runs'
    metrics on the same seed. `figures` (caption: PNG) are added at the end."""
    exercise = scenario.exercise
    if exercise is None:
        raise ValueError(f"scenario {scenario.name!r} has no exercise")
    effects = counterfactuals if isinstance(counterfactuals, Effects) else None
    others = [] if effects is not None else list((counterfactuals or {}).items())
    report = Report(scenario, metrics, decisions, effects, others)
    entries, undelivered = timeline(scenario, [Row(*e) for e in events], decisions)
    objectives = report.objectives()
    charts = _figures(report, decisions, f"{exercise.title}: service lost in the room's run")
    landed = sorted({e["campaign"] for e in entries if e["category"] == "impact" and e["campaign"]})
    plan = [
        {"objective": o, "issue": area, "team": o["team"]}
        for o in objectives
        for area in o["areas"]
    ]
    room = metrics.get(SERVICE)
    reference = effects.defaults.metrics.get(SERVICE) if effects and effects.defaults else None
    html = render(
        "aar.html.j2",
        scenario=scenario,
        exercise=exercise,
        teams=report.teams,
        countries={c.id: c.name or c.id for c in scenario.countries},
        campaigns={c.id: c.name for c in scenario.campaigns},
        landed=landed,
        timeline=entries,
        undelivered=undelivered,
        compared=[label for label, _ in report.compared],
        kpis=report.kpis(),
        objectives=objectives,
        decisions=report.decision_rows(),
        never_fired=report.never_fired(),
        facilitator=report.facilitator(),
        runs=report.runs(),
        left_out=effects.left_out if effects else 0,
        summary={
            "room": quantity(room, "service-hours"),
            "reference": quantity(reference, "service-hours") if reference is not None else None,
            "change": change(room, reference, "service-hours"),
            "verdict": _verdict(_gain(room, reference, "lower"), reference),
        },
        participation=participation(exercise),
        plan=plan,
        ratings=RATINGS,
        charts={k: base64.b64encode(v).decode() for k, v in charts.items()},
        figures={name: base64.b64encode(data).decode() for name, data in (figures or {}).items()},
        provenance=provenance,
        undone=undone or [],
        notes=list(notes),
        conducted=" to ".join(
            dict.fromkeys(d["wall_clock"][:10] for d in decisions if d.get("wall_clock"))
        ),
        digest=scenario.digest(),
    )
    return html.encode()
