"""The situation feed: what each country's people would hear as the simulation runs.

Operators report outages and what they see on their screens; CSIRTs report what they have
detected, rated, received or been lent; nobody reports an intrusion that no one has detected
(the fog of war), nor the routine incidents every CSIRT handles. The feed follows the event
log row by row; `FeedLine` is one item, grouped by the room into blocks of one instant.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import kinds
from ..engine.records import Row
from ..schema.defenders import LEVELS
from ..schema.scenario import Scenario

SERIOUS = LEVELS.index("Medium")
"""Triage at this level or above is news; below it, routine work."""

SEEN_IMPACT = {
    "ransomware": "a ransom note on its screens",
    "wiper": "machines that will not boot",
    "ddos": "a flood of traffic; the service is unreachable",
    "exfiltrate": "data leaving the network",
    "degrade": "its service degrading, cause unknown",
}
"""What operators see of each kind of impact, before anyone knows whose it is."""


@dataclass(frozen=True)
class FeedLine:
    """One item of the feed: the country whose people hear it (empty: everyone) and what."""

    time: float
    country: str
    text: str


class Feed:
    """Turns event rows into feed lines for a scenario (names instead of ids)."""

    def __init__(self, scenario: Scenario) -> None:
        self.assets = {a.id: a for a in scenario.assets}
        self.countries = {c.id: c.name or c.id for c in scenario.countries}

    def _name(self, asset: str) -> str:
        found = self.assets.get(asset)
        return found.name if found is not None else asset

    def line(self, row: Row) -> FeedLine | None:
        """What the room hears of `row`, or None for what nobody would report."""
        text = self._text(row)
        return None if text is None else FeedLine(row.time, row.country, text)

    def _text(self, row: Row) -> str | None:
        asset = self._name(row.asset)
        if row.kind == kinds.ASSET_DOWN:
            return f"operators: {asset} is down"
        if row.kind == kinds.ASSET_UP:
            return f"operators: {asset} is back in service"
        if row.kind == kinds.BACKUP_EXHAUSTED:
            return f"operators: {asset} has run through its backup"
        if row.kind == kinds.IMPACT:
            return f"operators: {asset} reports {SEEN_IMPACT.get(row.detail, row.detail)}"
        if row.kind == kinds.DETECTED:
            return f"CSIRT: an intrusion detected at {asset}"
        if row.kind == kinds.TRIAGED and row.campaign and row.detail in LEVELS:
            if LEVELS.index(row.detail) >= SERIOUS:
                return f"CSIRT: the incident at {asset} is rated {row.detail}"
            return None
        if row.kind == kinds.INDICATORS_RECEIVED:
            return "CSIRT: indicators received from a partner"
        if row.kind == kinds.ADVISORY_ISSUED:
            return "CSIRT: national advisory issued to operators"
        if row.kind == kinds.ASSISTANCE_ARRIVED:
            return "CSIRT: analysts lent by a partner have arrived"
        if row.kind == kinds.INFRASTRUCTURE_TAKEN_DOWN:
            return "CSIRT: the attackers' servers hosted here have been taken down"
        return None

    def block(self, lines: list[FeedLine], limit: int = 8) -> str:
        """Lines of one instant as the room reads them, by country, at most `limit`."""
        shown = [
            f"  {self.countries.get(line.country, line.country or 'all')}: {line.text}"
            for line in lines[:limit]
        ]
        if len(lines) > limit:
            shown.append(f"  ... and {len(lines) - limit} more (s: status board)")
        return "\n".join(shown)
