"""Shared configuration of every scenario-language model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Model(BaseModel):
    """Frozen, strict about unknown fields: every scenario-language model derives from this."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^\s>]+$"),
]
"""An identifier: non-empty, no spaces and no '>' (used in 'supplier->dependent' keys)."""

Hours = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A non-negative, finite number of hours."""

Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A number in [0, 1]."""
