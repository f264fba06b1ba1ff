"""The exercise layer: injects (MSEL rows), decision points and the actions their options take,
player teams, a roster and objectives (DESIGN.md §2, Exercise layer)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .base import MAX_SEED, Entity, Fraction, Hours, Id, Model, Name, Text
from .defenders import Level
from .infrastructure import Sector

FACTS = (
    "first_incident_at_least",
    "asset_down",
    "sector_down",
    "campaign_reached",
    "campaign_detected",
    "campaign_impact",
    "indicators_received",
    "assistance",
    "window_opens",
)
"""The simulated facts a trigger can wait for (one per trigger)."""

PLACEHOLDERS = (
    "asset",
    "asset_name",
    "country",
    "country_name",
    "campaign",
    "campaign_name",
    "time",
)
"""What a triggered inject's message may name in braces, filled from the fact that fired it."""
LANGUAGES = ("en", "es", "pt", "fr")
"""The languages a room speaks (the OAS's four): a scenario may translate its injects and
decision points into any of them."""

Language = Literal["en", "es", "pt", "fr"]

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class Trigger(Model):
    """A simulated fact. An inject or decision point with `when:` fires the first time the fact
    holds (and `after_hours` later); an inject's `premise:` is a fact its text takes for
    granted. Give exactly one fact; `country` narrows it to one country."""

    first_incident_at_least: Level | None = Field(
        default=None, description="An incident is triaged at this severity or above."
    )
    asset_down: Id | None = Field(default=None, description="This asset fails (q ≥ 0.5).")
    sector_down: Sector | None = Field(default=None, description="An asset of this sector fails.")
    campaign_reached: Id | None = Field(
        default=None, description="A stage of this campaign succeeds on a target."
    )
    campaign_detected: Id | None = Field(
        default=None, description="A defender detects this campaign's intrusion."
    )
    campaign_impact: Id | None = Field(
        default=None, description="This campaign's impact lands (ransomware, wiper, DDoS...)."
    )
    indicators_received: bool = Field(
        default=False, description="A CSIRT receives indicators from a partner."
    )
    assistance: Literal["requested", "answered", "arrived"] | None = Field(
        default=None, description="Analysts are asked for, promised, or arrive."
    )
    window_opens: Id | None = Field(
        default=None, description="A window of this major event opens (the first, or `window`)."
    )
    window: Name | None = Field(default=None, description="The window of `window_opens`.")
    country: Id | None = Field(default=None, description="Any country when omitted.")
    after_hours: Hours = Field(default=0.0, description="Fire this long after the fact.")

    @model_validator(mode="after")
    def _one_fact(self) -> Trigger:
        given = [f for f in FACTS if getattr(self, f) not in (None, False)]
        if len(given) != 1:
            raise ValueError(f"give exactly one fact of: {', '.join(FACTS)}")
        if self.window is not None and self.window_opens is None:
            raise ValueError("`window` names a window of `window_opens`")
        return self

    @property
    def fact(self) -> str:
        """The name of the fact this trigger waits for."""
        return next(f for f in FACTS if getattr(self, f) not in (None, False))

    def describe(self) -> str:
        """The fact in words, for facilitators."""
        value = getattr(self, self.fact)
        where = f" in {self.country}" if self.country else ""
        later = f", {self.after_hours:g} h later" if self.after_hours else ""
        article = "an" if str(value)[:1] in tuple("aeiou") else "a"
        words = {
            "first_incident_at_least": f"an incident rated {value} or above{where}",
            "asset_down": f"{value} fails",
            "sector_down": f"{article} {value} asset fails{where}",
            "campaign_reached": f"campaign {value} reaches a target{where}",
            "campaign_detected": f"campaign {value} is detected{where}",
            "campaign_impact": f"campaign {value} lands its impact{where}",
            "indicators_received": f"indicators arrive from a partner{where}",
            "assistance": f"analysts are {value}{where}",
            "window_opens": f"{self.window or 'the first window'} of {value} opens",
        }
        return words[self.fact] + later


