"""Countries, assets and the dependencies between them."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from .base import Entity, Fraction, Hours, Id, Model, Name
from .defenders import Background, Csirt, SeverityScheme
from .distributions import Distribution

Sector = Literal[
    "energy",
    "telecom",
    "water",
    "finance",
    "transport",
    "health",
    "emergency_services",
    "government",
    "media_broadcast",
    "event_venue",
    "food",
    "chemical",
    "manufacturing",
    "defence",
    "other",
]
"""Critical-infrastructure sectors an asset can belong to."""

SECTORS: tuple[str, ...] = get_args(Sector)
"""Every sector, in the order tables and plots list them."""

DependencyKind = Literal["physical", "cyber", "geographic", "logical"]
"""Rinaldi, Peerenboom & Kelly (2001): how the supplier's state reaches the dependent."""


class Country(Entity):
    """A state taking part in the scenario."""

    name: Name
    csirt: Csirt | None = Field(default=None, description="Its national CSIRT, if it has one.")
    background: Background | None = Field(
        default=None, description="Routine incidents its CSIRT handles during the scenario."
    )
    severity_scheme: SeverityScheme | None = Field(
        default=None,
        description="Its own scheme, used once it adopts the severity_schemes CBM (default: "
        "the scenario's).",
    )


class Asset(Entity):
    """A piece of critical infrastructure whose service can be lost."""

    name: Name
    sector: Sector
    country: Id = Field(description="Id of the country the asset is in.")
    operator: Literal["public", "private"] = "public"
    owner: str = Field(
        default="", description="The organisation that runs it; ransomware spreads within one."
    )
    weight: float = Field(
        default=1.0,
        ge=0,
        allow_inf_nan=False,
        description="Consequence weight: customers or people served.",
    )
    backup_hours: Hours = Field(
        default=0.0,
        description="Ride-through (generators, fuel, caches) before a supplier loss is felt.",
    )
    recovery: Distribution = Field(description="Hours to restore service after direct damage.")
    prevention: Fraction = Field(
        default=0.5, description="Share of intrusions it stops, 0-1 (see campaigns)."
    )
    monitoring: Fraction = Field(
        default=0.5, description="How well it notices intrusion stages, 0-1 (see campaigns)."
    )


class Dependency(Model):
    """The dependent loses `strength` x the supplier's inoperability, `delay_hours` later."""

    supplier: Id
    dependent: Id
    kind: DependencyKind = "physical"
    strength: Fraction
    delay_hours: Hours = 0.0

    @property
    def key(self) -> str:
        """The name variants use for this dependency: 'supplier->dependent'."""
        return f"{self.supplier}->{self.dependent}"


class Infrastructure(Model):
    """Countries, assets and dependencies: the part shared by scenarios and models."""

    countries: tuple[Country, ...] = ()
    assets: tuple[Asset, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
