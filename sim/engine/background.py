"""Routine incidents: the load every CSIRT carries anyway (Poisson arrivals), heavier while
a major event the country hosts draws opportunistic attacks."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Generator

import numpy as np
import simpy

from ..schema.infrastructure import Country
from .kinds import BACKGROUND_INCIDENT
from .records import Records
from .sampling import draw, exponential

Surge = tuple[float, float, float]
"""(start hour, end hour, factor): the rate is multiplied by `factor` within [start, end)."""


def next_arrival(now: float, work: float, per_hour: float, surges: list[Surge]) -> float:
    """When a Poisson process of `per_hour` an hour, raised by `surges`, has accumulated
    `work` expected arrivals after `now` (a time change: with an exponential `work`, the
    next arrival); infinity if it never does (a rate too small to be a number)."""
    if not surges:  # the common case, and the loop below's first step
        return now + work / per_hour if per_hour > 0 else math.inf
    changes = sorted({t for start, end, _ in surges for t in (start, end) if t > now})
    t = now
    for boundary in [*changes, math.inf]:
        rate = per_hour * max((f for s, e, f in surges if s <= t < e), default=1.0)
        if rate > 0 and work <= rate * (boundary - t):
            return t + work / rate
        if boundary == math.inf:
            return math.inf
        work -= rate * (boundary - t)
        t = boundary
    raise AssertionError("unreachable: the last segment is unbounded")


def background_incidents(
    env: simpy.Environment,
    country: Country,
    records: Records,
    rng: np.random.Generator,
    arrive: Callable[[str, str, float], None],
    surges: list[Surge] = (),  # type: ignore[assignment]
) -> Generator[simpy.Event, None, None]:
    """Log a routine incident at each arrival of a Poisson process of `per_day` a day, times
    the surge of any window in `surges` (value: the analyst-hours it takes; detail: the kind
    drawn from the mix) and pass it to `arrive(country, kind, hours)`."""
    background = country.background
    if background is None or background.per_day == 0:
        return
    per_hour = background.per_day / 24.0
    kinds = list(background.mix)
    shares = np.array([background.mix[k] for k in kinds], dtype=float)
    cumulative = np.cumsum(shares / shares.sum())
    cumulative = (cumulative / cumulative[-1]).tolist()
    # The kind is drawn as `rng.choice(len(kinds), p=shares)` would (one uniform against the
    # cumulative shares), without its per-call checks, which cost more than the rest here.
    where, handling, log = country.id, background.handling, records.log
    while True:
        now = env.now
        arrival = next_arrival(now, exponential(rng), per_hour, surges)
        if arrival == math.inf:
            return
        yield env.timeout(arrival - now)
        kind = kinds[bisect_right(cumulative, rng.random())]
        hours = draw(handling, rng)
        log(env.now, BACKGROUND_INCIDENT, where, "", "", "", hours, kind)
        arrive(where, kind, hours)
