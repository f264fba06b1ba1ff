"""Shared configuration of every scenario-language model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^\s>]+$"),
]
"""An identifier: non-empty, no spaces and no '>' (used in 'supplier->dependent' keys)."""


class Model(BaseModel):
    """Frozen, strict about unknown fields: every scenario-language model derives from this."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)


class Entity(Model):
    """A model with an `id`, by which variants and other entities refer to it."""

    id: Id

    @property
    def key(self) -> str:
        """The name variants use for this entity: its id."""
        return self.id


Hours = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A non-negative, finite number of hours."""

Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A number in [0, 1]."""
