"""National CSIRTs and the regional network: report, triage, contain, share and assist.

Each CSIRT is a SimPy PriorityResource of analysts. A campaign incident goes through
report -> triage -> containment (NIST SP 800-61), each step logged; with a severity scheme
the queue is ordered by level, without one everything is first come first served, triage is
slower and the score noisier. Routine incidents share the same analysts.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import cached_property

import numpy as np
import simpy

from ..schema.campaigns import Campaign
from ..schema.defenders import LEVELS, Shifts
from ..schema.scenario import Scenario
from .adversary import Adversary, Indicators
from .infrastructure import Infrastructure
from .sampling import draw
from .severity import ROUTINE_SCORES, campaign_ratings, level, score
from .streams import Streams

OFF_DUTY = -(10**6)
"""Queue priority of an analyst going off duty: ahead of any incident."""


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
    ) -> None:
        self.env, self.scenario, self.infra = env, scenario, infra
        self.adversary, self.streams, self.indicators = adversary, streams, indicators
        self.p = scenario.parameters
        self.cbms = scenario.cbms
        self.countries = {c.id: c for c in scenario.countries}
        self.csirts = {
            c.id: simpy.PriorityResource(env, capacity=c.csirt.analysts)
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
        self.cell = simpy.PriorityResource(env, capacity=cell.analysts) if cell else None
        """The joint cell's pooled analysts, when the network has one."""
        self._parties: dict[str, tuple[str, str]] = {}
        """Campaign and asset of every incident handed to a CSIRT, by incident id."""
        self.lent: dict[str, tuple[float, float]] = {}
        """Analysts lent by a decision, by receiving country: (arrival, departure) hours."""
        adversary.on_incident = self.report
        for country in scenario.countries:
            if country.csirt is not None and country.csirt.shifts is not None:
                env.process(self._nights(country.id, country.csirt.analysts, country.csirt.shifts))

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
            self._log("night_shift", country, value=leaving)
            for _ in range(leaving):
                self.env.process(self._off_duty(country, self.env.now + length))
            yield self.env.timeout(length)
            self._log("day_shift", country, value=leaving)
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

    def _log(self, kind: str, country: str, incident: str = "", **fields: object) -> None:
        campaign, asset = self._parties.get(incident, ("", ""))
        self.infra.records.log(
            self.env.now,
            kind,
            country=country,
            asset=asset,
            campaign=campaign,
            incident=incident,
            **fields,  # type: ignore[arg-type]
        )

    def _both(self, cbm: tuple[str, ...], a: str, b: str) -> bool:
        return a in cbm and b in cbm

    # -- campaign incidents -------------------------------------------------------------

    def report(self, campaign: Campaign, i: int, incident: str) -> None:
        """Handle a detected (or landed) intrusion, once per incident."""
        asset = self.infra.assets[i]
        if incident in self._parties or asset.country not in self.csirts:
            return
        self._parties[incident] = (campaign.id, asset.id)
        self.env.process(self._handle(campaign, i, incident))

    def _handle(
        self, campaign: Campaign, i: int, incident: str
    ) -> Generator[simpy.Event, None, None]:
        """Report, triage and contain one incident; share its indicators and ask for help."""
        asset = self.infra.assets[i]
        country, p = asset.country, self.p
        rng = self.streams("incident", incident)
        u_report, noise = rng.random(), rng.standard_normal()
        report_hours = draw(p.report_delay, rng)
        csirt = self.countries[country].csirt
        assert csirt is not None
        triage_hours, contain_hours = draw(csirt.triage, rng), draw(csirt.containment, rng)
        shares, answers = self._network_draws(rng)
        advised = asset.country in self.cbms.multistakeholder
        if asset.operator == "private":
            chance = (
                p.multistakeholder_report_probability if advised else p.private_report_probability
            )
            if u_report >= chance:
                self._log("not_reported", country, incident)
                return
            if advised:
                report_hours *= p.multistakeholder_report_delay_factor
        yield self.env.timeout(report_hours)
        self._log("reported", country, incident)
        scheme = self.schemes.get(country)
        relative_reach, other_sectors = self._exposure
        stage = self.adversary.progress.get(incident, len(campaign.stages) - 1)
        damage = self.infra.c[i]  # as the CSIRT sees it when it triages
        ratings = campaign_ratings(
            campaign, asset, stage, damage, other_sectors[i], relative_reach[i]
        )
        value = score(scheme or self.scenario.severity_scheme, ratings)
        if scheme is None:
            value = float(np.clip(value + p.no_scheme_noise * noise, 0, 100))
            triage_hours *= p.no_scheme_triage_factor
        grade = level(scheme or self.scenario.severity_scheme, value)
        priority = -LEVELS.index(grade) if scheme else 0
        yield from self._work(country, incident, "triage", triage_hours, priority)
        self._log("triaged", country, incident, value=value, detail=grade)
        self._share(campaign, country, incident, shares)
        help_at = self._lent_from(country, self._ask(country, incident, grade, answers))
        yield from self._work(country, incident, "containment", contain_hours, priority, help_at)
        if self.adversary.contain(incident):
            self._log("contained", country, incident)

    def seen(self, country: str) -> set[str]:
        """The campaigns with an incident handed to `country`'s CSIRT so far."""
        return {
            campaign
            for campaign, asset in self._parties.values()
            if self.infra.assets[self.infra.index[asset]].country == country
        }

    def _lent_from(self, country: str, help_at: float | None) -> float | None:
        """The earlier of `help_at` and the arrival of analysts lent by a decision who are
        still there."""
        arrival, departure = self.lent.get(country, (0.0, -1.0))
        if self.env.now >= departure:
            return help_at
        lent_at = max(arrival, self.env.now)
        return lent_at if help_at is None else min(help_at, lent_at)

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

    def _work(
        self,
        country: str,
        incident: str,
        task: str,
        hours: float,
        priority: int,
        help_at: float | None = None,
    ) -> Generator[simpy.Event, None, None]:
        """One analyst works `hours` on `task`, after waiting in the CSIRT's queue; lent
        analysts arriving at `help_at` cut the remaining time by `assistance_speedup`."""
        asked = self.env.now
        turns = [self.csirts[country].request(priority=priority)]
        if incident and self._cell_open(country):
            turns.append(self.cell.request(priority=priority))  # type: ignore[union-attr]
        granted = yield self.env.any_of(turns)
        turn = next(t for t in turns if t in granted)
        for other in turns:
            if other is turn:
                continue
            if other.triggered:
                other.resource.release(other)
            else:
                other.cancel()
        start = self.env.now
        end = start + hours
        if help_at is not None and help_at < end:
            helped_from = max(help_at, start)
            end = helped_from + (end - helped_from) * (1 - self.p.assistance_speedup)
        worked = "joint_cell_work" if turn.resource is self.cell else "work"
        self._log("queue_wait", country, incident, value=start - asked, detail=task)
        self._log(worked, country, incident, value=end - start, detail=task)
        try:
            yield self.env.timeout(end - start)
        finally:
            turn.resource.release(turn)

    def _cell_open(self, country: str) -> bool:
        """Whether the network's joint cell takes `country`'s campaign incidents now."""
        cell = self.scenario.network.joint_cell if self.scenario.network else None
        return (
            cell is not None
            and country in self.members
            and any(start <= self.env.now < end for start, end in cell.windows)
        )

    def _share(
        self, campaign: Campaign, country: str, incident: str, draws: list[tuple[float, float]]
    ) -> None:
        """Publish the campaign's indicators to the network's other members."""
        network = self.scenario.network
        if network is None or country not in self.members:
            return
        if country not in self.cbms.incident_sharing or not campaign.indicators:
            return
        self._log("indicators_shared", country, incident)
        for member, (u, hours) in zip(self.members, draws, strict=True):
            if member == country or u >= network.sharing_coverage:
                continue
            if self._both(self.cbms.points_of_contact, country, member):
                hours *= self.p.poc_delay_factor
            self.env.process(self._deliver(campaign, member, incident, hours))

    def _deliver(
        self, campaign: Campaign, member: str, incident: str, hours: float
    ) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(hours)
        if not self.indicators.known(member, campaign.id):
            self.indicators.learn(member, campaign.id)
            self._log("indicators_received", member, incident)

    def _ask(
        self, country: str, incident: str, grade: str, draws: list[tuple[float, float]]
    ) -> float | None:
        """Ask the network for help with a severe incident: the time lent analysts arrive
        from the first partner (in member order) that answers, or None."""
        network = self.scenario.network
        if network is None or country not in self.members:
            return None
        if LEVELS.index(grade) < LEVELS.index(network.assistance_threshold):  # type: ignore[arg-type]
            return None
        self._log("assistance_requested", country, incident, detail=grade)
        for member, (u, hours) in zip(self.members, draws, strict=True):
            if member == country or member not in self.csirts:
                continue  # only a CSIRT has analysts to lend
            chance = (
                self.p.norms_answer_probability
                if member in self.cbms.un_norms
                else network.answer_probability
            )
            if u < chance:
                if self._both(self.cbms.points_of_contact, country, member):
                    hours *= self.p.poc_delay_factor
                self._log("assistance_answered", member, incident, value=hours)
                return self.env.now + hours
        return None

    # -- routine incidents --------------------------------------------------------------

    def routine(self, country: str, kind: str, hours: float) -> None:
        """A routine incident arrives at `country`'s CSIRT (if it has one)."""
        if country in self.csirts:
            self.env.process(self._routine(country, kind, hours))

    def _routine(self, country: str, kind: str, hours: float) -> Generator[simpy.Event, None, None]:
        scheme = self.schemes.get(country)
        priority = -LEVELS.index(level(scheme, ROUTINE_SCORES[kind])) if scheme else 0
        yield from self._work(country, "", kind, hours, priority)
