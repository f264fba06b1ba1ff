"""Routine incidents: the load every CSIRT carries anyway (Poisson arrivals)."""

from __future__ import annotations

from bisect import bisect_right
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
    cumulative = np.cumsum(shares / shares.sum())
    cumulative = (cumulative / cumulative[-1]).tolist()
    # The kind is drawn as `rng.choice(len(kinds), p=shares)` would (one uniform against the
    # cumulative shares), without its per-call checks, which cost more than the rest here.
    while True:
        yield env.timeout(rng.exponential(24.0 / background.per_day))
        kind = kinds[bisect_right(cumulative, rng.random())]
        hours = draw(background.handling, rng)
        records.log(env.now, "background_incident", country=country.id, value=hours, detail=kind)
        arrive(country.id, kind, hours)
