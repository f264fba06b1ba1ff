"""Major events (a continental final, a summit): windows when consequences weigh more."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import Entity, Hours, Id, Model, Name


class EventWindow(Model):
    """A stretch of a major event (fan zones, opening ceremony, match, post-match transport)."""

    name: Name
    start_hours: Hours
    end_hours: Hours
    multiplier: float = Field(
        default=1.0,
        ge=1,
        allow_inf_nan=False,
        description="Consequence multiplier: how much more a lost service-hour weighs then.",
    )
    incident_surge: float = Field(
        default=1.0,
        ge=1,
        le=1000,
        allow_inf_nan=False,
        description="Routine incidents arrive at the host country's CSIRT this many times as "
        "often during the window (opportunistic attacks and scams drawn by the event; where "
        "windows overlap, the largest surge applies).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> EventWindow:
        if self.end_hours <= self.start_hours:
            raise ValueError("end_hours must be after start_hours")
        return self


class MajorEvent(Entity):
    """A major event hosted by one country, with its windows and its venue's assets."""

    name: Name
    country: Id = Field(description="The host country.")
    windows: tuple[EventWindow, ...] = Field(min_length=1)
    venue_assets: tuple[Id, ...] = Field(default=(), description="Assets serving the venue.")
