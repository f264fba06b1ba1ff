"""Defenders: what national CSIRTs carry and how they respond."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import Fraction, Id, Model
from .distributions import Distribution, fixed, lognormal


class Background(Model):
    """Routine incidents a country's CSIRT handles anyway (Poisson arrivals)."""

    per_day: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    handling: Distribution = Field(description="Analyst-hours to handle one incident.")
    mix: dict[
        Literal["phishing", "malware", "scanning", "ddos", "fraud", "other"],
        Annotated[float, Field(ge=0, allow_inf_nan=False)],
    ] = Field(
        default_factory=lambda: {"phishing": 0.5, "malware": 0.3, "scanning": 0.2},
        description="Relative frequency of each kind of routine incident.",
    )

    @field_validator("mix")
    @classmethod
    def _positive_mix(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or any(v < 0 for v in value.values()) or sum(value.values()) <= 0:
            raise ValueError("needs non-negative frequencies with a positive total")
        return value


Level = Literal["Baseline", "Low", "Medium", "High", "Severe", "Emergency"]
"""Severity levels, lowest first (after the US National Cyber Incident Scoring System)."""

LEVELS: tuple[Level, ...] = ("Baseline", "Low", "Medium", "High", "Severe", "Emergency")

Category = Literal[
    "functional_impact",
    "observed_activity",
    "location",
    "actor",
    "information_impact",
    "recoverability",
    "cross_sector_dependency",
    "potential_impact",
]
"""NCISS-style scoring categories, each rated 0-1 for an incident by the engine."""


class Shifts(Model):
    """Fewer analysts on duty at night (hours of the day in the scenario's time zone)."""

    night_from: Annotated[float, Field(ge=0, lt=24)] = 22.0
    night_to: Annotated[float, Field(ge=0, lt=24)] = 6.0
    night_analysts: Annotated[int, Field(ge=0)] = 1

    @model_validator(mode="after")
    def _some_night(self) -> Shifts:
        if self.night_from == self.night_to:
            raise ValueError("night_from and night_to must differ")
        return self


class Csirt(Model):
    """A national CSIRT: a team of analysts working incidents one analyst at a time."""

    analysts: Annotated[int, Field(ge=1)]
    shifts: Shifts | None = Field(default=None, description="Reduced cover at night.")
    triage: Distribution = Field(
        default_factory=lambda: fixed(0.5),
        description="Analyst-hours to triage an incident (score its severity).",
    )
    containment: Distribution = Field(
        default_factory=lambda: lognormal(6, 24),
        description="Analyst-hours to contain a campaign's intrusion.",
    )

    @model_validator(mode="after")
    def _cover(self) -> Csirt:
        if self.shifts is not None and self.shifts.night_analysts > self.analysts:
            raise ValueError("shifts.night_analysts exceeds analysts")
        return self


class SeverityScheme(Model):
    """Weighted categories -> score 0-100 -> level. The published NCISS keeps its weights and
    thresholds private: these defaults are assumptions, labelled as such in docs/cbms.md."""

    weights: dict[Category, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {
            "functional_impact": 0.2,
            "observed_activity": 0.15,
            "location": 0.1,
            "actor": 0.1,
            "information_impact": 0.1,
            "recoverability": 0.15,
            "cross_sector_dependency": 0.1,
            "potential_impact": 0.1,
        }
    )
    thresholds: dict[Level, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: {
            "Low": 15,
            "Medium": 30,
            "High": 50,
            "Severe": 70,
            "Emergency": 85,
        },
        description="Lowest score of each level above Baseline.",
    )

    @field_validator("weights")
    @classmethod
    def _some_weight(cls, value: dict[str, float]) -> dict[str, float]:
        if sum(value.values()) <= 0:
            raise ValueError("needs a positive total weight")
        return value


class JointCell(Model):
    """Analysts pooled by the network's members during a major event's windows."""

    analysts: Annotated[int, Field(ge=1)]
    windows: tuple[tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]], ...] = (
        Field(min_length=1, description="[start, end] hours when the cell works.")
    )

    @field_validator("windows")
    @classmethod
    def _ordered(cls, value: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        if any(start >= end for start, end in value):
            raise ValueError("each window needs start < end")
        return value


class Network(Model):
    """A regional CSIRT network (CSIRTAmericas-like): indicator sharing and assistance."""

    members: tuple[Id, ...]
    sharing_delay: Distribution = Field(
        default_factory=lambda: lognormal(6, 24),
        description="Hours from one member publishing indicators to another holding them.",
    )
    sharing_coverage: Fraction = Field(
        default=0.8, description="Chance that a published indicator set reaches a given member."
    )
    assistance_threshold: Level = Field(
        default="High", description="Incidents at this severity or above ask for assistance."
    )
    answer_probability: Fraction = Field(
        default=0.4, description="Chance that a partner answers a request for assistance."
    )
    answer_delay: Distribution = Field(
        default_factory=lambda: lognormal(12, 48),
        description="Hours from a request to the lent analysts arriving.",
    )
    analysts_lent: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=2, description="Analysts a partner lends when it answers a request."
    )
    assistance_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        default=48.0,
        description="Hours lent analysts stay in the asking CSIRT's pool after they arrive.",
    )
    joint_cell: JointCell | None = None


class Cbms(Model):
    """Confidence-building measures: for each, the countries that adopted it."""

    points_of_contact: tuple[Id, ...] = ()
    incident_sharing: tuple[Id, ...] = ()
    severity_schemes: tuple[Id, ...] = ()
    un_norms: tuple[Id, ...] = ()
    multistakeholder: tuple[Id, ...] = ()
    international_law_dialogue: tuple[Id, ...] = Field(
        default=(), description="Recorded for the exercise; no mechanical effect is claimed."
    )
    womens_participation: tuple[Id, ...] = Field(
        default=(), description="Recorded for the exercise; no mechanical effect is claimed."
    )
