"""Drawing hours from the scenario language's distributions.

Every draw takes exactly one uniform from its stream and turns it into hours by the
distribution's inverse CDF, so the numbers a stream gives later never depend on which
distribution an earlier draw used: a variant that makes a delay `fixed`, or changes its
family, leaves every other draw of the replication where it was (common random numbers).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from ..schema.distributions import Exponential, Fixed, Lognormal, Triangular, Uniform

Z90 = 1.2815515655446004
"""The standard normal's 90th percentile: a lognormal's sigma is ln(p90 / median) / Z90."""

_NORMAL = NormalDist()
_SMALLEST = 2.0**-53
"""Uniforms of 0 are raised to this, where the inverse CDF needs u > 0."""


def draw(
    dist: Fixed | Exponential | Uniform | Triangular | Lognormal, rng: np.random.Generator
) -> float:
    """One draw in hours, from one uniform of `rng` (taken whatever the distribution)."""
    u = float(rng.random())
    match dist:
        case Fixed():
            return dist.hours
        case Exponential():
            return -dist.mean * math.log1p(-u)
        case Uniform():
            return dist.low + u * (dist.high - dist.low)
        case Triangular() if dist.low < dist.high:
            width = dist.high - dist.low
            if u * width < dist.mode - dist.low:
                return dist.low + math.sqrt(u * width * (dist.mode - dist.low))
            return dist.high - math.sqrt((1 - u) * width * (dist.high - dist.mode))
        case Triangular():
            return dist.low
        case Lognormal():
            sigma = math.log(dist.p90 / dist.median) / Z90
            return dist.median * math.exp(sigma * _NORMAL.inv_cdf(max(u, _SMALLEST)))
    raise TypeError(f"not a distribution: {dist!r}")


def exponential(rng: np.random.Generator) -> float:
    """A standard exponential draw from one uniform of `rng`."""
    return -math.log1p(-float(rng.random()))
