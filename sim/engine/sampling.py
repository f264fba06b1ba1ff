"""Drawing hours from the scenario language's distributions."""

from __future__ import annotations

import math

import numpy as np

from ..schema.distributions import Exponential, Fixed, Lognormal, Triangular, Uniform

Z90 = 1.2815515655446004
"""The standard normal's 90th percentile: a lognormal's sigma is ln(p90 / median) / Z90."""


def draw(
    dist: Fixed | Exponential | Uniform | Triangular | Lognormal, rng: np.random.Generator
) -> float:
    """One draw in hours; `Fixed` consumes no random number."""
    match dist:
        case Fixed():
            return dist.hours
        case Exponential():
            return float(rng.exponential(dist.mean))
        case Uniform():
            return float(rng.uniform(dist.low, dist.high))
        case Triangular() if dist.low < dist.high:
            return float(rng.triangular(dist.low, dist.mode, dist.high))
        case Triangular():
            return dist.low
        case Lognormal():
            sigma = math.log(dist.p90 / dist.median) / Z90
            return float(rng.lognormal(math.log(dist.median), sigma))
    raise TypeError(f"not a distribution: {dist!r}")
