"""Campaigns in the SimPy world: choosing targets, staged intrusions, impact and spread.

Each intrusion (campaign x target) is a process with its own random stream, keyed by campaign
and target, that draws the same numbers in the same order whatever the defence does: four
uniforms and one duration per stage. So variants of one replication face the same attacker.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import simpy

from ..schema.campaigns import Campaign
from ..schema.infrastructure import Asset
from ..schema.scenario import Scenario
from .infrastructure import Infrastructure
from .sampling import draw
from .streams import Streams

DDOS_HOURS = 6.0
"""How long a DDoS lasts when its campaign gives no duration."""


@dataclass
class Indicators:
    """Which countries hold which campaigns' indicators of compromise."""

    held: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def initial(cls, scenario: Scenario) -> Indicators:
        """The indicators each campaign declares known from the start."""
        return cls(
            {(country, c.id) for c in scenario.campaigns for country in c.indicators_known_by}
        )

    def known(self, country: str, campaign: str) -> bool:
        """Whether `country` holds `campaign`'s indicators."""
        return (country, campaign) in self.held

    def learn(self, country: str, campaign: str) -> None:
        """`country` now holds `campaign`'s indicators."""
        self.held.add((country, campaign))


def choose_targets(
    campaign: Campaign, scenario: Scenario, infra: Infrastructure, rng: np.random.Generator
) -> list[tuple[float, int]]:
    """The campaign's targets as (hours after its start, asset index), in order of attack."""
    aim = campaign.targeting
    named = [infra.index[a] for a in aim.assets]
    excluded = set(named)
    pool = [
        i
        for i, a in enumerate(scenario.assets)
        if (not aim.countries or a.country in aim.countries)
        and (not aim.sectors or a.sector in aim.sectors)
        and i not in excluded
    ]
    if aim.pick == "random":
        ranked = [pool[k] for k in rng.permutation(len(pool))]
    else:
        score = infra.reach if aim.pick == "reach" else infra.weights
        ranked = sorted(pool, key=lambda i: (-score[i], i))
    candidates = named + ranked
    if aim.order == "spreading" and candidates:
        return _outwards(candidates, aim.count, scenario, infra, aim.interval_hours)
    step = aim.interval_hours if aim.order == "sequential" else 0.0
    return [(k * step, i) for k, i in enumerate(candidates[: aim.count])]


def _outwards(
    candidates: list[int],
    count: int | None,
    scenario: Scenario,
    infra: Infrastructure,
    interval: float,
) -> list[tuple[float, int]]:
    """The `count` candidates nearest the first in dependency hops (either direction), nearer
    first and, at equal hops, in candidate order; `interval` hours a hop. Candidates the first
    cannot reach come last, one interval apart."""
    links: dict[int, list[int]] = {}
    for d in scenario.dependencies:
        s, t = infra.index[d.supplier], infra.index[d.dependent]
        links.setdefault(s, []).append(t)
        links.setdefault(t, []).append(s)
    hops = {candidates[0]: 0}
    queue = deque([candidates[0]])
    while queue:
        i = queue.popleft()
        for k in links.get(i, ()):
            if k not in hops:
                hops[k] = hops[i] + 1
                queue.append(k)
    position = {i: p for p, i in enumerate(candidates)}
    unreachable = len(hops) + len(candidates)
    ordered = sorted(candidates, key=lambda i: (hops.get(i, unreachable), position[i]))[:count]
    reached = [hops[i] for i in ordered if i in hops]
    last = max(reached, default=0)
    return [
        (interval * (hops[i] if i in hops else last + k + 1 - len(reached)), i)
        for k, i in enumerate(ordered)
    ]


