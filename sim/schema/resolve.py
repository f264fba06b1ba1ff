"""A scenario resolved once on its way to the engine: found, read, checked, variant applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..library import resolve_scenario
from .load import load_scenario
from .scenario import MAX_ROUTINE_INCIDENTS, Scenario
from .variants import apply_variant


@dataclass(frozen=True)
class Resolved:
    """What a command runs: the file, the scenario as written (its variants declared), and
    the scenario with the chosen variant applied."""

    path: Path
    written: Scenario
    variant: str | None
    scenario: Scenario

    def seed(self, seed: int | None = None) -> int:
        """The root seed of a run: `seed` if given, else the scenario's."""
        return self.scenario.root_seed(seed)

    def with_variant(self, variant: str | None) -> Resolved:
        """The same file with another variant applied. Raises VariantError."""
        return Resolved(self.path, self.written, variant, apply_variant(self.written, variant))


def resolve(
    source: str | Path | None = None,
    variant: str | None = None,
    *,
    allowed: Sequence[Path] = (),
    max_events: int = MAX_ROUTINE_INCIDENTS,
) -> Resolved:
    """The scenario `source` names (a file, a bundled scenario's name, or None for the bundled
    default) with `variant` applied; `allowed` and `max_events` as for `load_scenario`.

    Raises InputError (ScenarioError, VariantError, UnknownScenario) naming the file and field.
    """
    path = resolve_scenario(None if source is None else str(source))
    written = load_scenario(path, allowed=allowed, max_events=max_events)
    return Resolved(path, written, variant, apply_variant(written, variant))
