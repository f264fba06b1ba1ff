"""Distributions of durations in hours, selected by their `dist` name."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from .base import Hours, Model

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Fixed(Model):
    """Always the same number of hours."""

    dist: Literal["fixed"]
    hours: Hours


class Exponential(Model):
    """Memoryless durations with the given mean."""

    dist: Literal["exponential"]
    mean: Positive


class Uniform(Model):
    """Any duration between `low` and `high`, equally likely."""

    dist: Literal["uniform"]
    low: Hours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self


class Triangular(Model):
    """Durations between `low` and `high`, most often near `mode`."""

    dist: Literal["triangular"]
    low: Hours
    mode: Hours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("need low <= mode <= high")
        return self


class Lognormal(Model):
    """Right-skewed durations given by their median and 90th percentile (p90 > median)."""

    dist: Literal["lognormal"]
    median: Positive
    p90: Positive

    @model_validator(mode="after")
    def _ordered(self) -> Lognormal:
        if self.p90 <= self.median:
            raise ValueError("p90 must be greater than median")
        return self


Distribution = Annotated[
    Fixed | Exponential | Uniform | Triangular | Lognormal, Field(discriminator="dist")
]
"""A duration distribution in hours; `dist` names the family."""

DISTRIBUTION_NAMES = frozenset(
    get_args(family.model_fields["dist"].annotation)[0]
    for family in (Fixed, Exponential, Uniform, Triangular, Lognormal)
)
"""The `dist` names (pydantic puts them in error paths; reports leave them out)."""


def fixed(hours: float) -> Fixed:
    """A fixed number of hours (for defaults)."""
    return Fixed(dist="fixed", hours=hours)


def lognormal(median: float, p90: float) -> Lognormal:
    """A lognormal by median and 90th percentile (for defaults)."""
    return Lognormal(dist="lognormal", median=median, p90=p90)
