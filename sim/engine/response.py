"""National CSIRTs and the regional network: report, triage, contain, share and assist.

Each CSIRT is a SimPy PriorityResource of analysts. A campaign incident goes through
report -> triage -> containment (NIST SP 800-61), each step logged; with a severity scheme
the queue is ordered by level, without one everything is first come first served, triage is
slower and the score noisier. When an incident the CSIRT follows goes further (a stage, an
impact) it is scored again: a higher level moves it up the queue and may call for help.
Analysts lent by partners, and a network's joint cell, are resources of their own that join a
country's pool: a task takes whichever analyst of the pool is free first. Routine incidents
share the same analysts.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import simpy

from ..schema.defenders import LEVELS, Level, Shifts
from ..schema.scenario import Scenario
from . import kinds
from .adversary import Adversary, Incident, Indicators, Sightings
from .analysts import Analysts, Bell, FirstOf
from .infrastructure import Infrastructure
from .sampling import draw
from .severity import ROUTINE_SCORES, campaign_ratings, level, score
from .streams import Streams

NAN = float("nan")

OFF_DUTY = -(10**6)
"""Queue priority of an analyst going off duty: ahead of any incident."""


@dataclass(eq=False)
class Case:
    """A campaign incident in a national CSIRT's hands: its draws, made once when it is
    handed over, and how the CSIRT sees it now."""

    incident: Incident
    country: str
    wake: simpy.Event
    """Succeeds (and is replaced) when the case's level rises."""
    u_report: float
    noise: float
    report_hours: float
    triage_hours: float
    contain_hours: float
    takedown: tuple[float, float]
    """(uniform, delay) for a request to take the campaign's infrastructure down."""
    shares: list[tuple[float, float]]
    """Per network member, in order: (uniform, delay) for sharing its indicators."""
    answers: list[tuple[float, float]]
    """Per network member, in order: (uniform, delay) for answering a request for help."""
    level: Level = "Baseline"
    score: float = 0.0
    reported: bool = False
    triaged: bool = False
    asked: bool = False


