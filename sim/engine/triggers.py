"""Waiting for simulated facts: the event that a trigger of the exercise first holds.

A trigger watches the event log as rows are written (`Records.listeners`), so it fires at
the simulated instant of the fact, with the row that showed it; a major event's window opens
at its scheduled hour. Watching draws no random numbers and changes no record.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from ..schema.defenders import LEVELS
from ..schema.exercise import Trigger
from . import kinds
from .records import Row
from .world import World

ASSISTANCE = {
    "requested": kinds.ASSISTANCE_REQUESTED,
    "answered": kinds.ASSISTANCE_ANSWERED,
    "arrived": kinds.ASSISTANCE_ARRIVED,
}
"""The row that shows each step of assistance."""


def _matcher(world: World, trigger: Trigger) -> Callable[[Row], bool]:
    """Whether a row shows `trigger`'s fact (ignoring its country)."""
    fact, value = trigger.fact, getattr(trigger, trigger.fact)
    if fact == "first_incident_at_least":
        floor = LEVELS.index(value)
        return lambda row: row.kind == kinds.TRIAGED and LEVELS.index(row.detail) >= floor  # type: ignore[arg-type]
    if fact == "asset_down":
        return lambda row: row.kind == kinds.ASSET_DOWN and row.asset == value
    if fact == "sector_down":
        sector = {a.id: a.sector for a in world.scenario.assets}
        return lambda row: row.kind == kinds.ASSET_DOWN and sector.get(row.asset) == value
    if fact == "indicators_received":
        return lambda row: row.kind == kinds.INDICATORS_RECEIVED
    if fact == "assistance":
        return lambda row: row.kind == ASSISTANCE[value]
    kind = {
        "campaign_reached": kinds.STAGE_SUCCESS,
        "campaign_detected": kinds.DETECTED,
        "campaign_impact": kinds.IMPACT,
    }[fact]
    return lambda row: row.kind == kind and row.campaign == value


def fact_holds(world: World, trigger: Trigger) -> simpy.Event:
    """The event that `trigger`'s fact first holds, valued (hour, row that showed it; None
    for a window opening); started now, so facts before now are not seen."""
    event = world.env.event()
    if trigger.fact == "window_opens":
        major = next(e for e in world.scenario.events if e.id == trigger.window_opens)
        window = next(w for w in major.windows if trigger.window in (None, w.name))
        opening = world.env.timeout(max(0.0, window.start_hours - world.env.now))
        opening.callbacks.append(lambda _event: event.succeed((world.env.now, None)))
        return event
    shows = _matcher(world, trigger)

    def watch(row: Row) -> None:
        if event.triggered or trigger.country not in (None, row.country) or not shows(row):
            return
        event.succeed((row.time, row))
        world.records.listeners.remove(watch)

    world.records.listeners.append(watch)
    return event


def when_due(
    world: World, trigger: Trigger, not_before: float = 0.0
) -> Generator[simpy.Event, None, Row | None]:
    """Wait (in a SimPy process) until `trigger`'s fact has held for its `after_hours`, and
    not before hour `not_before`; the row that showed the fact. Facts from now on count."""
    fact = fact_holds(world, trigger)
    if not_before > world.env.now:
        yield world.env.timeout(not_before - world.env.now)
    hour, row = yield fact
    due = max(world.env.now, hour + trigger.after_hours)
    if due > world.env.now:
        yield world.env.timeout(due - world.env.now)
    return row
