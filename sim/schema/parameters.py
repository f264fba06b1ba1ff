"""Effect sizes of the defence model: documented assumptions, overridable per scenario and
per variant (docs/engine.md and docs/cbms.md give the rationale of each default)."""

from __future__ import annotations

from pydantic import Field

from .base import Fraction, Model
from .distributions import Distribution, lognormal


class Parameters(Model):
    """Effect sizes of the defence model; documented assumptions, overridable per scenario."""

    indicator_block: Fraction = Field(
        default=0.5,
        description="Share of intrusions stopped when the target holds the campaign's "
        "indicators (blocklists, signatures), spread evenly over the stages.",
    )
    indicator_detection: Fraction = Field(
        default=0.5,
        description="Chance that held indicators reveal a stage the monitoring missed.",
    )
    stop_on_detection: Fraction = Field(
        default=0.5,
        description="Chance that the victim stops an intrusion when it is detected (before "
        "CSIRTs respond).",
    )
    advisory_reach: Fraction = Field(
        default=0.3,
        description="How fully a private operator benefits from indicators its country holds "
        "when no multistakeholder work brings it advisories (public operators: fully).",
    )
    private_report_probability: Fraction = Field(
        default=0.5,
        description="Chance that a private operator reports a detected incident to its national "
        "CSIRT (public operators always report).",
    )
    report_delay: Distribution = Field(
        default_factory=lambda: lognormal(2, 12),
        description="Hours from detection to the national CSIRT hearing of it.",
    )
    self_containment: Distribution = Field(
        default_factory=lambda: lognormal(48, 168),
        description="Hours a victim needs to contain an incident alone; restoration starts at "
        "the earlier of this and the CSIRT's containment.",
    )
    no_scheme_triage_factor: float = Field(
        default=2.0, ge=1, description="Triage takes this many times longer without a scheme."
    )
    no_scheme_noise: float = Field(
        default=15.0, ge=0, description="Std. deviation of the severity score without a scheme."
    )
    takedown_delay: Distribution = Field(
        default_factory=lambda: lognormal(8, 36),
        description="Hours from a request to take a campaign's infrastructure down to it going "
        "down, when the hosting country's CSIRT acts on it (a country's own at once; a "
        "partner's with the network's answer probability, shrunk by points of contact).",
    )
    containment_tasks: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Containing a campaign incident splits into this many equal tasks, which "
        "analysts of the pool (own, lent, joint cell) work in parallel; it is contained when "
        "all are done. So free analysts contain an incident sooner.",
    )
    poc_delay_factor: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Points of contact: assistance and sharing delays shrink by this factor "
        "when both countries have one.",
    )
    norms_answer_probability: Fraction = Field(
        default=0.8,
        description="UN norms: chance that an adopting country answers a request for assistance.",
    )
    norms_prevention_bonus: Fraction = Field(
        default=0.05,
        description="UN norms (responsible vulnerability disclosure): prevention added to the "
        "adopting country's assets.",
    )
    multistakeholder_report_probability: Fraction = Field(
        default=0.9,
        description="Multistakeholder work: chance that a private operator reports.",
    )
    multistakeholder_report_delay_factor: float = Field(
        default=0.5, gt=0, le=1, description="Multistakeholder work: report delays shrink so."
    )
