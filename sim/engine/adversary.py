"""Campaigns in the SimPy world: choosing targets, staged intrusions, impact and spread.

Each infection is an `Incident`: which campaign, which asset, and (for a spread) from which
asset. Its random streams are keyed by that identity, never by its label or by the order
events happen. An intrusion draws the same numbers in the same order whatever the defence
does (four uniforms and one duration per stage), and an impact draws its restoration and its
duration from a stream of its own. So variants of one replication face the same attacker, and
removing one campaign or disruption changes nobody else's draws.
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
from . import kinds
from .infrastructure import Infrastructure
from .records import BLOCKED_HOLDING, BLOCKED_ISOLATED, stage_detail
from .sampling import draw
from .streams import Streams

DDOS_HOURS = 6.0
"""How long a DDoS lasts when its campaign gives no duration."""


@dataclass
class Indicators:
    """Which countries hold which indicators of compromise.

    Holding is per indicator, not per campaign: campaigns that reuse the same tooling or
    infrastructure (the same indicator strings) are recognised by whoever learned either.
    """

    of_campaign: dict[str, tuple[str, ...]]
    """Each campaign's indicators, by campaign id."""
    held: set[tuple[str, str]] = field(default_factory=set)
    """(country, indicator) pairs."""

    @classmethod
    def initial(cls, scenario: Scenario) -> Indicators:
        """The indicators each campaign declares known from the start."""
        of_campaign = {c.id: c.indicators for c in scenario.campaigns}
        held = {
            (country, indicator)
            for c in scenario.campaigns
            for country in c.indicators_known_by
            for indicator in c.indicators
        }
        return cls(of_campaign, held)

    def share(self, country: str, campaign: str) -> float:
        """The share of `campaign`'s indicators that `country` holds (0 if it has none)."""
        indicators = self.of_campaign[campaign]
        if not indicators:
            return 0.0
        return sum((country, i) in self.held for i in indicators) / len(indicators)

    def learn(self, country: str, campaign: str) -> bool:
        """`country` now holds `campaign`'s indicators; False if it held them all already."""
        fresh = {(country, i) for i in self.of_campaign[campaign]} - self.held
        self.held |= fresh
        return bool(fresh)


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


@dataclass(frozen=True)
class Incident:
    """One infection of one asset by one campaign.

    An intrusion goes through the campaign's stages; a spread reaches the asset from `source`,
    an asset of the same owner where the campaign landed. `id` labels it in the records
    (`campaign/asset`, with `#n` added if that label is taken); `key` is its identity, which
    names its random streams.
    """

    id: str
    campaign: Campaign
    asset: int
    key: tuple[str, ...]
    source: int | None = None


