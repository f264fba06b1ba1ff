"""The exercise layer: injects (MSEL rows), decision points and the actions their options take,
player teams, a roster and objectives (DESIGN.md §2, Exercise layer)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Entity, Fraction, Hours, Id, Model, Name, Text
from .defenders import Level
from .infrastructure import Sector


class Inject(Model):
    """One row of the Master Scenario Events List: a message delivered to players."""

    sequence: int = Field(ge=1, description="Order of delivery; unique.")
    time_hours: Hours = Field(description="Scenario hour at which the inject is delivered.")
    type: str = Field(
        default="information", min_length=1, description="e.g. information, incident, media."
    )
    method: str = Field(
        default="email", min_length=1, description="Delivery method: email, phone, in person…"
    )
    sender: Name = Field(alias="from", min_length=1, description="Who the message comes from.")
    recipient: Name = Field(
        alias="to", min_length=1, description="Who receives it: a team or a role."
    )
    message: Text = Field(min_length=1)
    expected_action: Text = ""
    objective: Id | None = Field(default=None, description="The objective it exercises.")

    model_config = Model.model_config | {"populate_by_name": True}


class ShareIndicators(Model):
    """A country shares the indicators of every campaign it has seen or holds."""

    action: Literal["share_indicators"]
    country: Id
    to: tuple[Id, ...] = Field(
        default=(), description="Recipients (default: the network's other members, or all)."
    )


class RequestAssistance(Model):
    """A country asks another's CSIRT for analysts: from their arrival, for `hours`, they
    join the asking CSIRT's pool and take its work as its own analysts do. The helper lends
    as many as it can spare (it keeps at least half at home) and is without them until
    they return."""

    action: Literal["request_assistance"]
    country: Id
    helper: Id = Field(alias="from", description="The country whose CSIRT lends analysts.")
    analysts: Annotated[int, Field(ge=1, le=1000)] = 2
    arrival_hours: Hours = 4.0
    hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 48.0

    model_config = Model.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _another_country(self) -> RequestAssistance:
        if self.helper == self.country:
            raise ValueError("a country asks another for analysts, not itself")
        return self


class Isolate(Model):
    """Take an asset offline for `hours`: it stops serving, and intrusions on it stop."""

    action: Literal["isolate"]
    asset: Id
    hours: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class RaiseAlert(Model):
    """Raise a sector's alert level for `hours`: better monitoring, some degraded operations."""

    action: Literal["raise_alert"]
    sector: Sector
    country: Id | None = Field(default=None, description="Only this country (default: all).")
    hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 24.0
    monitoring_bonus: Fraction = 0.2
    degradation: Fraction = Field(default=0.05, description="Service lost while on alert.")


class ActivateBackup(Model):
    """Bring an asset's backup on line: it rides through supply losses for `hours` more."""

    action: Literal["activate_backup"]
    asset: Id
    hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 24.0


class Statement(Model):
    """A public statement: recorded, with no mechanical effect."""

    action: Literal["statement"]
    text: Text


Action = Annotated[
    ShareIndicators | RequestAssistance | Isolate | RaiseAlert | ActivateBackup | Statement,
    Field(discriminator="action"),
]
ACTION_KINDS = (
    "share_indicators",
    "request_assistance",
    "isolate",
    "raise_alert",
    "activate_backup",
    "statement",
)


class Option(Model):
    """One choice at a decision point and the engine actions it takes (none: do nothing)."""

    label: Name
    actions: tuple[Action, ...] = ()


class Trigger(Model):
    """A condition: the first incident in `country` triaged at `severity` or above."""

    first_incident_at_least: Level
    country: Id | None = Field(default=None, description="Any country when omitted.")


class DecisionPoint(Entity):
    """A moment the room must decide: at a time, or when a trigger first holds."""

    at_hours: Hours | None = None
    when: Trigger | None = None
    team: Id | None = Field(default=None, description="The team that decides.")
    prompt: Text
    options: tuple[Option, ...] = Field(min_length=2)
    default: int = Field(
        default=0, ge=0, description="Index of the default option, counted from 0."
    )

    @model_validator(mode="after")
    def _complete(self) -> DecisionPoint:
        if (self.at_hours is None) == (self.when is None):
            raise ValueError("give exactly one of at_hours and when")
        if self.default >= len(self.options):
            raise ValueError(f"default {self.default} is not an option index")
        return self


class Team(Entity):
    """A player team: a national CSIRT, sector operators, event security, exercise control."""

    name: Name
    role: Literal["csirt", "operators", "event_security", "control", "observers"] = "csirt"
    country: Id | None = None


class Participant(Model):
    """One person on the roster; gender is optional and only ever reported in aggregate."""

    name: Name
    role: Name
    organisation: Name
    team: Id | None = None
    gender: str | None = None


Rating = Literal["P", "S", "M", "U"]
RATINGS: dict[Rating, str] = {
    "P": "Performed without challenges",
    "S": "Performed with some challenges",
    "M": "Performed with major challenges",
    "U": "Unable to be performed",
}


class Objective(Entity):
    """An exercise objective, rated P/S/M/U from a measured KPI against stated thresholds:
    the best rating whose threshold the measure meets; U when none is met or it is undefined."""

    text: Text
    measure: str = Field(
        description="A dotted path into the run's metrics, e.g. incident_timings.contain.mean."
    )
    better: Literal["lower", "higher"] = "lower"
    thresholds: dict[Literal["P", "S", "M"], float]
    team: Id | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Objective:
        values = [self.thresholds[k] for k in ("P", "S", "M") if k in self.thresholds]
        ordered = values == sorted(values, reverse=self.better == "higher")
        if not ordered:
            way = "P ≤ S ≤ M" if self.better == "lower" else "P ≥ S ≥ M"
            raise ValueError(f"thresholds must run {way} when {self.better} is better")
        return self


class Exercise(Model):
    """What turns a scenario into a facilitated exercise."""

    title: Name
    teams: tuple[Team, ...] = ()
    roster: tuple[Participant, ...] = ()
    objectives: tuple[Objective, ...] = ()
    injects: tuple[Inject, ...] = ()
    decision_points: tuple[DecisionPoint, ...] = ()
