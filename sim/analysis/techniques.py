"""How each campaign's ATT&CK techniques fared over replications: how often a stage using one
was reached, was where the intrusion was first detected, and was blocked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..engine import kinds
from ..engine.records import Row
from ..engine.topology import build_topology
from ..engine.world import run_replication
from ..schema.scenario import Scenario


@dataclass
class TechniqueUse:
    """Counts by (campaign id, tactic, technique id), over `replications` runs."""

    replications: int
    reached: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """Stages tried (each ends in success, a block, or the intrusion stopped there on
    detection)."""
    detected: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """Stages at which an intrusion was first detected."""
    blocked: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """Stages blocked (the intrusion ended there)."""


COUNTED = {
    kinds.STAGE_SUCCESS: ("reached",),
    kinds.STAGE_BLOCKED: ("reached", "blocked"),
    kinds.INTRUSION_STOPPED: ("reached",),
    kinds.DETECTED: ("detected",),
}
"""Which counts a stage's row adds to (its stage number is the row's value)."""


def technique_use(scenario: Scenario, seed: int, replications: int) -> TechniqueUse:
    """Run `scenario` (resolved) `replications` times from `seed` and count, per campaign and
    technique, the stages reached, first detected and blocked."""
    use = TechniqueUse(replications)
    topology = build_topology(scenario)
    for number in range(replications):
        records = run_replication(scenario, seed=seed, replication=number, topology=topology)
        count_techniques(use, scenario, records.events)
    return use


def count_techniques(use: TechniqueUse, scenario: Scenario, events: Iterable[Row]) -> None:
    """Add to `use` the stages that one run of `scenario` (its event log `events`) reached,
    first detected and blocked."""
    stages = {c.id: c.stages for c in scenario.campaigns}
    for row in events:
        counts = COUNTED.get(row.kind)
        if counts is None:
            continue
        stage = stages[row.campaign][int(row.value)]
        key = (row.campaign, stage.tactic, stage.technique)
        for name in counts:
            getattr(use, name)[key] += 1
