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

SAID = {
    "asset_down": "operators: {asset} is down",
    "asset_up": "operators: {asset} is back in service",
    "backup_exhausted": "operators: {asset} has run through its backup",
    "impact": "operators: {asset} reports {seen}",
    "detected": "CSIRT: an intrusion detected at {asset}",
    "triaged": "CSIRT: the incident at {asset} is rated {level}",
    "indicators_received": "CSIRT: indicators received from a partner",
    "advisory_issued": "CSIRT: national advisory issued to operators",
    "assistance_arrived": "CSIRT: analysts lent by a partner have arrived",
    "infrastructure_taken_down": "CSIRT: the attackers' servers hosted here have been taken down",
}
"""Each feed line's words in English, by key; a screen in another language finds the key (and
`seen.<impact>`) in its catalog and fills in the same fields."""


PLAIN = {
    kinds.ASSET_DOWN: "asset_down",
    kinds.ASSET_UP: "asset_up",
    kinds.BACKUP_EXHAUSTED: "backup_exhausted",
    kinds.DETECTED: "detected",
    kinds.INDICATORS_RECEIVED: "indicators_received",
    kinds.ADVISORY_ISSUED: "advisory_issued",
    kinds.ASSISTANCE_ARRIVED: "assistance_arrived",
    kinds.INFRASTRUCTURE_TAKEN_DOWN: "infrastructure_taken_down",
}
"""The kinds said in a fixed way (the asset's name their only field), by key of SAID."""


@dataclass(frozen=True)
class FeedLine:
    """One item of the feed: the country whose people hear it (empty: everyone) and what, in
    English and as a key of SAID with its fields (to say it in another language)."""

    time: float
    country: str
    text: str
    key: str = ""
    fields: tuple[tuple[str, str], ...] = ()


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
        said = self._said(row)
        if said is None:
            return None
        key, fields = said
        words = dict(fields)
        if "seen" in words:
            words["seen"] = SEEN_IMPACT.get(words["seen"], words["seen"])
        return FeedLine(row.time, row.country, SAID[key].format(**words), key, fields)

    def _said(self, row: Row) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """The key of what is said of `row` and its fields, or None."""
        asset = (("asset", self._name(row.asset)),)
        if row.kind in PLAIN:
            key = PLAIN[row.kind]
            return key, asset if "{asset}" in SAID[key] else ()
        if row.kind == kinds.IMPACT:
            return "impact", (*asset, ("seen", row.detail))
        serious = row.detail in LEVELS and LEVELS.index(row.detail) >= SERIOUS
        if row.kind == kinds.TRIAGED and row.campaign and serious:
            return "triaged", (*asset, ("level", row.detail))
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