class Sightings:
    """What the defenders get to see of the adversary's incidents: an intrusion detected and
    not stopped, a detected intrusion completing a further stage, an impact landing. Built
    before both sides; whoever acts on sightings subscribes when it is built."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Incident], None]] = []

    def subscribe(self, subscriber: Callable[[Incident], None]) -> None:
        """Call `subscriber` with every incident published from now on."""
        self._subscribers.append(subscriber)

    def publish(self, incident: Incident) -> None:
        """Show `incident` to every subscriber, in the order they subscribed."""
        for subscriber in self._subscribers:
            subscriber(incident)


class Adversary:
    """Runs the scenario's campaigns against the infrastructure."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        infra: Infrastructure,
        streams: Streams,
        indicators: Indicators,
        sightings: Sightings,
    ) -> None:
        self.env, self.scenario, self.infra = env, scenario, infra
        self.streams, self.indicators, self.sightings = streams, indicators, sightings
        self.parameters = scenario.parameters
        self.incidents: dict[str, Incident] = {}
        """Every incident so far, intrusions and spreads, by id."""
        self.intrusions: dict[str, simpy.Process] = {}
        """Every intrusion's process by incident id."""
        self._contained: dict[str, simpy.Event] = {}
        self._down: dict[str, simpy.Event] = {}
        self.progress: dict[str, int] = {}
        """The stage (index) each intrusion has reached, by incident id."""
        cbms = scenario.cbms
        self._norms, self._advised = set(cbms.un_norms), set(cbms.multistakeholder)
        self._isolated_until: dict[int, float] = {}
        """Assets taken offline by a decision, by index: until when no stage succeeds."""
        self._monitoring_bonus: dict[int, float] = {}
        """Monitoring added to assets by a raised alert level, by index."""

    def start(self) -> None:
        """Start one process per intrusion of every campaign."""
        for campaign in self.scenario.campaigns:
            rng = self.streams("targeting", campaign.id)
            for offset, target in choose_targets(campaign, self.scenario, self.infra, rng):
                incident = self._open(campaign, target)
                process = self._intrude(incident, campaign.start_hours + offset)
                self.intrusions[incident.id] = self.env.process(process)

    def _open(self, campaign: Campaign, i: int, source: int | None = None) -> Incident:
        """A new incident of `campaign` on asset i, labelled uniquely."""
        assets = self.infra.assets
        base = f"{campaign.id}/{assets[i].id}"
        label = next(
            name
            for n in itertools.count(1)
            if (name := base if n == 1 else f"{base}#{n}") not in self.incidents
        )
        key = (campaign.id, assets[i].id)
        if source is not None:
            key += ("from", assets[source].id)
        incident = self.incidents[label] = Incident(label, campaign, i, key, source)
        return incident

    def contained(self, incident: str) -> simpy.Event:
        """The event that `incident` is contained."""
        return self._contained.setdefault(incident, self.env.event())

    def contain(self, incident: str) -> bool:
        """Contain `incident`: stop its intrusion where it stands, stop the spreads it has not
        yet made, and let restoration begin; False if it was already contained."""
        event = self.contained(incident)
        if event.triggered:
            return False
        event.succeed()
        process = self.intrusions.get(incident)
        if process is not None and process.is_alive:
            process.interrupt("contained")
        return True

    def taken_down(self, campaign: str) -> simpy.Event:
        """The event that `campaign`'s infrastructure is taken down."""
        return self._down.setdefault(campaign, self.env.event())

    def take_down(self, campaign: str) -> None:
        """Take `campaign`'s infrastructure down: its intrusions stop, started or not, and
        its DDoS end; damage already done runs its course."""
        event = self.taken_down(campaign)
        if event.triggered:
            return
        event.succeed()
        for incident, process in self.intrusions.items():
            if self.incidents[incident].campaign.id == campaign and process.is_alive:
                process.interrupt("taken down")

    def isolate(self, i: int, until: float) -> None:
        """Take asset i offline until `until` (or later, if it already is): no stage into it
        succeeds and no spread reaches it meanwhile."""
        self._isolated_until[i] = max(self._isolated_until.get(i, 0.0), until)

    def add_monitoring(self, i: int, bonus: float) -> None:
        """Add `bonus` (negative: take it back) to asset i's monitoring."""
        self._monitoring_bonus[i] = self._monitoring_bonus.get(i, 0.0) + bonus

    def incidents_on(self, i: int) -> list[Incident]:
        """The incidents whose intrusion into asset i is still running."""
        return [
            self.incidents[incident]
            for incident, process in self.intrusions.items()
            if process.is_alive and self.incidents[incident].asset == i
        ]

    def held(self, campaign: Campaign, asset: Asset) -> float:
        """How fully `asset` benefits from `campaign`'s indicators: the share of them its
        country holds, in full for public operators and for private ones reached by
        advisories through multistakeholder work, times `advisory_reach` for other private
        operators."""
        share = self.indicators.share(asset.country, campaign.id)
        if asset.operator == "public" or asset.country in self._advised:
            return share
        return share * self.parameters.advisory_reach

    def prevention(self, asset: Asset) -> float:
        """The asset's prevention, raised in countries implementing the UN norms."""
        bonus = self.parameters.norms_prevention_bonus if asset.country in self._norms else 0.0
        return min(1.0, asset.prevention + bonus)

    def _log(self, kind: str, incident: Incident, **fields: object) -> None:
        asset = self.infra.assets[incident.asset]
        self.infra.records.log(
            self.env.now,
            kind,
            country=asset.country,
            asset=asset.id,
            campaign=incident.campaign.id,
            incident=incident.id,
            **fields,  # type: ignore[arg-type]
        )

    def _intrude(self, incident: Incident, start: float) -> Generator[simpy.Event, None, None]:
        """One intrusion: the stages in turn, each of which may be detected or blocked; an
        interrupt (containment, or the campaign's infrastructure taken down) ends it at once."""
        try:
            yield from self._stages(incident, start)
        except simpy.Interrupt as stop:
            down = stop.cause == "taken down"
            self._log(kinds.INTRUSION_TAKEN_DOWN if down else kinds.INTRUSION_CONTAINED, incident)

    def _stages(self, incident: Incident, start: float) -> Generator[simpy.Event, None, None]:
        campaign, i = incident.campaign, incident.asset
        asset = self.infra.assets[i]
        rng = self.streams("intrusion", *incident.key)
        p = self.parameters
        yield self.env.timeout(start)
        self._log(kinds.INTRUSION_START, incident)
        detected = False
        for number, stage in enumerate(campaign.stages):
            self.progress[incident.id] = number
            hours = draw(stage.duration, rng)
            u_detect, u_when, u_stop, u_success = rng.random(4).tolist()
            held = self.held(campaign, asset)
            label = stage_detail(number, stage.tactic, stage.technique)
            monitoring = min(1.0, asset.monitoring + self._monitoring_bonus.get(i, 0.0))
            missed = 1 - monitoring * stage.detectability
            chance = 1 - missed * (1 - p.indicator_detection * held)
            if not detected and u_detect < chance:
                yield self.env.timeout(u_when * hours)
                detected = True
                self._log(kinds.DETECTED, incident, value=number, detail=label)
                if u_stop < p.stop_on_detection:
                    self._log(kinds.INTRUSION_STOPPED, incident, value=number, detail=label)
                    return
                self.sightings.publish(incident)
                hours -= u_when * hours
            yield self.env.timeout(hours)
            # Prevention and held indicators each stop a share of whole intrusions, spread
            # evenly over the stages, so the number of stages does not change their meaning.
            held = self.held(campaign, asset)  # indicators may have arrived during the stage
            defence = (1 - self.prevention(asset)) * (1 - p.indicator_block * held)
            success = stage.success * defence ** (1 / len(campaign.stages))
            isolated = self._isolated_until.get(i, -1.0) > self.env.now
            if isolated or u_success >= success:
                self._log(kinds.STAGE_BLOCKED, incident, value=number, detail=label)
                if isolated or held:
                    why = BLOCKED_ISOLATED if isolated else BLOCKED_HOLDING
                    self._log(kinds.BLOCK_REASON, incident, value=number, detail=why)
                return
            self._log(kinds.STAGE_SUCCESS, incident, value=number, detail=label)
            if detected and number + 1 < len(campaign.stages):
                self.progress[incident.id] = number + 1
                self.sightings.publish(incident)  # the intrusion the CSIRT follows went further
        self._land(incident, rng)

    def _land(self, incident: Incident, rng: np.random.Generator) -> None:
        """The impact on the target, and its spread to the other assets of the same owner
        (each drawn now, whether or not containment later stops it)."""
        campaign, i = incident.campaign, incident.asset
        impact = campaign.impact
        if impact.type == "exfiltrate":
            self._log(kinds.EXFILTRATION, incident, detail=impact.type)
            self.sightings.publish(incident)
            return
        self.env.process(self._damage(incident))
        owner = self.infra.assets[i].owner
        if impact.spread > 0 and owner:
            for k, other in enumerate(self.infra.assets):
                if other.owner == owner and k != i and rng.random() < impact.spread:
                    self.env.process(self._spread(incident, k))

    def _spread(self, origin: Incident, k: int) -> Generator[simpy.Event, None, None]:
        """The campaign reaches asset k from `origin` after `spread_hours`, unless `origin` is
        contained by then or k is isolated; the infection is an incident of its own."""
        campaign = origin.campaign
        yield self.env.timeout(campaign.impact.spread_hours)
        if self.contained(origin.id).triggered or self._isolated_until.get(k, -1.0) > self.env.now:
            self._log(kinds.SPREAD_PREVENTED, origin, detail=self.infra.assets[k].id)
            return
        yield from self._damage(self._open(campaign, k, source=origin.asset))

    def _damage(self, incident: Incident) -> Generator[simpy.Event, None, None]:
        """Damage the incident's asset until the earlier of two ends: what the victim manages
        alone (the impact's `duration`; without one, `self_containment` then the asset's
        recovery) and what the response allows (containment, then the asset's recovery; a DDoS
        ends at containment or when its campaign's infrastructure is taken down)."""
        impact = incident.campaign.impact
        asset = self.infra.assets[incident.asset]
        began = self.env.now
        source = object()  # this damage alone: another on the same asset ends on its own
        self._log(kinds.IMPACT, incident, value=impact.level, detail=impact.type)
        self.infra.set_damage(incident.asset, source, impact.level)
        ddos = impact.type == "ddos"
        rng = self.streams("impact", *incident.key)
        restore = 0.0 if ddos else draw(asset.recovery, rng)
        if impact.duration is not None:
            alone = draw(impact.duration, rng)
        elif ddos:
            alone = DDOS_HOURS
        else:
            alone = draw(self.parameters.self_containment, rng) + restore
        self.sightings.publish(incident)
        stopped = self.contained(incident.id)
        if ddos:  # a DDoS also ends when its botnet is taken down
            stopped = stopped | self.taken_down(incident.campaign.id)
        yield stopped | self.env.timeout(alone)
        helped = stopped.triggered and began + alone > self.env.now + restore
        if helped:
            self._log(kinds.RESTORATION_START, incident)
            yield self.env.timeout(restore)
        else:
            yield self.env.timeout(max(0.0, began + alone - self.env.now))
        self._log(
            kinds.IMPACT_END,
            incident,
            value=self.env.now - began,
            detail=impact.type,
        )
        self.infra.set_damage(incident.asset, source, 0.0)
