"""Routine incidents: the load every CSIRT carries anyway (Poisson arrivals)."""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from ..schema.infrastructure import Country
from .records import Records
from .sampling import draw


def background_incidents(
    env: simpy.Environment,
    country: Country,
    records: Records,
    rng: np.random.Generator,
    arrive: Callable[[str, str, float], None],
) -> Generator[simpy.Event, None, None]:
    """Log a routine incident at each arrival of a Poisson process of `per_day` a day (value:
    the analyst-hours it takes; detail: the kind drawn from the mix) and pass it to
    `arrive(country, kind, hours)`."""
    background = country.background
    if background is None or background.per_day == 0:
        return
    kinds = list(background.mix)
    shares = np.array([background.mix[k] for k in kinds], dtype=float)
    shares /= shares.sum()
    while True:
        yield env.timeout(rng.exponential(24.0 / background.per_day))
        kind = kinds[rng.choice(len(kinds), p=shares)]
        hours = draw(background.handling, rng)
        records.log(env.now, "background_incident", country=country.id, value=hours, detail=kind)
        arrive(country.id, kind, hours)
