"""Adversary campaigns: who, when, against what, through which ATT&CK stages, to what effect."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .attack import techniques
from .base import Entity, Fraction, Hours, Id, Model, Name
from .distributions import Distribution
from .infrastructure import Sector

Tactic = Literal[
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
    "evasion",
    "inhibit-response-function",
    "impair-process-control",
]
"""ATT&CK tactics (Enterprise and ICS), by their short names."""

DEFAULT_DAMAGE = {"ddos": 0.5, "ransomware": 1.0, "wiper": 1.0, "degrade": 0.3, "exfiltrate": 0.0}
"""Damage an impact does when the campaign does not say."""


class Stage(Model):
    """One step of an intrusion, labelled with an ATT&CK tactic and technique."""

    tactic: Tactic
    technique: str = Field(description="ATT&CK technique id, e.g. T1566.001 or T0831.")
    duration: Distribution = Field(description="Hours the stage takes.")
    success: Fraction = Field(description="Chance the stage succeeds against no defence at all.")
    detectability: Fraction = Field(
        default=0.3, description="Chance a fully monitored target notices the stage."
    )

    @field_validator("technique")
    @classmethod
    def _known_technique(cls, value: str) -> str:
        if value not in techniques():
            raise ValueError(f"unknown ATT&CK technique '{value}' (ATT&CK v18.1)")
        return value

    @model_validator(mode="after")
    def _tactic_matches(self) -> Stage:
        tactics = techniques()[self.technique].tactics
        if self.tactic not in tactics:
            raise ValueError(
                f"{self.technique} is not a '{self.tactic}' technique (it is {', '.join(tactics)})"
            )
        return self


class Targeting(Model):
    """Which assets a campaign goes after, and in what order."""

    countries: tuple[Id, ...] = Field(
        default=(), description="Only these countries (all if empty)."
    )
    sectors: tuple[Sector, ...] = Field(
        default=(), description="Only these sectors (all if empty)."
    )
    assets: tuple[Id, ...] = Field(default=(), description="Named targets, taken first.")
    count: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="How many targets (default: every matching asset)."
    )
    pick: Literal["reach", "weight", "random"] = Field(
        default="reach",
        description="How further targets are chosen: the largest loss they would cascade "
        "(reach), the largest weight, or at random.",
    )
    order: Literal["simultaneous", "sequential", "spreading"] = Field(
        default="simultaneous",
        description="All at once; one after another at `interval_hours`; or outwards from the "
        "first target along dependencies, one hop at a time every `interval_hours`.",
    )
    interval_hours: Hours = 0.0

    @model_validator(mode="after")
    def _aims_somewhere(self) -> Targeting:
        if self.count is not None and self.assets and self.count < len(self.assets):
            raise ValueError("count is smaller than the number of named assets")
        twice = sorted({a for a in self.assets if self.assets.count(a) > 1})
        if twice:
            raise ValueError(f"assets named twice: {', '.join(twice)}")
        return self


class Impact(Model):
    """What a successful intrusion does to its target."""

    type: Literal["ddos", "ransomware", "wiper", "degrade", "exfiltrate"]
    damage: Fraction | None = Field(
        default=None, description="Direct damage (default: ddos 0.5, degrade 0.3, others 1)."
    )
    duration: Distribution | None = Field(
        default=None,
        description="Hours the damage lasts; default: until the asset is restored (a draw "
        "from its recovery distribution), and 6 hours for a ddos.",
    )
    spread: Fraction = Field(
        default=0.0,
        description="Ransomware and wipers: chance of also hitting each other asset of the "
        "same owner.",
    )
    spread_hours: Hours = Field(default=1.0, description="Hours the spread takes.")

    @property
    def level(self) -> float:
        """The damage this impact does."""
        return DEFAULT_DAMAGE[self.type] if self.damage is None else self.damage

    @model_validator(mode="after")
    def _spread_only_for_malware(self) -> Impact:
        if self.spread > 0 and self.type not in {"ransomware", "wiper"}:
            raise ValueError("only ransomware and wipers spread")
        return self


class Campaign(Entity):
    """A malicious cyber campaign: one intrusion per target, each through the same stages."""

    name: Name
    actor: Literal["state", "criminal", "hacktivist"]
    start_hours: Hours
    targeting: Targeting
    stages: tuple[Stage, ...] = Field(min_length=1)
    impact: Impact
    indicators: tuple[str, ...] = Field(
        default=(), description="Indicators of compromise the campaign reuses across targets."
    )
    indicators_known_by: tuple[Id, ...] = Field(
        default=(), description="Countries that hold the indicators from the start."
    )
    infrastructure_in: Id | None = Field(
        default=None,
        description="The country whose networks host the campaign's command-and-control or "
        "attack infrastructure (a botnet's controllers, a crew's servers). A CSIRT that triages "
        "one of its incidents asks that country's CSIRT to take it down (through the network, "
        "unless it is its own); once down, the campaign's intrusions stop and its DDoS end.",
    )
    source: str = Field(default="", description="Where the campaign's figures come from.")
