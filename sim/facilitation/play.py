"""The facilitator's console: injects as they fall due, pauses, the room's decisions, the
status board, jumping ahead, undo (re-simulate from the start with the decisions so far) and
save-and-quit. Input and output go through two functions, so any terminal or test can drive it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.exercise import Delivered, run_exercise, status_board
from ..engine.records import Records, Row
from ..engine.world import World
from ..schema.exercise import DecisionPoint, Move
from ..schema.scenario import Scenario
from .decisions import Decision, Recorder
from .feed import Feed, FeedLine

PAUSE = (
    "[Enter] continue · s status · j HOURS jump to that hour (stops at news) · u undo last "
    "decision · q save and quit"
)


GATHER_HOURS = 1e-6
"""The feed shows what happened at one instant together, a few milliseconds of simulated time
later (the engine and the records are not touched)."""


class Undo(Exception):
    """The facilitator undoes the last decision."""


class SaveAndQuit(Exception):
    """The facilitator stops the exercise to resume later (args: the scenario hour)."""


@dataclass(frozen=True)
class Console:
    """How the play loop talks to the facilitator."""

    ask: Callable[[str], str]
    say: Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    """How a session ended: the records if it ran to the end (None if saved to resume), the
    decisions taken, the scenario hour it stopped at, and the decisions undone on the way."""

    records: Records | None
    decisions: list[Decision]
    stopped_at: float
    undone: list[Decision]


def _clock(scenario: Scenario, hours: float) -> str:
    return f"{hours:6.1f} h · {scenario.calendar_time(hours)}"


def describe_inject(scenario: Scenario, delivered: Delivered) -> str:
    """An inject as the room hears it; a warning, for the facilitator, when the fact its
    message takes for granted has not happened in this run."""
    inject = delivered.inject
    lines = [
        f"[{_clock(scenario, delivered.time)}] inject #{inject.sequence} "
        f"({inject.type}, by {inject.method})",
        f"  {inject.sender} → {inject.recipient}: {delivered.message}",
    ]
    if inject.expected_action:
        lines.append(f"  expected: {inject.expected_action}")
    if delivered.premise_held is False and inject.premise is not None:
        lines.append(
            f"  (facilitator) not so in this run: {inject.premise.describe()} has not "
            "happened. Adapt or skip this inject."
        )
    return "\n".join(lines)


def _action_text(action: Any) -> str:
    fields = action.model_dump(exclude={"action"}, exclude_defaults=True, by_alias=True)
    shown = {k: ", ".join(v) if isinstance(v, tuple) else v for k, v in fields.items()}
    return f"{action.action}({', '.join(f'{k}={v}' for k, v in shown.items())})"


def describe_point(scenario: Scenario, point: DecisionPoint, now: float) -> str:
    """A decision point with its numbered options and what each does."""
    who = f" for {point.team}" if point.team else ""
    lines = [f"[{_clock(scenario, now)}] DECISION {point.id}{who}: {point.prompt}"]
    for k, option in enumerate(point.options, 1):
        default = "  (default)" if k - 1 == point.default else ""
        lines.append(f"  {k}. {option.label}{default}")
        if option.actions:  # what the engine does, for the facilitator's eyes
            lines.append(f"       facilitator: {'; '.join(map(_action_text, option.actions))}")
    return "\n".join(lines)


def describe_board(board: dict[str, Any]) -> str:
    """The status board as text."""

    def counts(values: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in values.items()) or "none"

    lines = [
        f"STATUS at {board['time_hours']:.1f} h",
        f"  assets down by sector:  {counts(board['down_by_sector'])}",
        f"  assets down by country: {counts(board['down_by_country'])}",
        "  open incidents: "
        + (
            "; ".join(
                f"{i['incident']} ({i['country']}, {i['severity']})"
                for i in board["open_incidents"]
            )
            or "none"
        ),
    ]
    for country, q in board["csirts"].items():
        lines.append(
            f"  CSIRT {country}: {q['busy']}/{q['analysts']} analysts busy, {q['waiting']} "
            "tasks waiting (routine work included)"
        )
    return "\n".join(lines)


class Room:
    """One pass of the exercise with the room deciding; raises Undo or SaveAndQuit."""

    def __init__(
        self, scenario: Scenario, console: Console, recorded: list[Decision], quiet_until: float
    ) -> None:
        self.scenario, self.console, self.quiet_until = scenario, console, quiet_until
        self.recorder = Recorder(recorded, self._choose, "room")
        self.jump_to = -1.0
        self.feed = Feed(scenario)
        self.pending: list[FeedLine] = []

    def _quiet(self, world: World) -> bool:
        return self.recorder.replaying or world.env.now <= self.quiet_until

    def _command(self, answer: str, world: World) -> bool:
        """Handle a facilitator command; True if it was one."""
        if answer == "s":
            self.console.say(describe_board(status_board(world)))
        elif answer == "u":
            if self.recorder.taken:
                raise Undo
            self.console.say("Nothing to undo yet.")
        elif answer == "q":
            raise SaveAndQuit(world.env.now)
        else:
            return False
        return True

    def deliver(self, delivered: Delivered, world: World) -> None:
        """Show an inject and pause, unless replaying or jumping ahead."""
        if self._quiet(world):
            return
        self.console.say(describe_inject(self.scenario, delivered))
        if world.env.now < self.jump_to:
            return
        self._pause(world)

    def watch(self, world: World) -> None:
        """Follow the run's records: each instant's feed lines are shown together."""

        def heard(row: Row) -> None:
            line = self.feed.line(row)
            if line is None or self._quiet(world):
                return
            if not self.pending:  # gather the whole instant, whichever process logs last
                gathered = world.env.timeout(GATHER_HOURS)
                gathered.callbacks.append(lambda _event: self._situation(world))
            self.pending.append(line)

        world.records.listeners.append(heard)

    def _situation(self, world: World) -> None:
        """Show the feed lines of this instant and pause; a jump ahead stops here."""
        lines, self.pending = self.pending, []
        self.console.say(f"[{_clock(self.scenario, lines[0].time)}] SITUATION")
        self.console.say(self.feed.block(lines))
        self.jump_to = -1.0
        self._pause(world)

    def _pause(self, world: World) -> None:
        """Wait for the facilitator: go on, jump ahead, or a command."""
        while True:
            answer = self.console.ask(PAUSE).strip().lower()
            if answer in ("", "c"):
                return
            if answer.startswith("j"):
                try:
                    target = float(answer[1:])
                except ValueError:
                    target = math.nan
                if not world.env.now < target <= self.scenario.duration_hours:
                    self.console.say(
                        f"Jump to a scenario hour after {world.env.now:g} and up to "
                        f"{self.scenario.duration_hours:g}, e.g. j 48."
                    )
                    continue
                self.jump_to = target
                return
            if not self._command(answer, world):
                self.console.say(f"Unknown command '{answer}'.")

    def _choose(self, point: DecisionPoint, world: World) -> int:
        self.console.say(describe_point(self.scenario, point, world.env.now))
        while True:
            answer = (
                self.console.ask(
                    f"Option 1–{len(point.options)} [Enter: {point.default + 1}] · s status · "
                    "u undo · q save and quit"
                )
                .strip()
                .lower()
            )
            if not answer:
                return point.default
            if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= len(point.options):
                return int(answer) - 1
            if not self._command(answer, world):
                self.console.say(f"Choose a number from 1 to {len(point.options)}.")


def play(
    scenario: Scenario,
    seed: int,
    console: Console,
    recorded: list[Decision] | None = None,
    stopped_at: float = -1.0,
    undone: list[Decision] | None = None,
    moves: Sequence[Move] = (),
) -> Outcome:
    """Run the exercise with the room deciding, starting again (with the same seed and the
    decisions so far) after each undo; `recorded`, `stopped_at` and `undone` resume a saved
    session; `moves` (a served room's) are taken at their hours."""
    decisions, quiet_until, dropped = list(recorded or []), stopped_at, list(undone or [])
    while True:
        room = Room(scenario, console, decisions, quiet_until)
        try:
            records = run_exercise(
                scenario, seed, room.recorder, room.deliver, watch=room.watch, moves=moves
            )
        except Undo:
            last = room.recorder.taken.pop()
            dropped.append(last)
            decisions, quiet_until = room.recorder.taken, last.time_hours
            console.say(f"Undone: '{last.label}' at {last.time_hours:.1f} h. Re-simulating.")
            continue
        except SaveAndQuit as stop:
            return Outcome(None, room.recorder.taken, max(quiet_until, stop.args[0]), dropped)
        end = _clock(scenario, scenario.duration_hours)
        console.say(f"[{end}] END of the exercise: the simulation has run its course.")
        return Outcome(records, room.recorder.taken, scenario.duration_hours, dropped)
