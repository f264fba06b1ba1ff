"""A facilitated replication: injects fall due, decision points ask a chooser, and the chosen
options act on the engine. Whoever chooses (the room, a decisions file, a policy) is outside.

Actions draw no random numbers, so the same decisions at the same points give the same
records, and an exercise whose options do nothing leaves the engine's own records untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from ..schema.exercise import (
    ActivateBackup,
    DecisionPoint,
    Inject,
    Isolate,
    Move,
    RaiseAlert,
    RequestAssistance,
    ShareIndicators,
    Statement,
)
from ..schema.scenario import Scenario
from . import kinds
from .compiled_cascade import Cascade
from .infrastructure import DOWN
from .records import Records, Row
from .topology import Topology
from .triggers import fact_holds, when_due
from .world import World, build_world

Chooser = Callable[[DecisionPoint, World], int]
"""Returns the index of the option taken at a decision point (it may block for input)."""
Deliver = Callable[["Delivered", World], None]
"""Shows an inject to the players as it falls due."""


Handler = Callable[[World, Any, str], None]
"""Applies one action of a chosen option to the world, at the current simulated time; the
tag (`decision:ID`) labels its log rows."""


def _log(world: World, kind: str, tag: str, **fields: Any) -> None:
    world.records.log(world.env.now, kind, incident=tag, **fields)


def _after(world: World, hours: float, then: Callable[[], None]) -> None:
    timer = world.env.timeout(hours)
    timer.callbacks.append(lambda _event: then())


def share_indicators(world: World, action: ShareIndicators, tag: str) -> None:
    """The country shares the indicators of every campaign it has seen or holds any of with
    `to` (default: the network's other members, or every other country)."""
    campaigns = sorted(
        world.response.seen(action.country)
        | {c for c in world.indicators.of_campaign if world.indicators.share(action.country, c)}
    )
    members = world.response.members or [c.id for c in world.scenario.countries]
    recipients = action.to or tuple(m for m in members if m != action.country)
    for campaign in campaigns or [""]:  # a share of nothing is still on record
        _log(world, kinds.INDICATORS_SHARED, tag, country=action.country, campaign=campaign)
    for member in recipients:
        for campaign in campaigns:
            if world.indicators.learn(member, campaign):
                _log(world, kinds.INDICATORS_RECEIVED, tag, country=member, campaign=campaign)


def request_assistance(world: World, action: RequestAssistance, tag: str) -> None:
    """The helper's CSIRT lends what analysts it can spare to the country's."""
    if action.helper not in world.response.csirts or action.country not in world.response.csirts:
        missing = action.helper if action.helper not in world.response.csirts else action.country
        _log(world, kinds.ASSISTANCE_REFUSED, tag, country=missing, detail="no CSIRT")
        return
    _log(world, kinds.ASSISTANCE_REQUESTED, tag, country=action.country, detail=action.helper)
    arrival, hours = action.arrival_hours, action.hours
    if world.response.lend(action.helper, action.country, action.analysts, arrival, hours, tag):
        _log(world, kinds.ASSISTANCE_ANSWERED, tag, country=action.helper, value=arrival)


def isolate(world: World, action: Isolate, tag: str) -> None:
    """Take the asset offline for `hours`: fully down, intrusions into it contained, no stage
    or spread reaching it meanwhile."""
    i = world.infra.index[action.asset]
    country = world.infra.assets[i].country
    world.adversary.isolate(i, world.env.now + action.hours)
    world.infra.set_damage(i, ("isolation", tag), 1.0)
    _log(world, kinds.ISOLATED, tag, country=country, asset=action.asset, value=action.hours)
    for incident in world.adversary.incidents_on(i):
        world.adversary.contain(incident.id)

    def end() -> None:
        world.infra.set_damage(i, ("isolation", tag), 0.0)
        _log(world, kinds.ISOLATION_END, tag, country=country, asset=action.asset)

    _after(world, action.hours, end)


def raise_alert(world: World, action: RaiseAlert, tag: str) -> None:
    """For `hours`, the sector's assets (in the country, or everywhere), or the named assets,
    gain monitoring and lose a little service."""
    chosen = [
        i
        for i, a in enumerate(world.infra.assets)
        if (a.id in action.assets or a.sector == action.sector)
        and action.country in (None, a.country)
    ]
    for i in chosen:
        world.adversary.add_monitoring(i, action.monitoring_bonus)
        world.infra.set_damage(i, ("alert", tag), action.degradation)
    detail = f"{_alerted(world, action)}: {len(chosen)} assets for {action.hours:g} h"
    _log(world, kinds.ALERT_RAISED, tag, country=action.country or "", detail=detail)

    def end() -> None:
        for i in chosen:
            world.adversary.add_monitoring(i, -action.monitoring_bonus)
            world.infra.set_damage(i, ("alert", tag), 0.0)
        _log(world, kinds.ALERT_END, tag, country=action.country or "", detail=detail)

    _after(world, action.hours, end)


NAMED = 3
"""The most assets an alert's row names before saying how many more."""


def _alerted(world: World, action: RaiseAlert) -> str:
    """What an alert covers, in words: a sector where it applies, or the assets by name."""
    if action.sector is not None:
        country = next((c for c in world.scenario.countries if c.id == action.country), None)
        where = "every country" if country is None else country.name or country.id
        return f"the {action.sector.replace('_', ' ')} sector in {where}"
    names = [world.scenario.assets[world.infra.index[a]].name or a for a in action.assets]
    more = len(names) - NAMED
    return ", ".join(names[:NAMED]) + (f" and {more} more" if more > 0 else "")


def activate_backup(world: World, action: ActivateBackup, tag: str) -> None:
    """A fresh backup at the asset masks supply losses for `hours`."""
    i = world.infra.index[action.asset]
    world.infra.activate_backup(i, action.hours)
    country = world.infra.assets[i].country
    _log(
        world, kinds.BACKUP_ACTIVATED, tag, country=country, asset=action.asset, value=action.hours
    )


def statement(world: World, action: Statement, tag: str) -> None:
    """A public statement: recorded, nothing else."""
    _log(world, kinds.PUBLIC_STATEMENT, tag, detail=action.text)


ACTIONS: dict[str, Handler] = {
    "share_indicators": share_indicators,
    "request_assistance": request_assistance,
    "isolate": isolate,
    "raise_alert": raise_alert,
    "activate_backup": activate_backup,
    "statement": statement,
}
"""The handler of each action an option may take, by its `action` name (ACTION_KINDS)."""


@dataclass(frozen=True)
class Delivered:
    """An inject as it falls due: its message with what fired it filled in, the row that
    showed the fact (None for one delivered by time or a window opening), and whether its
    premise has held by now (None: it has none)."""

    inject: Inject
    time: float
    message: str
    cause: Row | None = None
    premise_held: bool | None = None
    translated: dict[str, str] = field(default_factory=dict)
    """The message in each language the inject is translated into, filled in likewise."""


def _fields(world: World, time: float, cause: Row | None) -> dict[str, str]:
    """What a triggered message may name, from the row that fired it: `{time}` is when the
    fact happened (an inject delivered `after_hours` later still dates it truly), or `time`
    for an inject that no row fired."""
    fields = {"time": world.scenario.calendar_time(time if cause is None else cause.time)}
    if cause is not None:
        names = {a.id: a.name for a in world.scenario.assets}
        names |= {c.id: c.name for c in world.scenario.countries}
        names |= {c.id: c.name for c in world.scenario.campaigns}
        for field in ("asset", "country", "campaign"):
            value = getattr(cause, field)
            if value:
                fields[field], fields[f"{field}_name"] = value, names.get(value, value)
    return fields


def _inject(world: World, inject: Inject, deliver: Deliver) -> Generator[simpy.Event, None, None]:
    premise = None if inject.premise is None else fact_holds(world, inject.premise)
    cause = None
    if inject.when is None:
        yield world.env.timeout(inject.time_hours)  # started at hour 0
    else:
        cause = yield from when_due(world, inject.when, inject.time_hours)
    now = world.env.now
    fields = _fields(world, now, cause)
    message = inject.render(fields)
    translated = {language: inject.render(fields, language) for language in inject.translations}
    held = None if premise is None else premise.triggered
    world.records.log(
        now,
        kinds.INJECT,
        incident=f"inject:{inject.sequence}",
        value=inject.sequence,
        detail=message,
    )
    deliver(Delivered(inject, now, message, cause, held, translated), world)


def _decide(
    world: World, point: DecisionPoint, choose: Chooser
) -> Generator[simpy.Event, None, None]:
    if point.at_hours is not None:
        yield world.env.timeout(point.at_hours)
    else:
        assert point.when is not None
        yield from when_due(world, point.when)
    option = choose(point, world)
    tag = f"decision:{point.id}"
    chosen = point.options[option]
    world.records.log(
        world.env.now, kinds.DECISION, incident=tag, value=option, detail=chosen.label
    )
    for action in chosen.actions:
        ACTIONS[action.action](world, action, tag)


def take_move(world: World, move: Move, number: int) -> None:
    """Apply the `number`-th move of the exercise now, logged under the tag `move:NUMBER`."""
    tag = f"move:{number}"
    _log(world, kinds.MOVE, tag, country=move.country, detail=move.label)
    for action in move.actions:
        ACTIONS[action.action](world, action, tag)


def _move(world: World, move: Move, number: int) -> Generator[simpy.Event, None, None]:
    yield world.env.timeout(move.time_hours)
    take_move(world, move, number)


def run_exercise(
    scenario: Scenario,
    seed: int,
    choose: Chooser,
    deliver: Deliver = lambda inject, world: None,
    replication: int = 0,
    topology: Topology | None = None,
    watch: Callable[[World], None] | None = None,
    moves: Sequence[Move] = (),
    cascade: Cascade = "python",
) -> Records:
    """Run one replication of `scenario` with its exercise: injects are logged and delivered
    as they fall due (before decisions at the same hour), each decision point, once due,
    takes the option `choose` returns, and each of `moves` is taken at its hour (moves are
    numbered from 1 in order). Exceptions raised by `choose`, `deliver` or what `watch`
    starts stop the run and propagate (that is how a player quits or undoes).
    `topology` and `cascade`: as for `build_world`. `watch` is called with the world before it
    runs (to follow its records as they are written, or to take moves as they are made)."""
    world = build_world(scenario, seed, replication, topology, cascade)
    if watch is not None:
        watch(world)
    exercise = scenario.exercise
    if exercise is not None:
        for inject in sorted(exercise.injects, key=lambda i: (i.time_hours, i.sequence)):
            world.env.process(_inject(world, inject, deliver))
        for point in exercise.decision_points:
            world.env.process(_decide(world, point, choose))
    for number, move in enumerate(moves, 1):
        world.env.process(_move(world, move, number))
    world.env.run(until=scenario.duration_hours)
    return world.records


def status_board(world: World) -> dict[str, Any]:
    """What a facilitator's status board shows now: assets down by sector and by country,
    open incidents with their severity, and each CSIRT's queue and busy analysts."""
    down = [a for a, q in zip(world.infra.assets, world.infra.q, strict=True) if q >= DOWN]
    by_sector: dict[str, int] = {}
    by_country: dict[str, int] = {}
    for asset in down:
        by_sector[asset.sector] = by_sector.get(asset.sector, 0) + 1
        by_country[asset.country] = by_country.get(asset.country, 0) + 1
    severity: dict[str, tuple[str, str]] = {}
    for row in world.records.events:
        if row.kind == kinds.TRIAGED:
            severity[row.incident] = (row.country, row.detail)
        elif row.kind == kinds.CONTAINED:
            severity.pop(row.incident, None)
    queues = {
        country: {"waiting": len(csirt.queue), "busy": csirt.count, "analysts": csirt.capacity}
        for country, csirt in world.response.csirts.items()
    }
    return {
        "time_hours": world.env.now,
        "down_by_sector": dict(sorted(by_sector.items())),
        "down_by_country": dict(sorted(by_country.items())),
        "open_incidents": [
            {"incident": incident, "country": country, "severity": level}
            for incident, (country, level) in severity.items()
        ],
        "csirts": queues,
    }
