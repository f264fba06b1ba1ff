"""A scenario: infrastructure, what happens to it, and the variants to compare."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..errors import InputError
from .base import MAX_SEED, Hours, Id, Model, Name, RelativePath, Text
from .campaigns import Campaign
from .defenders import Cbms, Network, SeverityScheme
from .events import MajorEvent
from .exercise import Exercise
from .infrastructure import Infrastructure
from .parameters import Parameters


class Disruption(Model):
    """Direct damage to one asset, independent of any adversary (an outage, a storm, a test).

    Without `duration_hours` the damage lasts until the asset is restored, which takes a draw
    from the asset's `recovery` distribution.
    """

    asset: Id
    start_hours: Hours
    damage: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    duration_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


Variant = dict[str, Any]
"""Overrides of scenario values; entities are addressed by id ('supplier->dependent' for
dependencies). An optional `description` key explains the variant."""


TEXT: TypeAdapter[str] = TypeAdapter(Text)
"""Checks a text outside a model (a variant's description) as a Text field would."""


class SeedError(InputError, ValueError):
    """A root seed outside 0 to MAX_SEED."""


MAX_ROUTINE_INCIDENTS = 1_000_000
"""The most routine incidents a run may expect (their rates x the run's length) unless the
loader is given another limit (`cyberttx --max-events`): each costs a few records, and a run
holds its records in memory (about 2.4 KB and 45 microseconds an incident, so about 2.5 GB
and 45 s at this limit; the bundled scenarios expect at most 6,100)."""


class Scenario(Infrastructure):
    """Everything one run needs, with every include and table already resolved."""

    name: Name
    description: Text = ""
    start: AwareDatetime = Field(
        description="Calendar date-time of scenario hour 0, with its UTC offset."
    )
    duration_hours: float = Field(gt=0, allow_inf_nan=False)
    seed: int = Field(
        default=0,
        strict=True,  # `seed: true` is not seed 1
        ge=0,
        le=MAX_SEED,
        description="Root seed of the run's random numbers.",
    )
    disruptions: tuple[Disruption, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    events: tuple[MajorEvent, ...] = Field(default=(), description="Major events and windows.")
    network: Network | None = Field(default=None, description="The regional CSIRT network.")
    cbms: Cbms = Field(default_factory=Cbms)
    severity_scheme: SeverityScheme = Field(
        default_factory=SeverityScheme, description="The scheme adopting countries use."
    )
    parameters: Parameters = Field(default_factory=Parameters)
    variants: dict[Id, Variant] = Field(default_factory=dict)
    exercise: Exercise | None = Field(
        default=None, description="Injects, decision points, teams and objectives for `play`."
    )

    _max_events: int = PrivateAttr(default=MAX_ROUTINE_INCIDENTS)
    """The routine-incident budget this scenario was checked against; variants keep it."""

    @field_validator("variants")
    @classmethod
    def _described(cls, variants: dict[str, Variant]) -> dict[str, Variant]:
        """A variant's description is text shown in reports: the policy of any Text."""
        for name, variant in variants.items():
            description = variant.get("description")
            if isinstance(description, str):
                try:
                    TEXT.validate_python(description)
                except ValidationError as error:
                    raise ValueError(f"{name}.description: {error.errors()[0]['msg']}") from None
        return variants

    @model_validator(mode="after")
    def _bounded(self, info: ValidationInfo) -> Scenario:
        limit = (info.context or {}).get("max_events", MAX_ROUTINE_INCIDENTS)
        try:
            self.start + timedelta(hours=self.duration_hours)
        except OverflowError:
            raise ValueError("start + duration_hours runs past the calendar's end") from None
        surge = max((w.incident_surge for e in self.events for w in e.windows), default=1.0)
        routine = sum(c.background.per_day for c in self.countries if c.background)
        expected = routine * surge * self.duration_hours / 24
        if expected > limit:
            raise ValueError(
                f"about {expected:,.0f} routine incidents a run (background per_day x "
                f"duration): more than the {limit:,} allowed (raise it with "
                "`cyberttx --max-events N`)"
            )
        self._max_events = limit
        return self

    @property
    def limits(self) -> dict[str, int]:
        """The validation context that re-checks a changed copy against the same budget."""
        return {"max_events": self._max_events}

    def calendar_time(self, hours: float) -> str:
        """Calendar time of scenario hour `hours`, as the room reads it: "Sat 13 Jun 14:00"."""
        try:
            return f"{self.start + timedelta(hours=hours):%a %d %b %H:%M}"
        except OverflowError:  # past the calendar's end
            return f"hour {hours:g}"

    def root_seed(self, seed: int | None = None) -> int:
        """The root seed of a run: `seed` if given, else the scenario's own. Raises SeedError
        for a seed that is not a whole number from 0 to MAX_SEED."""
        if seed is None:
            return self.seed
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise SeedError(f"seed: {seed!r} is not a whole number from 0 to {MAX_SEED}")
        return seed

    def exercise_seed(self, seed: int | None = None) -> int:
        """The root seed of a played exercise: `seed` if given, else the exercise's storyline
        seed, else the scenario's. Raises SeedError as `root_seed`."""
        if seed is None and self.exercise is not None:
            seed = self.exercise.seed
        return self.root_seed(seed)

    def as_exercised(self) -> Scenario:
        """The scenario as its exercise plays it: cut at the exercise's `end_hours`, if any
        (what comes after it does not happen; nothing earlier changes)."""
        end = self.exercise.end_hours if self.exercise is not None else None
        if end is None or end >= self.duration_hours:
            return self
        return self.model_copy(update={"duration_hours": end})

    def digest(self) -> str:
        """SHA-256 of the scenario as JSON: equal digests mean identical inputs (includes,
        tables and any variant resolved), whatever files they came from."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class Sources(Model):
    """Where further infrastructure comes from; paths are relative to the file naming them."""

    include: tuple[RelativePath, ...] = Field(default=(), description="Infrastructure model files.")
    assets_csv: RelativePath | None = Field(
        default=None, description="CSV table of assets, one a row."
    )
    dependencies_csv: RelativePath | None = Field(
        default=None, description="CSV table of dependencies, one a row."
    )

    @field_validator("include", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class InfrastructureModel(Infrastructure, Sources):
    """An infrastructure model file (`infrastructure_models/*.yaml`)."""

    name: Name = ""
    description: Text = ""


class ScenarioFile(Scenario, Sources):
    """A scenario file as written: a scenario that may include models and name CSV tables."""