class Inject(Model):
    """One row of the Master Scenario Events List: a message delivered to players."""

    sequence: int = Field(ge=1, description="Order of delivery; unique.")
    time_hours: Hours = Field(
        description="Scenario hour at which the inject is delivered; with `when`, the hour "
        "before which it is not (default 0)."
    )
    when: Trigger | None = Field(
        default=None, description="Deliver when this simulated fact first holds."
    )
    premise: Trigger | None = Field(
        default=None,
        description="A fact the message takes for granted: play warns the facilitator when "
        "it has not happened by the inject's time.",
    )
    type: str = Field(
        default="information", min_length=1, description="e.g. information, incident, media."
    )
    method: Name = Field(
        default="email", min_length=1, description="Delivery method: email, phone, in person…"
    )
    sender: Name = Field(alias="from", min_length=1, description="Who the message comes from.")
    recipient: Name = Field(
        alias="to", min_length=1, description="Who receives it: a team or a role."
    )
    message: Text = Field(min_length=1)
    expected_action: Text = ""
    objective: Id | None = Field(default=None, description="The objective it exercises.")
    translations: dict[Language, Text] = Field(
        default_factory=dict,
        description="The message in other languages (same placeholders), e.g. {es: ...}.",
    )

    model_config = Model.model_config | {"populate_by_name": True}

    @model_validator(mode="before")
    @classmethod
    def _not_before(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("when") is not None:
            return {"time_hours": 0.0} | data
        return data

    @model_validator(mode="after")
    def _grounded(self) -> Inject:
        if self.when is not None and self.premise is not None:
            raise ValueError("a triggered inject needs no premise: its trigger is the fact")
        if self.when is None and _PLACEHOLDER.search(self.message):
            raise ValueError(
                "the message names what fired it ({asset}, {country}...) but has no `when:`"
            )
        if self.when is None and self.premise is None and self.type.lower() == "incident":
            raise ValueError(
                "an incident inject at a fixed time asserts what the simulation may not do: "
                "give it `when:` (deliver on the simulated fact) or `premise:` (warn the "
                "facilitator when the fact has not happened)"
            )
        return self

    def render(self, fields: dict[str, str], language: str | None = None) -> str:
        """The message (in `language` when translated) with each placeholder filled from
        `fields` (unknown ones kept)."""
        text = self.translations.get(language, self.message)  # type: ignore[call-overload]
        return _PLACEHOLDER.sub(lambda m: fields.get(m.group(1), m.group(0)), text)


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
    """Raise the alert level of a sector's assets (in one country, or all), or of the named
    `assets`, for `hours`: better monitoring, some degraded operations."""

    action: Literal["raise_alert"]
    sector: Sector | None = Field(default=None, description="Every asset of this sector.")
    assets: tuple[Id, ...] = Field(
        default=(), description="Only these assets (instead of a whole sector)."
    )
    country: Id | None = Field(default=None, description="Only this country (default: all).")
    hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 24.0
    monitoring_bonus: Fraction = 0.2
    degradation: Fraction = Field(default=0.05, description="Service lost while on alert.")

    @model_validator(mode="after")
    def _what(self) -> RaiseAlert:
        if (self.sector is None) == (not self.assets):
            raise ValueError("give a sector or a list of assets to put on alert, not both")
        return self


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


class Move(Model):
    """What a team does outside any decision point (shares, asks for or lends analysts,
    isolates, raises an alert, uses a backup, speaks): its actions at a scenario hour."""

    time_hours: Hours
    country: Id = Field(description="The country whose team acts.")
    label: Name = Field(description="What it did, in words.")
    actions: tuple[Action, ...] = Field(min_length=1, max_length=20)


Expectation = Literal["lower", "higher", "none"]
"""What an option is expected to do to the service-hours lost, against its point's default."""


class Option(Model):
    """One choice at a decision point and the engine actions it takes (none: do nothing)."""

    label: Name
    actions: tuple[Action, ...] = ()
    expect: Expectation | None = Field(
        default=None,
        description="Its expected effect on the service-hours lost against the point's "
        "default: lower, higher, or none. `cyberttx decisions` measures it over paired seeds.",
    )


class PointTranslation(Model):
    """A decision point in another language: its prompt and each option's label, in order."""

    prompt: Text
    options: tuple[Name, ...] = Field(min_length=2)


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
    translations: dict[Language, PointTranslation] = Field(
        default_factory=dict, description="The prompt and option labels in other languages."
    )

    @model_validator(mode="after")
    def _complete(self) -> DecisionPoint:
        if (self.at_hours is None) == (self.when is None):
            raise ValueError("give exactly one of at_hours and when")
        if self.default >= len(self.options):
            raise ValueError(f"default {self.default} is not an option index")
        if self.options[self.default].expect is not None:
            raise ValueError(
                f"options[{self.default}]: the default is what the others are measured "
                "against, so it has no `expect`"
            )
        for language, translated in self.translations.items():
            if len(translated.options) != len(self.options):
                raise ValueError(
                    f"translations.{language}: {len(translated.options)} option labels for "
                    f"{len(self.options)} options"
                )
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
    seed: int | None = Field(
        default=None,
        strict=True,  # `seed: true` is not seed 1
        ge=0,
        le=MAX_SEED,
        description="The seed `play` uses unless told otherwise: a run in which the story the "
        "injects tell unfolds (default: the scenario's seed).",
    )
    end_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        default=None,
        description="The hour the exercise ends, if before the scenario does: play, its "
        "after-action report and `cyberttx decisions` stop there.",
    )
    teams: tuple[Team, ...] = ()
    roster: tuple[Participant, ...] = ()
    objectives: tuple[Objective, ...] = ()
    injects: tuple[Inject, ...] = ()
    decision_points: tuple[DecisionPoint, ...] = ()