class Response:
    """The defenders of a scenario, reacting to the incidents the adversary causes."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        infra: Infrastructure,
        adversary: Adversary,
        streams: Streams,
        indicators: Indicators,
        sightings: Sightings,
    ) -> None:
        self.env, self.scenario, self.infra = env, scenario, infra
        self.adversary, self.streams, self.indicators = adversary, streams, indicators
        self.p = scenario.parameters
        self.cbms = scenario.cbms
        self.countries = {c.id: c for c in scenario.countries}
        self.csirts = {
            c.id: Analysts(env, capacity=c.csirt.analysts)
            for c in scenario.countries
            if c.csirt is not None
        }
        self.schemes = {
            c.id: c.severity_scheme or scenario.severity_scheme
            for c in scenario.countries
            if c.id in self.cbms.severity_schemes
        }
        network = scenario.network
        self.members = sorted(network.members) if network else []
        cell = network.joint_cell if network else None
        self.cell = Analysts(env, capacity=cell.analysts) if cell else None
        """The joint cell's pooled analysts, when the network has one."""
        self.lent: dict[str, list[simpy.PriorityResource]] = {}
        """Teams of analysts lent to each country, on their way or there, by country."""
        self.away: dict[str, int] = dict.fromkeys(self.csirts, 0)
        """Analysts each CSIRT has lent out, on their way or there."""
        self.cases: dict[str, Case] = {}
        """Every campaign incident handed to a CSIRT, by incident id."""
        self._takedowns: set[str] = set()
        """Campaigns whose infrastructure a CSIRT has agreed to take down."""
        self._pool_changed = {country: Bell(env) for country in self.csirts}
        self._records = infra.records
        sightings.subscribe(self.report)
        for country in scenario.countries:
            if country.csirt is not None and country.csirt.shifts is not None:
                env.process(self._nights(country.id, country.csirt.analysts, country.csirt.shifts))
        if cell is not None:
            env.process(self._cell_opening(cell.windows))

    def _nights(
        self, country: str, analysts: int, shifts: Shifts
    ) -> Generator[simpy.Event, None, None]:
        """Every night, all but `night_analysts` analysts leave once their current task is done
        (they take the queue's top priority) and return in the morning."""
        clock = self.scenario.start.hour + self.scenario.start.minute / 60
        length = (shifts.night_to - shifts.night_from) % 24
        wait = (shifts.night_from - clock) % 24
        if (clock - shifts.night_from) % 24 < length:  # the scenario starts at night
            wait, length = 0.0, length - (clock - shifts.night_from) % 24
        leaving = analysts - shifts.night_analysts
        while True:
            yield self.env.timeout(wait)
            self._log(kinds.NIGHT_SHIFT, country, value=leaving)
            for _ in range(leaving):
                self.env.process(self._off_duty(country, self.env.now + length))
            yield self.env.timeout(length)
            self._log(kinds.DAY_SHIFT, country, value=leaving)
            length = (shifts.night_to - shifts.night_from) % 24
            wait = 24 - length

    def _off_duty(self, country: str, until: float) -> Generator[simpy.Event, None, None]:
        with self.csirts[country].request(priority=OFF_DUTY) as turn:
            yield turn
            yield self.env.timeout(max(0.0, until - self.env.now))

    @cached_property
    def _exposure(self) -> tuple[np.ndarray, np.ndarray]:
        """Per asset, for severity ratings (computed at the first triage): its cascading
        reach relative to the largest, and its dependents in other sectors (10 or more: 1)."""
        cascade, assets = self.infra.reach, self.scenario.assets
        sector = np.unique([a.sector for a in assets], return_inverse=True)[1]
        supplier, dependent, _ = self.infra.edges
        across = sector[supplier] != sector[dependent]
        counts = np.bincount(supplier[across], minlength=len(assets))
        return cascade / max(cascade.max(initial=0.0), 1e-12), np.minimum(1.0, counts / 10)

    def _log(
        self,
        kind: str,
        country: str,
        incident: str = "",
        value: float = NAN,
        detail: str = "",
    ) -> None:
        case = self.cases.get(incident) if incident else None
        if case is None:
            asset = campaign = ""
        else:
            asset, campaign = self.infra.assets[case.incident.asset].id, case.incident.campaign.id
        self._records.log(self.env.now, kind, country, asset, campaign, incident, value, detail)

    def _both(self, cbm: tuple[str, ...], a: str, b: str) -> bool:
        return a in cbm and b in cbm

    # -- the pool of analysts -----------------------------------------------------------

    def _pools(self, country: str, campaign: bool) -> list[simpy.PriorityResource]:
        """Who may take a task of `country` now: its CSIRT, analysts lent to it, and for a
        campaign incident the joint cell while it is open."""
        pools = [self.csirts[country], *self.lent.get(country, ())]
        if campaign and self._cell_open(country):
            pools.append(self.cell)  # type: ignore[arg-type]
        return pools

    def _changed(self, country: str) -> None:
        """Tell `country`'s waiting tasks that its pool has changed."""
        self._pool_changed[country].ring()

    def _cell_open(self, country: str) -> bool:
        """Whether the network's joint cell takes `country`'s campaign incidents now."""
        cell = self.scenario.network.joint_cell if self.scenario.network else None
        return (
            cell is not None
            and country in self.members
            and any(start <= self.env.now < end for start, end in cell.windows)
        )

    def _cell_opening(
        self, windows: tuple[tuple[float, float], ...]
    ) -> Generator[simpy.Event, None, None]:
        """At each window's start, incidents already waiting may take the cell's analysts."""
        for start, _ in sorted(windows):
            yield self.env.timeout(max(0.0, start - self.env.now))
            for country in self.members:
                if country in self.csirts:
                    self._changed(country)

    def _priority(self, case: Case) -> int:
        return -LEVELS.index(case.level) if case.country in self.schemes else 0

    def _work(
        self, country: str, task: str, hours: float, case: Case | None = None, priority: int = 0
    ) -> Generator[simpy.Event, None, None]:
        """One analyst of `country`'s pool works `hours` on `task`, after waiting in the queue.
        While it waits, it joins analysts who join the pool, and a case whose level rises
        queues again at its new priority."""
        asked = self.env.now
        incident = case.incident.id if case else ""
        self._log(kinds.QUEUED, country, incident, detail=task)
        turns: dict[simpy.PriorityResource, simpy.events.Event] = {}
        while True:
            if case is not None:
                priority = self._priority(case)
                if any(turn.priority != priority for turn in turns.values()):  # type: ignore[attr-defined]
                    for turn in turns.values():
                        turn.cancel()  # type: ignore[attr-defined]
                    turns = {}
            for pool in self._pools(country, case is not None):
                if pool not in turns:
                    turns[pool] = pool.request(priority=priority)
            waits = [*turns.values(), case.wake] if case is not None else [*turns.values()]
            yield FirstOf(self.env, waits, self._pool_changed[country])
            granted = [turn for turn in waits[: len(turns)] if turn.triggered]
            if granted:
                break
        turn = granted[0]
        for other in turns.values():
            if other is turn:
                continue
            if other.triggered:
                other.resource.release(other)  # type: ignore[attr-defined]
            else:
                other.cancel()  # type: ignore[attr-defined]
        pool = turn.resource  # type: ignore[attr-defined]
        worked = (
            kinds.WORK
            if pool is self.csirts[country]
            else kinds.JOINT_CELL_WORK
            if pool is self.cell
            else kinds.LENT_WORK
        )
        self._log(kinds.QUEUE_WAIT, country, incident, value=self.env.now - asked, detail=task)
        self._log(worked, country, incident, value=hours, detail=task)
        try:
            yield self.env.timeout(hours)
        finally:
            pool.release(turn)

    def spare(self, helper: str) -> int:
        """Analysts `helper`'s CSIRT can still lend: it keeps at least half at home."""
        csirt = self.countries[helper].csirt
        return 0 if csirt is None else csirt.analysts // 2 - self.away[helper]

    def lend(
        self, helper: str, country: str, analysts: int, arrival: float, hours: float, tag: str = ""
    ) -> int:
        """Up to `analysts` of `helper`'s CSIRT (as many as it can spare) leave its pool now
        and join `country`'s `arrival` hours from now for `hours`; tasks waiting by then queue
        for them too (`tag` labels the log rows). Returns how many were lent."""
        lent = min(analysts, self.spare(helper))
        if lent < 1:
            self._log(kinds.ASSISTANCE_REFUSED, helper, tag, detail="no analyst to spare")
            return 0
        back = self.env.now + arrival + hours
        self.away[helper] += lent
        for _ in range(lent):
            self.env.process(self._off_duty(helper, back))
        team = Analysts(self.env, capacity=lent)
        travelling = [team.request(priority=OFF_DUTY) for _ in range(lent)]
        self.lent.setdefault(country, []).append(team)
        self._changed(country)
        posting = self._posting(team, travelling, helper, country, hours, arrival, tag)
        self.env.process(posting)
        return lent

    def _posting(
        self,
        team: simpy.PriorityResource,
        travelling: list[simpy.events.Event],
        helper: str,
        country: str,
        hours: float,
        arrival: float,
        tag: str,
    ) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(arrival)
        for slot in travelling:
            team.release(slot)  # type: ignore[arg-type]
        people = "analyst" if team.capacity == 1 else "analysts"
        detail = f"{team.capacity} {people} from {helper} for {hours:g} h"
        self._log(kinds.ASSISTANCE_ARRIVED, country, tag, value=hours, detail=detail)
        yield self.env.timeout(hours)
        self.lent[country].remove(team)
        self.away[helper] -= team.capacity
        for _ in range(team.capacity):
            team.request(priority=OFF_DUTY)  # each leaves once its current task is done
        self._log(kinds.ASSISTANCE_LEFT, country, tag, detail=detail)

    # -- campaign incidents -------------------------------------------------------------

    def report(self, incident: Incident) -> None:
        """Hand a detected (or landed) incident to its national CSIRT; an incident already
        handed over is scored again, since it went further."""
        case = self.cases.get(incident.id)
        if case is not None:
            self._escalate(case)
            return
        country = self.infra.assets[incident.asset].country
        if country not in self.csirts:
            return
        rng = self.streams("incident", *incident.key)
        csirt = self.countries[country].csirt
        assert csirt is not None
        u_report, noise = rng.random(), rng.standard_normal()
        report_hours = draw(self.p.report_delay, rng)
        triage_hours, contain_hours = draw(csirt.triage, rng), draw(csirt.containment, rng)
        takedown = rng.random(), draw(self.p.takedown_delay, rng)
        shares, answers = self._network_draws(rng)
        case = Case(
            incident,
            country,
            self.env.event(),
            u_report,
            noise,
            report_hours,
            triage_hours,
            contain_hours,
            takedown,
            shares,
            answers,
        )
        self.cases[incident.id] = case
        self.env.process(self._handle(case))

    def _handle(self, case: Case) -> Generator[simpy.Event, None, None]:
        """Report, triage and contain one incident; advise, share and ask for help."""
        incident = case.incident.id
        asset = self.infra.assets[case.incident.asset]
        country, p = case.country, self.p
        advised = country in self.cbms.multistakeholder
        report_hours = case.report_hours
        if asset.operator == "private":
            chance = (
                p.multistakeholder_report_probability if advised else p.private_report_probability
            )
            if case.u_report >= chance:
                self._log(kinds.NOT_REPORTED, country, incident)
                return
            if advised:
                report_hours *= p.multistakeholder_report_delay_factor
        yield self.env.timeout(report_hours)
        self._log(kinds.REPORTED, country, incident)
        case.reported = True
        case.score, case.level = self._score(case)
        triage_hours = case.triage_hours
        if country not in self.schemes:
            triage_hours *= p.no_scheme_triage_factor
        yield from self._work(country, "triage", triage_hours, case)
        case.triaged = True
        self._log(kinds.TRIAGED, country, incident, value=case.score, detail=case.level)
        self._advise(case)
        self._share(case)
        self._ask(case)
        self._request_takedown(case)
        pieces = p.containment_tasks  # worked in parallel by whoever in the pool is free
        work = [
            self.env.process(self._work(country, "containment", case.contain_hours / pieces, case))
            for _ in range(pieces)
        ]
        yield self.env.all_of(work)
        if self.adversary.contain(incident):
            self._log(kinds.CONTAINED, country, incident)

    def _score(self, case: Case) -> tuple[float, Level]:
        """The case's score and level as its CSIRT sees it now (stage reached, damage done)."""
        campaign, i = case.incident.campaign, case.incident.asset
        relative_reach, other_sectors = self._exposure
        stage = self.adversary.progress.get(case.incident.id, len(campaign.stages) - 1)
        asset = self.infra.assets[i]
        ratings = campaign_ratings(
            campaign, asset, stage, self.infra.c[i], other_sectors[i], relative_reach[i]
        )
        scheme = self.schemes.get(case.country)
        value = score(scheme or self.scenario.severity_scheme, ratings)
        if scheme is None:
            value = float(np.clip(value + self.p.no_scheme_noise * case.noise, 0, 100))
        return value, level(scheme or self.scenario.severity_scheme, value)

    def _escalate(self, case: Case) -> None:
        """Re-triage: a reported case that went further is scored again; a higher level moves
        it up the queue and, once triaged, is logged and may call for help."""
        if not case.reported or self.adversary.contained(case.incident.id).triggered:
            return
        value, grade = self._score(case)
        if LEVELS.index(grade) <= LEVELS.index(case.level):
            return
        case.score, case.level = value, grade
        case.wake.succeed()
        case.wake = self.env.event()
        if case.triaged:
            self._log(kinds.RETRIAGED, case.country, case.incident.id, value=value, detail=grade)
            self._ask(case)

    def seen(self, country: str) -> set[str]:
        """The campaigns with an incident handed to `country`'s CSIRT so far."""
        return {c.incident.campaign.id for c in self.cases.values() if c.country == country}

    def _network_draws(
        self, rng: np.random.Generator
    ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """Per member, in order: (uniform, delay) for sharing and for answering a request."""
        network = self.scenario.network
        if network is None:
            return [], []
        shares = [(rng.random(), draw(network.sharing_delay, rng)) for _ in self.members]
        answers = [(rng.random(), draw(network.answer_delay, rng)) for _ in self.members]
        return shares, answers

    def _advise(self, case: Case) -> None:
        """The CSIRT turns a triaged incident's indicators into an advisory for its own
        country's operators (private ones take it up as `held` says)."""
        campaign, country = case.incident.campaign, case.country
        if self.indicators.learn(country, campaign.id):
            self._log(kinds.ADVISORY_ISSUED, country, case.incident.id)

    def _share(self, case: Case) -> None:
        """Publish the campaign's indicators to the network's other members."""
        network, country = self.scenario.network, case.country
        campaign = case.incident.campaign
        if network is None or country not in self.members:
            return
        if country not in self.cbms.incident_sharing or not campaign.indicators:
            return
        self._log(kinds.INDICATORS_SHARED, country, case.incident.id)
        for member, (u, hours) in zip(self.members, case.shares, strict=True):
            if member == country or u >= network.sharing_coverage:
                continue
            if self._both(self.cbms.points_of_contact, country, member):
                hours *= self.p.poc_delay_factor
            self.env.process(self._deliver(campaign.id, member, case.incident.id, hours))

    def _deliver(
        self, campaign: str, member: str, incident: str, hours: float
    ) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(hours)
        if self.indicators.learn(member, campaign):
            self._log(kinds.INDICATORS_RECEIVED, member, incident)

    def _ask(self, case: Case) -> None:
        """Ask the network for help with a case at or above the assistance threshold, once,
        and only while no lent analysts are on their way or there. Of the partners that
        answer and can spare a whole team of `analysts_lent`, the one whose team arrives
        first lends it."""
        network, country = self.scenario.network, case.country
        if network is None or country not in self.members or case.asked:
            return
        if LEVELS.index(case.level) < LEVELS.index(network.assistance_threshold):
            return
        if self.lent.get(country):
            return
        case.asked = True
        self._log(kinds.ASSISTANCE_REQUESTED, country, case.incident.id, detail=case.level)
        offers = []
        for member, (u, hours) in zip(self.members, case.answers, strict=True):
            if member == country or member not in self.csirts:
                continue  # only a CSIRT has analysts to lend
            chance = (
                self.p.norms_answer_probability
                if member in self.cbms.un_norms
                else network.answer_probability
            )
            if u < chance and self.spare(member) >= network.analysts_lent:
                if self._both(self.cbms.points_of_contact, country, member):
                    hours *= self.p.poc_delay_factor
                offers.append((hours, member))
        if offers:
            hours, member = min(offers)
            self._log(kinds.ASSISTANCE_ANSWERED, member, case.incident.id, value=hours)
            self.lend(
                member,
                country,
                network.analysts_lent,
                hours,
                network.assistance_hours,
                case.incident.id,
            )

    def _request_takedown(self, case: Case) -> None:
        """Ask the CSIRT of the country hosting the campaign's infrastructure to take it down:
        a country's own acts on it; a partner (a network member, reached through the network)
        agrees with the answer probability, sooner where both have points of contact. One
        agreed request per campaign; a declined one may be made again by a later case."""
        campaign, country = case.incident.campaign, case.country
        host = campaign.infrastructure_in
        if host is None or host not in self.csirts or campaign.id in self._takedowns:
            return
        u, hours = case.takedown
        chance = 1.0
        if host != country:
            network = self.scenario.network
            if network is None or not {country, host} <= set(self.members):
                return
            chance = (
                self.p.norms_answer_probability
                if host in self.cbms.un_norms
                else network.answer_probability
            )
            if self._both(self.cbms.points_of_contact, country, host):
                hours *= self.p.poc_delay_factor
        self._log(kinds.TAKEDOWN_REQUESTED, country, case.incident.id, detail=host)
        if u >= chance:
            self._log(kinds.TAKEDOWN_DECLINED, host, case.incident.id)
            return
        self._takedowns.add(campaign.id)
        self.env.process(self._take_down(campaign.id, host, case.incident.id, hours))

    def _take_down(
        self, campaign: str, host: str, incident: str, hours: float
    ) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(hours)
        self._log(kinds.INFRASTRUCTURE_TAKEN_DOWN, host, incident, value=hours, detail=campaign)
        self.adversary.take_down(campaign)

    # -- routine incidents --------------------------------------------------------------

    def routine(self, country: str, kind: str, hours: float) -> None:
        """A routine incident arrives at `country`'s CSIRT (if it has one)."""
        if country in self.csirts:
            scheme = self.schemes.get(country)
            priority = -LEVELS.index(level(scheme, ROUTINE_SCORES[kind])) if scheme else 0
            self.env.process(self._work(country, kind, hours, priority=priority))
