"""A run as MISP events, built offline with `pymisp`: one event per campaign as each country
saw it. Its attributes are the campaign's indicators that country came to hold, each
stamped with the moment it held them (so a partner's share shows its delay), and its tags
give the ATT&CK techniques, the TLP level and the exercise marking."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from pymisp import MISPEvent

from ..analysis.intelligence import ADVISORY, KNOWN, Holding, Intelligence
from ..engine.records import Row
from ..schema.attack import techniques
from ..schema.campaigns import Campaign
from ..schema.defenders import LEVELS
from ..schema.infrastructure import Country
from ..schema.scenario import Scenario
from .exercise_data import EXERCISE_STATEMENT, exercise_uuid, observable, run_key

DISTRIBUTION = {"organisation": 0, "community": 1, "connected": 2, "all": 3}
"""MISP distribution levels by name: your organisation only, this community only,
connected communities, all communities."""

ATTRIBUTES = {
    "sha256": ("sha256", "Payload delivery", True),
    "domain": ("domain", "Network activity", True),
    "ip": ("ip-dst", "Network activity", True),
    "url": ("url", "Network activity", True),
    "email": ("email-src", "Payload delivery", True),
    "account": ("target-user", "Targeting data", False),
}
"""A fictional observable's MISP attribute type, category and `to_ids` (MISP does not let
targeting data feed an IDS)."""

EXERCISE_TAG = "cyberttx:exercise-data"


def misp_events(
    scenario: Scenario,
    events: Iterable[Row],
    intel: Intelligence,
    tlp: str = "green",
    distribution: str = "organisation",
) -> dict[str, bytes]:
    """The events as MISP JSON files (`{"Event": ...}`, as MISP's "Import from MISP JSON"
    reads), named `<campaign>.<country>.json`, for every country that held or detected
    a campaign's indicators in this run of `scenario` (resolved)."""
    key = run_key(scenario.digest(), list(events))
    held: dict[tuple[str, str], list[Holding]] = {}
    for holding in intel.holdings:
        for campaign in scenario.campaigns:
            if holding.indicator in campaign.indicators:
                held.setdefault((campaign.id, holding.country), []).append(holding)
    files = {}
    for campaign in scenario.campaigns:
        for country in scenario.countries:
            holdings = held.get((campaign.id, country.id), [])
            seen = [
                s for s in intel.sightings if (s.campaign, s.country) == (campaign.id, country.id)
            ]
            if not holdings and not seen:
                continue
            first = min([h.hours for h in holdings] + [s.first for s in seen])
            event = _event(scenario, campaign, country, holdings, intel, key, first)
            event.distribution = DISTRIBUTION[distribution]
            event.add_tag(f"tlp:{tlp}")
            text = json.dumps({"Event": json.loads(event.to_json())}, indent=2, sort_keys=True)
            files[f"{campaign.id}.{country.id}.json"] = (text + "\n").encode()
    return files


def _event(
    scenario: Scenario,
    campaign: Campaign,
    country: Country,
    holdings: list[Holding],
    intel: Intelligence,
    key: str,
    first: float,
) -> MISPEvent:
    """The event of `campaign` as `country` saw it, dated when it first held or detected
    anything of it (`first`)."""

    def at(hours: float) -> datetime:
        return scenario.start + timedelta(milliseconds=round(hours * 3_600_000))

    trails = [t for t in intel.trails if (t.campaign, t.country) == (campaign.id, country.id)]
    event = MISPEvent()
    event.uuid = exercise_uuid(scenario.name, "misp-event", key, campaign.id, country.id)
    event.info = f"EXERCISE {scenario.name}: {campaign.name}, as {country.name} saw it"
    event.date = at(first).date()
    event.threat_level_id = _threat_level([t.level for t in trails if t.level])
    event.analysis = 2
    event.add_tag(EXERCISE_TAG)
    table = techniques()
    for technique in dict.fromkeys(s.technique for s in campaign.stages):
        name = table[technique].name
        event.add_tag(f'misp-galaxy:mitre-attack-pattern="{name} - {technique}"')
    for holding in holdings:
        seen = observable(holding.indicator)
        kind, category, to_ids = ATTRIBUTES[seen.kind]
        attribute = event.add_attribute(
            kind,
            seen.value,
            category=category,
            to_ids=to_ids,
            comment=f"EXERCISE '{holding.indicator}': {_how(holding)}",
            uuid=exercise_uuid(
                scenario.name, "misp-attribute", key, campaign.id, holding.indicator, country.id
            ),
        )
        attribute.timestamp = at(holding.hours)
        attribute.first_seen = at(holding.hours)
    event.add_attribute(
        "comment",
        EXERCISE_STATEMENT,
        category="Other",
        to_ids=False,
        uuid=exercise_uuid(scenario.name, "misp-statement", key, campaign.id, country.id),
    )
    return event


def _how(holding: Holding) -> str:
    if holding.source == KNOWN:
        return "held before the exercise"
    if holding.source == ADVISORY:
        return "from our own triage (national advisory)"
    delay = "" if holding.shared_hours is None else f" {holding.hours - holding.shared_hours:.1f} h"
    return f"received from {holding.source}{delay} after it shared them"


def _threat_level(levels: list[str]) -> int:
    """MISP threat level (1 high, 2 medium, 3 low, 4 undefined) from the highest severity
    the country's CSIRT gave the campaign's incidents."""
    if not levels:
        return 4
    top = max(LEVELS.index(level) for level in levels)
    return 1 if top >= LEVELS.index("High") else 2 if top >= LEVELS.index("Medium") else 3
