"""Defenders: what national CSIRTs carry and how they respond."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from .base import Model
from .distributions import Distribution


class Background(Model):
    """Routine incidents a country's CSIRT handles anyway (Poisson arrivals)."""

    per_day: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    handling: Distribution = Field(description="Analyst-hours to handle one incident.")
    mix: dict[Literal["phishing", "malware", "scanning", "ddos", "fraud", "other"], float] = Field(
        default_factory=lambda: {"phishing": 0.5, "malware": 0.3, "scanning": 0.2},
        description="Relative frequency of each kind of routine incident.",
    )

    @field_validator("mix")
    @classmethod
    def _positive_mix(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or any(v < 0 for v in value.values()) or sum(value.values()) <= 0:
            raise ValueError("needs non-negative frequencies with a positive total")
        return value
