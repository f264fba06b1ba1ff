"""A run as a STIX 2.1 bundle, built with the `stix2` library: who defended (an identity per
CSIRT and per operator hit), who attacked (an intrusion set and a campaign per campaign,
the ATT&CK techniques it uses, its indicators with fictional patterns), and what happened
(an incident per intrusion, sightings where CSIRTs detected a campaign, a note per share).

Every object is marked as exercise data and with the chosen TLP level. Times are the
scenario's calendar and ids are UUIDv5, so the same run always gives the same bytes:
objects that describe the scenario (identities, campaigns, indicators, techniques) hold only
what it declares, so they are identical, ids included, in every run and variant of it and a
platform merges them; objects that describe a run (incidents, sightings, notes,
relationships) are keyed by the run's event log too."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import stix2

from ..analysis.intelligence import ADVISORY, KNOWN, SUCCEEDED, Intelligence, Trail
from ..engine.records import Row
from ..schema.attack import techniques
from ..schema.campaigns import Campaign
from ..schema.scenario import Scenario
from .exercise_data import EXERCISE_STATEMENT, Observable, exercise_uuid, observable, run_key

TLP = {"clear": stix2.TLP_WHITE, "green": stix2.TLP_GREEN, "amber": stix2.TLP_AMBER}
"""TLP levels a bundle may carry (STIX 2.1 ships TLP 1.0: CLEAR is its WHITE). RED is left
out: a bundle meant for the regional network's debrief is not for named recipients only."""

SECTORS = {
    "energy": "energy",
    "telecom": "telecommunications",
    "water": "water",
    "finance": "financial-services",
    "transport": "transportation",
    "health": "healthcare",
    "emergency_services": "government-public-services",
    "government": "government-national",
    "media_broadcast": "communications",
    "event_venue": "entertainment",
    "food": "agriculture",
    "chemical": "chemical",
    "manufacturing": "manufacturing",
    "defence": "defense",
}
"""cyberttx sectors as STIX industry sectors (`other` has none)."""

ACTORS = {
    "state": ("dominance", "government"),
    "criminal": ("personal-gain", "organization"),
    "hacktivist": ("ideology", "club"),
}
"""An actor's STIX primary motivation and resource level."""

OBJECTIVES = {
    "ddos": "deny service by flooding it",
    "ransomware": "encrypt systems for a ransom",
    "wiper": "destroy data and systems",
    "degrade": "degrade the service",
    "exfiltrate": "steal data",
}
"""A campaign's objective, by its impact."""

KILL_CHAINS = {"enterprise": "mitre-attack", "ics": "mitre-ics-attack"}

PATTERNS = {
    "sha256": "[file:hashes.'SHA-256' = '{}']",
    "domain": "[domain-name:value = '{}']",
    "ip": "[ipv4-addr:value = '{}']",
    "url": "[url:value = '{}']",
    "email": "[email-addr:value = '{}']",
    "account": "[user-account:account_login = '{}']",
}


class _Ids:
    """UUIDv5 ids: `stable` for what the scenario declares, `run` for what a run did."""

    def __init__(self, scenario: Scenario, run_key: str) -> None:
        self.scenario, self.run_key = scenario.name, run_key

    def stable(self, kind: str, *key: str) -> str:
        return f"{kind}--{exercise_uuid(self.scenario, kind, *key)}"

    def run(self, kind: str, *key: str) -> str:
        return self.stable(kind, self.run_key, *key)


def stix_bundle(
    scenario: Scenario, events: Iterable[Row], intel: Intelligence, tlp: str = "green"
) -> bytes:
    """The bundle of one run of `scenario` (resolved: its variant applied), whose event log
    is `events` and whose reading is `intel`, as pretty-printed UTF-8 JSON."""
    ids = _Ids(scenario, run_key(scenario.digest(), list(events)))
    return _Builder(scenario, ids, tlp).bundle(intel)