class Adversary:
    """Runs the scenario's campaigns against the infrastructure."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        infra: Infrastructure,
        streams: Streams,
        indicators: Indicators,
    ) -> None:
        self.env, self.scenario, self.infra = env, scenario, infra
        self.streams, self.indicators = streams, indicators
        self.parameters = scenario.parameters
        self.intrusions: dict[str, simpy.Process] = {}
        """Every intrusion's process by incident id (`campaign/asset`)."""
        self._contained: dict[str, simpy.Event] = {}
        self.on_incident: Callable[[Campaign, int, str], None] = lambda *_: None
        """Called once an intrusion is detected and not stopped, or has landed: with the
        campaign, the asset index and the incident id."""
        self.progress: dict[str, int] = {}
        """The stage (index) each intrusion has reached, by incident id."""
        cbms = scenario.cbms
        self._norms, self._advised = set(cbms.un_norms), set(cbms.multistakeholder)
        self.isolated_until: dict[int, float] = {}
        """Assets taken offline by a decision, by index: until when no stage succeeds."""
        self.monitoring_bonus: dict[int, float] = {}
        """Monitoring added to assets by a raised alert level, by index."""

    def start(self) -> None:
        """Start one process per intrusion of every campaign."""
        for campaign in self.scenario.campaigns:
            rng = self.streams("targeting", campaign.id)
            for offset, target in choose_targets(campaign, self.scenario, self.infra, rng):
                incident = f"{campaign.id}/{self.infra.assets[target].id}"
                process = self._intrude(campaign, target, campaign.start_hours + offset)
                self.intrusions[incident] = self.env.process(process)

    def contained(self, incident: str) -> simpy.Event:
        """The event that `incident` is contained."""
        return self._contained.setdefault(incident, self.env.event())

    def contain(self, incident: str) -> bool:
        """Contain `incident`: stop its intrusion where it stands and let restoration begin;
        False if it was already contained."""
        event = self.contained(incident)
        if event.triggered:
            return False
        event.succeed()
        process = self.intrusions.get(incident)
        if process is not None and process.is_alive:
            process.interrupt("contained")
        return True

    def incidents_on(self, asset: str) -> list[str]:
        """The incidents whose intrusion into `asset` is still running."""
        return [
            incident
            for incident, process in self.intrusions.items()
            if process.is_alive and incident.split("/", 1)[1].split("#")[0] == asset
        ]

    def held(self, campaign: Campaign, asset: Asset) -> float:
        """How fully `asset` benefits from `campaign`'s indicators: 0 if its country does not
        hold them; 1 for public operators, or private ones reached by advisories through
        multistakeholder work; `advisory_reach` for other private operators."""
        if not self.indicators.known(asset.country, campaign.id):
            return 0.0
        if asset.operator == "public" or asset.country in self._advised:
            return 1.0
        return self.parameters.advisory_reach

    def prevention(self, asset: Asset) -> float:
        """The asset's prevention, raised in countries implementing the UN norms."""
        bonus = self.parameters.norms_prevention_bonus if asset.country in self._norms else 0.0
        return min(1.0, asset.prevention + bonus)

    def _log(
        self, kind: str, campaign: Campaign, i: int, incident: str = "", **fields: object
    ) -> None:
        asset = self.infra.assets[i]
        self.infra.records.log(
            self.env.now,
            kind,
            country=asset.country,
            asset=asset.id,
            campaign=campaign.id,
            incident=incident or f"{campaign.id}/{asset.id}",
            **fields,  # type: ignore[arg-type]
        )

    def _new_incident(self, campaign: Campaign, i: int) -> str:
        """An incident id for a fresh infection of asset i: `campaign/asset`, with `#n` added
        when that id is already taken by an earlier intrusion or infection."""
        base = f"{campaign.id}/{self.infra.assets[i].id}"
        taken = self.intrusions.keys() | self._contained.keys()
        return next(
            name
            for n in itertools.count(1)
            if (name := base if n == 1 else f"{base}#{n}") not in taken
        )

    def _intrude(
        self, campaign: Campaign, i: int, start: float
    ) -> Generator[simpy.Event, None, None]:
        """One intrusion: the stages in turn, each of which may be detected or blocked; an
        interrupt (containment) ends it at once."""
        try:
            yield from self._stages(campaign, i, start)
        except simpy.Interrupt:
            self._log("intrusion_contained", campaign, i)

    def _stages(
        self, campaign: Campaign, i: int, start: float
    ) -> Generator[simpy.Event, None, None]:
        asset = self.infra.assets[i]
        rng = self.streams("intrusion", f"{campaign.id}:{asset.id}")
        p = self.parameters
        yield self.env.timeout(start)
        self._log("intrusion_start", campaign, i)
        detected = False
        incident = f"{campaign.id}/{asset.id}"
        for number, stage in enumerate(campaign.stages):
            self.progress[incident] = number
            hours = draw(stage.duration, rng)
            u_detect, u_when, u_stop, u_success = rng.random(4).tolist()
            held = self.held(campaign, asset)
            label = f"{number}:{stage.tactic}:{stage.technique}"
            monitoring = min(1.0, asset.monitoring + self.monitoring_bonus.get(i, 0.0))
            missed = 1 - monitoring * stage.detectability
            chance = 1 - missed * (1 - p.indicator_detection * held)
            if not detected and u_detect < chance:
                yield self.env.timeout(u_when * hours)
                detected = True
                self._log("detected", campaign, i, value=number, detail=label)
                if u_stop < p.stop_on_detection:
                    self._log("intrusion_stopped", campaign, i, value=number, detail=label)
                    return
                self.on_incident(campaign, i, incident)
                hours -= u_when * hours
            yield self.env.timeout(hours)
            # Prevention and held indicators each stop a share of whole intrusions, spread
            # evenly over the stages, so the number of stages does not change their meaning.
            defence = (1 - self.prevention(asset)) * (1 - p.indicator_block * held)
            success = stage.success * defence ** (1 / len(campaign.stages))
            if self.isolated_until.get(i, -1.0) > self.env.now:
                self._log("stage_blocked", campaign, i, value=number, detail=label + ":isolated")
                return
            if u_success >= success:
                self._log(
                    "stage_blocked",
                    campaign,
                    i,
                    value=number,
                    detail=label + (":ioc" if held else ""),
                )
                return
            self._log("stage_success", campaign, i, value=number, detail=label)
        self._land(campaign, i, rng)

    def _land(self, campaign: Campaign, i: int, rng: np.random.Generator) -> None:
        """The impact on asset i, and its spread to the other assets of the same owner."""
        impact = campaign.impact
        incident = f"{campaign.id}/{self.infra.assets[i].id}"
        if impact.type == "exfiltrate":
            self._log("exfiltration", campaign, i, detail=impact.type)
            self.on_incident(campaign, i, incident)
            return
        self.env.process(self._damage(campaign, i, incident))
        owner = self.infra.assets[i].owner
        if impact.spread > 0 and owner:
            for k, other in enumerate(self.infra.assets):
                if other.owner == owner and k != i and rng.random() < impact.spread:
                    self.env.process(self._damage(campaign, k, None, delay=impact.spread_hours))

    def _damage(
        self, campaign: Campaign, i: int, incident: str | None, delay: float = 0.0
    ) -> Generator[simpy.Event, None, None]:
        """Damage asset i until the earlier of two ends: what the victim manages alone (the
        impact's `duration`; without one, `self_containment` then the asset's recovery) and
        what the response allows (containment, then the asset's recovery; a DDoS ends at
        containment). A spread infection (`incident` None) is an incident of its own."""
        impact = campaign.impact
        asset = self.infra.assets[i]
        yield self.env.timeout(delay)
        incident = incident or self._new_incident(campaign, i)
        began = self.env.now
        source = object()  # this damage alone: another on the same asset ends on its own
        self._log("impact", campaign, i, incident, value=impact.level, detail=impact.type)
        self.infra.set_damage(i, source, impact.level)
        ddos = impact.type == "ddos"
        restore = 0.0 if ddos else draw(asset.recovery, self.streams("recovery", asset.id))
        rng = self.streams("impact", incident)
        if impact.duration is not None:
            alone = draw(impact.duration, rng)
        elif ddos:
            alone = DDOS_HOURS
        else:
            alone = draw(self.parameters.self_containment, rng) + restore
        self.on_incident(campaign, i, incident)
        contained = self.contained(incident)
        yield contained | self.env.timeout(alone)
        helped = contained.triggered and began + alone > self.env.now + restore
        if helped:
            self._log("restoration_start", campaign, i, incident)
            yield self.env.timeout(restore)
        else:
            yield self.env.timeout(max(0.0, began + alone - self.env.now))
        self._log(
            "impact_end",
            campaign,
            i,
            incident,
            value=self.env.now - began,
            detail=f"{impact.type}:{'helped' if helped else 'alone'}",
        )
        self.infra.set_damage(i, source, 0.0)
