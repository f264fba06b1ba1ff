"""One replication: build the SimPy world from a scenario, run it, return its records."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

from ..schema.scenario import Disruption, Scenario
from . import kinds
from .adversary import Adversary, Indicators, Sightings
from .background import background_incidents
from .compiled_cascade import Cascade, infrastructure_class
from .infrastructure import Infrastructure
from .records import Records
from .response import Response
from .sampling import draw
from .streams import Streams
from .topology import Topology, build_topology


def _disrupt(
    env: simpy.Environment,
    infra: Infrastructure,
    number: int,
    disruption: Disruption,
    streams: Streams,
) -> Generator[simpy.Event, None, None]:
    """Damage one asset at the disruption's start and lift it after its duration or recovery
    (drawn from the disruption's own stream, whatever else happens to the asset)."""
    i = infra.index[disruption.asset]
    asset = infra.assets[i]
    yield env.timeout(disruption.start_hours)
    source = ("disruption", number)
    log = {"country": asset.country, "asset": asset.id, "detail": f"disruption {number}"}
    infra.records.log(env.now, kinds.DAMAGE, value=disruption.damage, **log)
    infra.set_damage(i, source, disruption.damage)
    hours = disruption.duration_hours
    if hours is None:
        hours = draw(asset.recovery, streams("disruption", str(number), asset.id))
    yield env.timeout(hours)
    infra.records.log(env.now, kinds.DAMAGE_END, value=hours, **log)
    infra.set_damage(i, source, 0.0)


@dataclass(frozen=True)
class World:
    """A built replication, ready to run: the SimPy environment and the parts acting in it."""

    scenario: Scenario
    env: simpy.Environment
    records: Records
    infra: Infrastructure
    adversary: Adversary
    response: Response
    indicators: Indicators


def build_world(
    scenario: Scenario,
    seed: int,
    replication: int = 0,
    topology: Topology | None = None,
    cascade: Cascade = "python",
) -> World:
    """Every process of one replication of `scenario`, started but not yet run. `topology`
    is `build_topology(scenario)`, built here if not given; runs of one scenario may share it.
    `cascade` chooses the settle (`compiled_cascade.infrastructure_class`; "auto" for callers
    that run many replications in one process); every choice gives the same records."""
    streams = Streams(seed, replication)
    env = simpy.Environment()
    records = Records(scenario.duration_hours, tuple(a.id for a in scenario.assets))
    shape = build_topology(scenario) if topology is None else topology
    infra = infrastructure_class(cascade, len(scenario.assets))(env, scenario, records, shape)
    for number, disruption in enumerate(scenario.disruptions):
        env.process(_disrupt(env, infra, number, disruption, streams))
    indicators = Indicators.initial(scenario)
    sightings = Sightings()  # the adversary publishes what the response acts on
    adversary = Adversary(env, scenario, infra, streams, indicators, sightings)
    response = Response(env, scenario, infra, adversary, streams, indicators, sightings)
    adversary.start()
    for country in scenario.countries:
        rng = streams("background", country.id)
        surges = [
            (w.start_hours, w.end_hours, w.incident_surge)
            for event in scenario.events
            if event.country == country.id
            for w in event.windows
            if w.incident_surge > 1
        ]
        arrivals = background_incidents(env, country, records, rng, response.routine, surges)
        env.process(arrivals)
    return World(scenario, env, records, infra, adversary, response, indicators)


PROGRESS_STEPS = 200
"""How often a run with a progress callback reports, over its horizon."""


def run_replication(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replication: int = 0,
    topology: Topology | None = None,
    cascade: Cascade = "python",
    progress: Callable[[float], None] | None = None,
) -> Records:
    """Run `scenario` (resolved: any variant already applied); a pure function of its
    arguments.

    `seed` defaults to the scenario's; replication r of a seed draws from streams independent
    of every other replication's. `topology`, if given, must be `build_topology(scenario)`
    (callers running many replications build it once). `cascade`: as for `build_world`.
    `progress`, if given, is called with the simulated hour PROGRESS_STEPS times as the run
    goes (the run stops and resumes there, which changes no record).
    """
    world = build_world(scenario, scenario.root_seed(seed), replication, topology, cascade)
    if progress is None:
        world.env.run(until=scenario.duration_hours)
        return world.records
    for step in range(1, PROGRESS_STEPS + 1):
        hour = scenario.duration_hours * step / PROGRESS_STEPS
        world.env.run(until=hour)
        progress(hour)
    return world.records
