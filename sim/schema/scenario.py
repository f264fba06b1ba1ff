"""A scenario: infrastructure, what happens to it, and the variants to compare."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, field_validator

from .base import Hours, Id, Model
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


class Scenario(Infrastructure):
    """Everything one run needs, with every include and table already resolved."""

    name: str
    description: str = ""
    start: AwareDatetime = Field(
        description="Calendar date-time of scenario hour 0, with its UTC offset."
    )
    duration_hours: float = Field(gt=0, allow_inf_nan=False)
    seed: int = Field(default=0, ge=0, description="Root seed of the run's random numbers.")
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

    def digest(self) -> str:
        """SHA-256 of the scenario as JSON: equal digests mean identical inputs (includes,
        tables and any variant resolved), whatever files they came from."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class Sources(Model):
    """Where further infrastructure comes from; paths are relative to the file naming them."""

    include: tuple[str, ...] = Field(default=(), description="Infrastructure model files.")
    assets_csv: str | None = Field(default=None, description="CSV table of assets, one a row.")
    dependencies_csv: str | None = Field(
        default=None, description="CSV table of dependencies, one a row."
    )

    @field_validator("include", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class InfrastructureModel(Infrastructure, Sources):
    """An infrastructure model file (`infrastructure_models/*.yaml`)."""

    name: str = ""
    description: str = ""


class ScenarioFile(Scenario, Sources):
    """A scenario file as written: a scenario that may include models and name CSV tables."""