class _Builder:
    def __init__(self, scenario: Scenario, ids: _Ids, tlp: str) -> None:
        self.scenario, self.ids = scenario, ids
        self.start = scenario.start
        self.exercise = stix2.MarkingDefinition(
            id=ids.stable("marking-definition", "exercise"),
            created=self.at(0),
            name="cyberttx exercise data",
            definition_type="statement",
            definition=stix2.StatementMarking(statement=EXERCISE_STATEMENT),
        )
        self.tlp = TLP[tlp]
        self.author = ids.stable("identity", "exercise")
        self.assets = {a.id: a for a in scenario.assets}
        self.campaigns = {c.id: c for c in scenario.campaigns}
        self.objects: list[Any] = [self.tlp, self.exercise]

    def at(self, hours: float) -> datetime:
        """The scenario's calendar at `hours`, to the millisecond."""
        return self.start + timedelta(milliseconds=round(hours * 3_600_000))

    def marked(self, **fields: Any) -> dict[str, Any]:
        """`fields` with the markings and, unless given, the author every object carries."""
        fields.setdefault("created_by_ref", self.author)
        if "created" in fields:
            fields.setdefault("modified", fields["created"])
        return fields | {"object_marking_refs": [self.tlp.id, self.exercise.id]}

    def add(self, kind: type, **fields: Any) -> Any:
        made = kind(**self.marked(**fields))
        self.objects.append(made)
        return made

    def relate(self, source: str, kind: str, target: str, hours: float, text: str) -> None:
        """A relationship between the objects of ids `source` and `target`."""
        self.add(
            stix2.Relationship,
            id=self.ids.run("relationship", source, kind, target),
            created=self.at(hours),
            modified=self.at(hours),
            source_ref=source,
            relationship_type=kind,
            target_ref=target,
            description=text,
        )

    def bundle(self, intel: Intelligence) -> bytes:
        self.add(
            stix2.Identity,
            id=self.author,
            created=self.at(0),
            name=f"Exercise control: {self.scenario.name}",
            identity_class="system",
            description="The cyberttx simulation that produced this bundle, for the exercise.",
        )
        csirts = self.csirts()
        operators = self.operators(intel.trails)
        patterns = self.attack_patterns()
        indicators = self.indicators()
        for campaign in self.scenario.campaigns:
            self.campaign(campaign, intel, patterns, indicators, operators)
        for trail in intel.trails:
            self.incident(trail, csirts, operators)
        self.sightings(intel, csirts, indicators)
        self.shares(intel, csirts, indicators)
        bundle = stix2.Bundle(
            objects=self.objects, id=self.ids.run("bundle", "bundle"), allow_custom=False
        )
        return (bundle.serialize(pretty=True) + "\n").encode()

    def csirts(self) -> dict[str, Any]:
        return {
            country.id: self.add(
                stix2.Identity,
                id=self.ids.stable("identity", "csirt", country.id),
                created=self.at(0),
                name=f"{country.name} national CSIRT",
                identity_class="organization",
                sectors=["government-national"],
                roles=["national CSIRT"],
                description=f"The national CSIRT of {country.name} ({country.id}).",
            )
            for country in self.scenario.countries
            if country.csirt is not None
        }

    def operators(self, trails: Iterable[Trail]) -> dict[str, Any]:
        """An identity per organisation running an asset that an intrusion reached, by the
        asset's id (assets of one owner share it)."""
        made: dict[str, Any] = {}
        by_asset = {}
        for trail in trails:
            asset = self.assets[trail.asset]
            owner = asset.owner or asset.name
            if owner not in made:
                country = next(c for c in self.scenario.countries if c.id == asset.country)
                sector = SECTORS.get(asset.sector)
                made[owner] = self.add(
                    stix2.Identity,
                    id=self.ids.stable("identity", "operator", owner),
                    created=self.at(0),
                    name=owner,
                    identity_class="organization",
                    description=f"A {asset.operator} operator in {country.name}.",
                    **({"sectors": [sector]} if sector else {}),
                )
            by_asset[trail.asset] = made[owner]
        return by_asset

    def attack_patterns(self) -> dict[str, Any]:
        table = techniques()
        used = sorted({s.technique for c in self.scenario.campaigns for s in c.stages})
        made = {}
        for technique in used:
            entry = table[technique]
            path = technique.replace(".", "/")
            made[technique] = self.add(
                stix2.AttackPattern,
                id=self.ids.stable("attack-pattern", technique),
                created=self.at(0),
                name=entry.name,
                external_references=[
                    {
                        "source_name": "mitre-attack",  # as MITRE's ICS bundle has it too
                        "external_id": technique,
                        "url": f"https://attack.mitre.org/techniques/{path}/",
                    }
                ],
                kill_chain_phases=[
                    {"kill_chain_name": KILL_CHAINS[entry.domain], "phase_name": tactic}
                    for tactic in entry.tactics
                ],
            )
        return made

    def indicators(self) -> dict[str, Any]:
        """An indicator per indicator name, as the scenario declares it (when CSIRTs held it
        is the run's: notes and sightings say so)."""
        made = {}
        for campaign in self.scenario.campaigns:
            for name in campaign.indicators:
                if name in made:
                    continue
                seen: Observable = observable(name)
                made[name] = self.add(
                    stix2.Indicator,
                    id=self.ids.stable("indicator", name),
                    created=self.at(0),
                    name=f"EXERCISE {name}",
                    description=f"Fictional indicator '{name}' of the exercise. "
                    + EXERCISE_STATEMENT,
                    indicator_types=["malicious-activity"],
                    labels=["exercise"],
                    pattern=PATTERNS[seen.kind].format(seen.value),
                    pattern_type="stix",
                    valid_from=self.at(0),
                )
        return made

    def campaign(
        self,
        campaign: Campaign,
        intel: Intelligence,
        patterns: dict[str, Any],
        indicators: dict[str, Any],
        operators: dict[str, Any],
    ) -> None:
        trails = [t for t in intel.trails if t.campaign == campaign.id]
        motivation, resources = ACTORS[campaign.actor]
        actor = self.add(
            stix2.IntrusionSet,
            id=self.ids.stable("intrusion-set", campaign.id),
            created=self.at(0),
            name=f"Intrusion set: {campaign.name}",
            description=f"A fictional {campaign.actor} actor of the exercise.",
            primary_motivation=motivation,
            resource_level=resources,
        )
        made = self.add(
            stix2.Campaign,
            id=self.ids.stable("campaign", campaign.id),
            created=self.at(0),
            name=campaign.name,
            description=campaign.source or f"A {campaign.impact.type} campaign of the exercise.",
            objective=OBJECTIVES[campaign.impact.type],
            first_seen=self.at(campaign.start_hours),
        )
        self.relate(made.id, "attributed-to", actor.id, 0, "The exercise's attribution.")
        for number, stage in enumerate(campaign.stages):
            ends = [end for t in trails for n, end in t.stages if n == number]
            self.relate(
                made.id,
                "uses",
                patterns[stage.technique].id,
                0,
                f"Stage {number + 1}, {stage.tactic}: tried {len(ends)} times by "
                f"{len(trails)} intrusions in this run, {ends.count(SUCCEEDED)} succeeded.",
            )
        for name in campaign.indicators:
            self.relate(indicators[name].id, "indicates", made.id, 0, "Exercise indicator.")
        for target in dict.fromkeys(operators[t.asset].id for t in trails):
            self.relate(made.id, "targets", target, trails[0].first, "Reached in this run.")

    def incident(self, trail: Trail, csirts: dict[str, Any], operators: dict[str, Any]) -> None:
        campaign = self.campaigns[trail.campaign]
        reporter = csirts.get(trail.country) if trail.reported is not None else None
        made = self.add(
            stix2.Incident,
            id=self.ids.run("incident", trail.id),
            created=self.at(trail.first),
            modified=self.at(trail.last),
            name=f"{campaign.name} at {self.assets[trail.asset].name}",
            description=self._story(trail),
            **({"created_by_ref": reporter.id} if reporter is not None else {}),
        )
        campaign_id = self.ids.stable("campaign", campaign.id)
        self.relate(made.id, "related-to", campaign_id, trail.first, "Its campaign.")
        self.relate(made.id, "related-to", operators[trail.asset].id, trail.first, "The victim.")

    def _story(self, trail: Trail) -> str:
        parts = [f"Intrusion into {self.assets[trail.asset].name} ({trail.country})"]
        campaign = self.campaigns[trail.campaign]
        tried = [
            f"{campaign.stages[n].tactic} ({campaign.stages[n].technique}) {end}"
            for n, end in trail.stages
        ]
        parts.append("stages: " + (", ".join(tried) or "none ended"))
        for label, hours in (
            ("detected", trail.detected),
            ("reported to the CSIRT", trail.reported),
            ("contained", trail.contained),
        ):
            if hours is not None:
                parts.append(f"{label} {self.at(hours):%Y-%m-%d %H:%M%z}")
        if trail.level:
            parts.append(f"rated {trail.level}")
        if trail.impact:
            parts.append(f"impact: {trail.impact}")
        return "; ".join(parts) + ". Exercise data."

    def sightings(
        self, intel: Intelligence, csirts: dict[str, Any], indicators: dict[str, Any]
    ) -> None:
        for sighting in intel.sightings:
            csirt = csirts.get(sighting.country)
            for name in self.campaigns[sighting.campaign].indicators:
                self.add(
                    stix2.Sighting,
                    id=self.ids.run("sighting", sighting.campaign, sighting.country, name),
                    created=self.at(sighting.first),
                    modified=self.at(sighting.last),
                    first_seen=self.at(sighting.first),
                    last_seen=self.at(sighting.last),
                    count=sighting.count,
                    sighting_of_ref=indicators[name].id,
                    description=f"Detections of {self.campaigns[sighting.campaign].name} in "
                    f"{sighting.country}.",
                    **({"where_sighted_refs": [csirt.id]} if csirt is not None else {}),
                )

    def shares(
        self, intel: Intelligence, csirts: dict[str, Any], indicators: dict[str, Any]
    ) -> None:
        """A note per share: who published which campaign's indicators when, and who took
        them in how much later; and a note per indicator a CSIRT held before the run or
        issued as an advisory."""
        for number, share in enumerate(intel.shares):
            names = [n for c in share.campaigns for n in self.campaigns[c].indicators]
            if not names:
                continue
            received = ", ".join(
                f"{country} after {hours - share.hours:.1f} h" for country, hours in share.received
            )
            self.add(
                stix2.Note,
                id=self.ids.run("note", "share", str(number)),
                created=self.at(share.hours),
                abstract=f"{share.country} shared the indicators of "
                + ", ".join(self.campaigns[c].name for c in share.campaigns),
                content=f"Received by {received or 'nobody new'}. Exercise data.",
                object_refs=[indicators[n].id for n in dict.fromkeys(names)],
                **self._by(csirts, share.country),
            )
        for holding in intel.holdings:
            if holding.source not in (KNOWN, ADVISORY):
                continue
            how = "held before the exercise" if holding.source == KNOWN else "advisory issued"
            self.add(
                stix2.Note,
                id=self.ids.run("note", holding.source, holding.indicator, holding.country),
                created=self.at(holding.hours),
                abstract=f"{holding.country}: {how}",
                content=f"{holding.country} holds '{holding.indicator}' ({how}). Exercise data.",
                object_refs=[indicators[holding.indicator].id],
                **self._by(csirts, holding.country),
            )

    @staticmethod
    def _by(csirts: dict[str, Any], country: str) -> dict[str, Any]:
        csirt = csirts.get(country)
        return {"created_by_ref": csirt.id} if csirt is not None else {}
