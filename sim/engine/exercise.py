"""A facilitated replication: injects fall due, decision points ask a chooser, and the chosen
options act on the engine. Whoever chooses (the room, a decisions file, a policy) is outside.

Actions draw no random numbers, so the same decisions at the same points give the same
records, and an exercise whose options do nothing leaves the engine's own records untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from ..gc_pause import gc_paused
from ..schema.defenders import LEVELS
from ..schema.exercise import (
    ActivateBackup,
    DecisionPoint,
    Inject,
    Isolate,
    RaiseAlert,
    RequestAssistance,
    ShareIndicators,
    Statement,
)
from ..schema.scenario import Scenario
from .infrastructure import DOWN
from .records import Records, Row
from .world import World, build_world

Chooser = Callable[[DecisionPoint, World], int]
"""Returns the index of the option taken at a decision point (it may block for input)."""
Deliver = Callable[[Inject, World], None]
"""Shows an inject to the players as it falls due."""


class Actions:
    """The engine actions a decision can take, applied at the current simulated time."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.env = world.env

    def take(self, action: Any, tag: str) -> None:
        """Apply one action of an option chosen at decision point `tag`."""
        handler = getattr(self, f"_{action.action}")
        handler(action, tag)

    def _log(self, kind: str, tag: str, **fields: Any) -> None:
        self.world.records.log(self.env.now, kind, incident=tag, **fields)

    def _after(self, hours: float, then: Callable[[], None]) -> None:
        timer = self.env.timeout(hours)
        timer.callbacks.append(lambda _event: then())

    def _share_indicators(self, action: ShareIndicators, tag: str) -> None:
        w = self.world
        campaigns = sorted(
            w.response.seen(action.country)
            | {c for c in w.indicators.of_campaign if w.indicators.share(action.country, c)}
        )
        members = w.response.members or [c.id for c in w.scenario.countries]
        recipients = action.to or tuple(m for m in members if m != action.country)
        self._log(
            "indicators_shared", tag, country=action.country, detail=", ".join(campaigns) or "none"
        )
        for member in recipients:
            fresh = [c for c in campaigns if w.indicators.learn(member, c)]
            if fresh:
                self._log("indicators_received", tag, country=member, detail=", ".join(fresh))

    def _request_assistance(self, action: RequestAssistance, tag: str) -> None:
        w = self.world
        if action.helper not in w.response.csirts or action.country not in w.response.csirts:
            missing = action.helper if action.helper not in w.response.csirts else action.country
            self._log("assistance_refused", tag, country=missing, detail="no CSIRT")
            return
        self._log("assistance_requested", tag, country=action.country, detail=action.helper)
        arrival, hours = action.arrival_hours, action.hours
        if w.response.lend(action.helper, action.country, action.analysts, arrival, hours, tag):
            self._log("assistance_answered", tag, country=action.helper, value=arrival)

    def _isolate(self, action: Isolate, tag: str) -> None:
        w = self.world
        i = w.infra.index[action.asset]
        country = w.infra.assets[i].country
        until = self.env.now + action.hours
        w.adversary.isolated_until[i] = max(w.adversary.isolated_until.get(i, 0.0), until)
        w.infra.set_damage(i, ("isolation", tag), 1.0)
        self._log("isolated", tag, country=country, asset=action.asset, value=action.hours)
        for incident in w.adversary.incidents_on(i):
            w.adversary.contain(incident.id)

        def end() -> None:
            w.infra.set_damage(i, ("isolation", tag), 0.0)
            self._log("isolation_end", tag, country=country, asset=action.asset)

        self._after(action.hours, end)

    def _raise_alert(self, action: RaiseAlert, tag: str) -> None:
        w = self.world
        chosen = [
            i
            for i, a in enumerate(w.infra.assets)
            if a.sector == action.sector and action.country in (None, a.country)
        ]
        bonus = w.adversary.monitoring_bonus
        for i in chosen:
            bonus[i] = bonus.get(i, 0.0) + action.monitoring_bonus
            w.infra.set_damage(i, ("alert", tag), action.degradation)
        where = action.country or "all countries"
        detail = f"{action.sector} in {where}: {len(chosen)} assets for {action.hours:g} h"
        self._log("alert_raised", tag, country=action.country or "", detail=detail)

        def end() -> None:
            for i in chosen:
                bonus[i] -= action.monitoring_bonus
                w.infra.set_damage(i, ("alert", tag), 0.0)
            self._log("alert_end", tag, country=action.country or "", detail=detail)

        self._after(action.hours, end)

    def _activate_backup(self, action: ActivateBackup, tag: str) -> None:
        w = self.world
        i = w.infra.index[action.asset]
        w.infra.activate_backup(i, action.hours)
        country = w.infra.assets[i].country
        self._log("backup_activated", tag, country=country, asset=action.asset, value=action.hours)

    def _statement(self, action: Statement, tag: str) -> None:
        self._log("public_statement", tag, detail=action.text)


def _triggered(world: World, point: DecisionPoint) -> simpy.Event:
    """The event that `point`'s trigger first holds: an incident triaged at or above its
    level in its country."""
    assert point.when is not None
    event = world.env.event()
    floor = LEVELS.index(point.when.first_incident_at_least)
    country = point.when.country

    def watch(row: Row) -> None:
        _, kind, where, *_, detail = row
        if kind != "triaged" or event.triggered or country not in (None, where):
            return
        if LEVELS.index(detail) >= floor:  # type: ignore[arg-type]
            event.succeed()
            world.records.listeners.remove(watch)

    world.records.listeners.append(watch)
    return event


def _inject(world: World, inject: Inject, deliver: Deliver) -> Generator[simpy.Event, None, None]:
    yield world.env.timeout(inject.time_hours)  # started at hour 0
    world.records.log(
        world.env.now,
        "inject",
        incident=f"inject:{inject.sequence}",
        value=inject.sequence,
        detail=f"{inject.sender} -> {inject.recipient}: {inject.message}",
    )
    deliver(inject, world)


def _decide(
    world: World, point: DecisionPoint, choose: Chooser, actions: Actions
) -> Generator[simpy.Event, None, None]:
    if point.at_hours is not None:
        yield world.env.timeout(point.at_hours)
    else:
        yield _triggered(world, point)
    option = choose(point, world)
    tag = f"decision:{point.id}"
    chosen = point.options[option]
    world.records.log(world.env.now, "decision", incident=tag, value=option, detail=chosen.label)
    for action in chosen.actions:
        actions.take(action, tag)


@gc_paused()
def run_exercise(
    scenario: Scenario,
    seed: int,
    choose: Chooser,
    deliver: Deliver = lambda inject, world: None,
    replication: int = 0,
) -> Records:
    """Run one replication of `scenario` with its exercise: injects are logged and delivered
    as they fall due (before decisions at the same hour), and each decision point, once due,
    takes the option `choose` returns. Exceptions raised by `choose` or `deliver` stop the run
    and propagate (that is how a player quits or undoes)."""
    world = build_world(scenario, seed, replication)
    exercise = scenario.exercise
    if exercise is not None:
        actions = Actions(world)
        for inject in sorted(exercise.injects, key=lambda i: (i.time_hours, i.sequence)):
            world.env.process(_inject(world, inject, deliver))
        for point in exercise.decision_points:
            world.env.process(_decide(world, point, choose, actions))
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
    for _, kind, country, _, _, incident, _, detail in world.records.events:
        if kind == "triaged":
            severity[incident] = (country, detail)
        elif kind == "contained":
            severity.pop(incident, None)
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
