"""Scoring an incident's severity with a country's scheme (NCISS-style categories)."""

from __future__ import annotations

from ..schema.campaigns import Campaign
from ..schema.defenders import LEVELS, Level, SeverityScheme
from ..schema.infrastructure import Asset

ACTOR = {"state": 1.0, "criminal": 0.6, "hacktivist": 0.3}
INFORMATION = {"exfiltrate": 1.0, "ransomware": 0.5}
RECOVERABILITY = {"wiper": 1.0, "ransomware": 0.7, "degrade": 0.4, "exfiltrate": 0.3, "ddos": 0.2}
ROUTINE_SCORES = {
    "phishing": 10,
    "scanning": 5,
    "malware": 25,
    "ddos": 35,
    "fraud": 20,
    "other": 10,
}
"""Scores of routine incidents by kind: Baseline to Medium."""


def campaign_ratings(
    campaign: Campaign, asset: Asset, stage: int, damage: float, dependents: float, reach: float
) -> dict[str, float]:
    """Each category rated 0-1 for an intrusion seen at `stage` (index) with `damage` done;
    `dependents` is the share of its dependents in other sectors (capped count / 10) and
    `reach` its cascading weight relative to the scenario's largest."""
    technique = campaign.stages[min(stage, len(campaign.stages) - 1)].technique
    return {
        "functional_impact": damage,
        "observed_activity": (stage + 1) / len(campaign.stages),
        "location": 1.0 if technique.startswith("T0") else 0.5,  # ICS techniques mean OT
        "actor": ACTOR[campaign.actor],
        "information_impact": INFORMATION.get(campaign.impact.type, 0.0),
        "recoverability": RECOVERABILITY[campaign.impact.type],
        "cross_sector_dependency": dependents,
        "potential_impact": reach,
    }


def score(scheme: SeverityScheme, ratings: dict[str, float]) -> float:
    """The weighted mean of the ratings, on 0-100."""
    total = sum(scheme.weights.values())
    return 100 * sum(w * ratings.get(c, 0.0) for c, w in scheme.weights.items()) / total


def level(scheme: SeverityScheme, value: float) -> Level:
    """The highest level whose threshold `value` reaches (Baseline below all)."""
    reached: Level = "Baseline"
    for name in LEVELS[1:]:
        if value >= scheme.thresholds.get(name, 101):
            reached = name
    return reached
