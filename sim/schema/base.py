"""Shared configuration of every scenario-language model."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

HIDDEN_CHARACTERS = "".join(
    map(
        chr,
        [
            *range(0x00, 0x09),
            0x0B,
            0x0C,
            *range(0x0E, 0x20),
            *range(0x7F, 0xA0),
            *range(0x200B, 0x2010),
            *range(0x202A, 0x202F),
            *range(0x2060, 0x206A),
            0xFEFF,
        ],
    )
)
"""Control characters (tab, line feed and carriage return apart), zero-width characters and
bidirectional overrides: they hide or reorder what a terminal or a page shows."""

MAX_SEED = 2**63 - 1
"""The largest root seed."""

_HIDDEN = re.compile(f"[{re.escape(HIDDEN_CHARACTERS)}]")


def _visible(value: str) -> str:
    found = _HIDDEN.search(value)
    if found:
        raise ValueError(
            f"contains a control, zero-width or direction-override character "
            f"(U+{ord(found.group()):04X} at position {found.start() + 1})"
        )
    return value


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^\s>]+$"),
    AfterValidator(_visible),
]
"""An identifier: non-empty, no spaces and no '>' (used in 'supplier->dependent' keys), no
hidden characters."""


def _one_line(value: str) -> str:
    if any(c in value for c in LINE_BREAKS):
        raise ValueError("contains a line break: a name is one line")
    return value


LINE_BREAKS = "\r\n\x85\u2028\u2029"

Name = Annotated[
    str, StringConstraints(max_length=300), AfterValidator(_visible), AfterValidator(_one_line)
]
"""A name or label: at most 300 characters on one line, no hidden characters."""

RelativePath = Annotated[
    str, StringConstraints(min_length=1, max_length=4096), AfterValidator(_visible)
]
"""A file a scenario names (an include or a table): no hidden characters (a NUL included)."""

Text = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_visible)]
"""Free text (descriptions, messages): at most 20,000 characters, no hidden characters
other than tabs and line breaks."""


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
