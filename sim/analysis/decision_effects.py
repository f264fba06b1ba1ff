"""What each option of an exercise does, over paired replications: every option other than
its point's default, taken alone (every other point at its default), against every point at
its default, on the same random numbers. Actions draw no random numbers, so each difference
is the option's own effect. The verdict compares it with the effect the scenario expects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engine import kinds
from ..engine.exercise import run_exercise
from ..engine.records import Records
from ..engine.topology import build_topology
from ..schema.exercise import DecisionPoint, Option
from ..schema.scenario import Scenario
from .metrics import METRICS

MEASURE = "service_hours_lost"


@dataclass(frozen=True)
class OptionEffect:
    """One option's change in service-hours lost against all defaults, per replication."""

    point: DecisionPoint
    number: int
    changes: tuple[float, ...]
    fired: int
    """Replications in which the point fell due (elsewhere the option cannot act)."""
    reference: float
    """Mean loss with every point at its default."""

    @property
    def option(self) -> Option:
        return self.point.options[self.number]

    @property
    def mean(self) -> float:
        return float(np.mean(self.changes))

    @property
    def lower(self) -> int:
        return sum(change < 0 for change in self.changes)

    @property
    def higher(self) -> int:
        return sum(change > 0 for change in self.changes)

    @property
    def measured(self) -> str:
        """lower, higher or none: the sign of the mean change (none: no seed changed)."""
        if not self.lower and not self.higher:
            return "none"
        return "lower" if self.mean < 0 else "higher"

    def verdict(self) -> str:
        """How the measured effect compares with `expect`, in words."""
        expected = self.option.expect
        if expected is None:
            return "no expectation stated"
        if self.fired == 0:
            return "not resolved: the point never fell due"
        if expected == self.measured:
            return "as expected"
        if self.measured == "none":
            return "not resolved: no run changed"
        return f"NOT as expected ({expected})"

    def contradicts(self) -> bool:
        """Whether the measure goes against `expect` (a run changed where none should, or
        the mean moved the other way), rather than merely not showing it."""
        return self.verdict().startswith("NOT")


def decision_effects(
    scenario: Scenario,
    seed: int,
    replications: int,
    progress: Callable[[], None] = lambda: None,
) -> list[OptionEffect]:
    """Each non-default option of `scenario`'s exercise, measured over `replications` of the
    root `seed` (`runs_per_replication` runs each; `progress` is called after every run)."""
    seeds = range(replications)
    scenario = scenario.as_exercised()
    exercise = scenario.exercise
    if exercise is None:
        return []
    topology = build_topology(scenario)

    def run(choice: dict[str, int], replication: int) -> Records:
        records = run_exercise(
            scenario,
            seed,
            lambda p, w: choice.get(p.id, p.default),
            replication=replication,
            topology=topology,
        )
        progress()
        return records

    defaults = [run({}, r) for r in seeds]
    base = [METRICS[MEASURE](scenario, r) for r in defaults]
    effects = []
    for point in exercise.decision_points:
        tag = f"decision:{point.id}"
        fired = sum(
            any(row.kind == kinds.DECISION and row.incident == tag for row in r.events)
            for r in defaults
        )
        for number in range(len(point.options)):
            if number == point.default:
                continue
            losses = [METRICS[MEASURE](scenario, run({point.id: number}, seed)) for seed in seeds]
            changes = tuple(loss - b for loss, b in zip(losses, base, strict=True))
            effects.append(OptionEffect(point, number, changes, fired, float(np.mean(base))))
    return effects


def runs_per_replication(scenario: Scenario) -> int:
    """Runs `decision_effects` makes per replication: the defaults, and each other option."""
    exercise = scenario.exercise
    if exercise is None:
        return 0
    return 1 + sum(len(p.options) - 1 for p in exercise.decision_points)
