"""What the projector board shows of a running world, and what only control sees of the
attacker's side."""

from __future__ import annotations

from typing import Any

from ..engine import kinds
from ..engine.infrastructure import DOWN
from ..engine.world import World

TICK_HOURS = 0.02
"""Simulated hours between two looks at the wall clock (72 simulated seconds)."""

TRUTH = {
    kinds.INTRUSION_START: "intrusion begins",
    kinds.STAGE_SUCCESS: "stage succeeds",
    kinds.STAGE_BLOCKED: "stage blocked",
    kinds.IMPACT: "impact lands",
}
"""What the facilitator alone sees of the attacker's side."""


def board(world: World, previous: dict[str, Any], open_incidents: int) -> dict[str, Any]:
    """What the projector shows: per country and sector the assets down out of all, and the
    KPIs (`open_incidents` counted by the caller as rows arrive, not rescanned each tick); the
    service-hours lost so far add the service lost at the last tick over a tick."""
    cells: dict[str, dict[str, list[int]]] = {}
    lost = 0.0
    for asset, q in zip(world.infra.assets, world.infra.q, strict=True):
        cell = cells.setdefault(asset.country, {}).setdefault(asset.sector, [0, 0])
        cell[0] += int(q >= DOWN)
        cell[1] += 1
        lost += asset.weight * float(q)
    before = previous.get("kpis", {})
    so_far = before.get("service_hours_lost", 0.0)
    so_far += before.get("service_lost_now", 0.0) * TICK_HOURS
    return {
        "cells": cells,
        "kpis": {
            "assets_down": sum(c[0] for by in cells.values() for c in by.values()),
            "service_lost_now": lost,
            "service_hours_lost": so_far,
            "open_incidents": open_incidents,
        },
    }
