"""The exact limit of Kleene iteration for q <- min(1, v + M q), for slowly settling cycles.

Iterating a strong dependency cycle (gain near 1) from below creeps towards its limit in many
tiny steps. `kleene_limit` reaches the same limit in O(log steps) matrix products: between two
moments at which some asset reaches the cap of 1, the iteration is affine, so its 2^k-th
power is found by repeated squaring and the last power that stays below the cap by descent.
"""

from __future__ import annotations

import numpy as np

MAX_DOUBLINGS = 64
"""2^64 iterations are treated as convergence (a cycle whose limit is exactly the cap)."""


def kleene_limit(m: np.ndarray, v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The limit of x <- min(1, v + m x) from x, which must satisfy x <= min(1, v + m x).

    `m` and `v` are non-negative; the result is the least fixed point above x.
    """
    x = x.copy()
    live = _reachable(m, (x > 0) | (v > 0))
    while True:
        free = live & (x < 1.0)
        if not free.any():
            return x
        # On the free assets, one step is x_f <- w + p x_f while no new asset reaches the cap.
        p = m[np.ix_(free, free)]
        w = v[free] + m[np.ix_(free, ~free)] @ x[~free]
        x_f = x[free]
        powers = [(p, w)]
        while np.all(powers[-1][0] @ x_f + powers[-1][1] <= 1.0):
            p_k, w_k = powers[-1]
            if len(powers) > MAX_DOUBLINGS or not p_k.any():
                x[free] = p_k @ x_f + w_k
                return x
            powers.append((p_k @ p_k, p_k @ w_k + w_k))
        for p_k, w_k in reversed(powers):
            step = p_k @ x_f + w_k
            if np.all(step <= 1.0):
                x_f = step
        x[free] = x_f
        x = np.minimum(1.0, v + m @ x)  # at least one free asset reaches the cap


def _reachable(m: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Assets that `start` reaches along m (i is fed by j where m[i, j] > 0): the rest stay 0."""
    seen = start.copy()
    while True:
        grown = seen | ((m > 0) & seen[np.newaxis, :]).any(axis=1)
        if (grown == seen).all():
            return seen
        seen = grown
