"""What else the room could have done in a played exercise, measured on the same scenario and
seed: no decisions (every point left at its default), no action at all, each of the room's
decisions alone, and every other option at each point with the room's choices elsewhere.

Actions draw no random numbers, so two runs that differ only in the options taken differ only
through those options: the differences are the decisions' effects, not luck. Effects need not
add up (a decision can change when a later point fires, or what it can still change)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..engine import kinds
from ..engine.exercise import run_exercise
from ..engine.records import Records
from ..engine.world import run_replication
from ..schema.exercise import DecisionPoint, Move
from ..schema.scenario import Scenario
from .metrics import compute_metrics

MAX_RUNS = 40
"""At most this many counterfactual runs per report (each one replication, about 0.05-0.3 s
on the bundled scenarios); alternatives beyond it are left out and counted."""

Kind = Literal["room", "defaults", "nothing", "single", "alternative", "together"]


@dataclass(frozen=True)
class Outcome:
    """One run on the room's seed: what was chosen, which points fired, and its metrics."""

    kind: Kind
    label: str
    """What was chosen, in words."""
    choices: dict[str, int]
    """Options taken by point id; any other point took its default (`nothing`: no action)."""
    metrics: dict[str, Any]
    fired: tuple[str, ...]
    """The decision points that fell due in this run, in order."""
    records: Records | None = field(default=None, repr=False, compare=False)
    point: str | None = None
    """For `single` and `alternative`: the point whose option differs from the reference."""
    option: int | None = None


@dataclass(frozen=True)
class Effects:
    """The room's run beside its counterfactuals (all on one seed), and the alternatives that
    the run cap left out."""

    room: Outcome
    chosen: dict[str, int]
    """The room's option at each point it decided."""
    defaults: Outcome | None = None
    nothing: Outcome | None = None
    singles: tuple[Outcome, ...] = ()
    alternatives: tuple[Outcome, ...] = ()
    together: Outcome | None = None
    left_out: int = 0

    def options_at(self, point: str) -> list[tuple[int, Outcome]]:
        """(option, run) of the room's choice and each alternative measured at `point` (the
        other points held at the room's choices), by option number."""
        runs = [
            (a.option, a) for a in self.alternatives if a.point == point and a.option is not None
        ]
        return sorted([(self.chosen[point], self.room), *runs], key=lambda pair: pair[0])

    def best_at(self, point: str, key: str = "service_hours_lost") -> tuple[int, Outcome]:
        """Of the options measured at `point`, the one that loses least by `key` (the room's
        own choice on a tie)."""
        return min(
            self.options_at(point),
            key=lambda pair: (_value(pair[1].metrics, key), pair[1] is not self.room),
        )

    def compared(self) -> list[Outcome]:
        """The whole-run comparisons: the room, no decisions, no action, the best options
        together (those that ran)."""
        return [o for o in (self.room, self.defaults, self.nothing, self.together) if o]


def _value(metrics: Mapping[str, Any], key: str) -> float:
    value = metrics.get(key)
    return float("inf") if value is None else float(value)


def _fired(records: Records) -> tuple[str, ...]:
    return tuple(
        row.incident.removeprefix("decision:")
        for row in records.events
        if row.kind == kinds.DECISION
    )


def outcome_of(
    scenario: Scenario,
    seed: int,
    choices: Mapping[str, int],
    kind: Kind,
    label: str,
    moves: Sequence[Move] = (),
    **about: Any,
) -> Outcome:
    """Run `scenario` with its exercise on `seed`, taking `choices[point]` where given and
    each other point's default, and the teams' `moves` at their hours."""

    def choose(point: DecisionPoint, _world: Any) -> int:
        option = choices.get(point.id, point.default)
        return option if 0 <= option < len(point.options) else point.default

    records = run_exercise(scenario, seed, choose, moves=moves)
    metrics = compute_metrics(scenario, records)
    return Outcome(kind, label, dict(choices), metrics, _fired(records), records, **about)


def _label(point: DecisionPoint, option: int) -> str:
    return f"{point.id}: {point.options[option].label}"


def decision_effects(
    scenario: Scenario,
    seed: int,
    chosen: Mapping[str, int],
    room_metrics: Mapping[str, Any],
    room_records: Records | None = None,
    *,
    max_runs: int = MAX_RUNS,
    moves: Sequence[Move] = (),
) -> Effects:
    """The counterfactuals of a room that took `chosen` (option by point id) in a run of
    `scenario` (its exercise included, any variant applied) on `seed`:

    - defaults: every point at its default ("no decisions taken");
    - nothing: the simulation with no action at any point (only when some default acts);
    - singles: each of the room's choices that differs from its point's default, alone;
    - alternatives: each other option at each point the room decided, the room's choices
      held elsewhere (the best of them is the best option open to the room there);
    - together: the best option found at every point at once (when it differs from the
      room's choices; not necessarily the best combination).

    Every run but "nothing" takes the room's `moves` (a served room's teams' actions outside
    decision points) as the room did. At most `max_runs` runs; alternatives beyond the cap
    are counted in `left_out`."""
    exercise = scenario.exercise
    points = {p.id: p for p in (exercise.decision_points if exercise else ())}
    chosen = {p: o for p, o in chosen.items() if p in points}
    room = Outcome(
        "room",
        "the room's decisions",
        dict(chosen),
        dict(room_metrics),
        tuple(chosen),
        room_records,
    )
    budget = max_runs

    def run(choices: Mapping[str, int], kind: Kind, label: str, **about: Any) -> Outcome | None:
        nonlocal budget
        if budget <= 0:
            return None
        budget -= 1
        return outcome_of(scenario, seed, choices, kind, label, moves, **about)

    defaults = run({}, "defaults", "no decisions taken (every point left at its default)")
    nothing = None
    if any(points[p].options[points[p].default].actions for p in points) and budget > 0:
        budget -= 1
        records = run_replication(scenario, seed=seed)
        metrics = compute_metrics(scenario, records)
        nothing = Outcome("nothing", "no action at any point", {}, metrics, (), records)
    singles = []
    for p, option in chosen.items():
        if option != points[p].default:
            single = run(
                {p: option}, "single", f"only {_label(points[p], option)}", point=p, option=option
            )
            if single:
                singles.append(single)
    alternatives, wanted = [], 0
    for p, taken in chosen.items():
        for option in range(len(points[p].options)):
            if option == taken:
                continue
            wanted += 1
            choices = chosen | {p: option}
            other = run(choices, "alternative", _label(points[p], option), point=p, option=option)
            if other:
                alternatives.append(other)
    found = dict(
        room=room,
        chosen=dict(chosen),
        defaults=defaults,
        nothing=nothing,
        singles=tuple(singles),
        alternatives=tuple(alternatives),
        left_out=wanted - len(alternatives),
    )
    effects = Effects(**found)
    best = {p: effects.best_at(p)[0] for p in chosen}
    if sum(best[p] != chosen[p] for p in chosen) > 1:
        together = run(best, "together", "the best option at every point, together")
        if together:
            effects = Effects(**found, together=together)
    return effects
