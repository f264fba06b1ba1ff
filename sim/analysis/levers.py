"""The lever audit: does each lever a scenario offers move its outcome, by how much, and when
it does not, why not.

The levers are the mechanical CBMs (each alone against none, and each marginal: all against
all but it) and each CSIRT's capacity (half and one and a half times its analysts, against
the scenario as given). Every effect is a paired difference over common random numbers, with
a bootstrap interval: a lever often changes nothing in most replications and a lot in a few,
and a symmetric t-interval misplaces such an effect. An effect that is zero, not resolved or
against its mechanism's direction gets a diagnosis in words, from the scenario's structure and
from how far the runs used the lever's pathways (the `cooperation` counts of each row).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from ..schema.scenario import Scenario
from ..schema.variants import apply_overrides
from .designs import MECHANICAL_CBMS, cbm_ablation

CAPACITY_FACTORS = (0.5, 1.5)
"""Each CSIRT's analysts are scaled by these factors (rounded, at least 1)."""

OUTCOME = "service_hours_lost"
"""The outcome the audit judges levers by."""

RESAMPLES = 4000
"""Bootstrap resamples per interval (drawn from a fixed seed: the audit is deterministic)."""


@dataclass(frozen=True)
class LeverTest:
    """One paired comparison of the audit."""

    lever: str
    """The CBM's name, or `analysts COUNTRY`."""
    test: str
    """`alone`, `marginal`, or the analysts compared (`5 of 10 analysts`)."""
    variant: str
    against: str
    expected: int
    """The sign its mechanism gives the effect on loss: -1 (lowers it) or +1 (raises it)."""


def lever_design(scenario: Scenario) -> tuple[dict[str, Scenario], list[LeverTest]]:
    """The variants the audit runs, by label, and its comparisons. CBMs are adopted by every
    country, on the scenario's own network (cbm_ablation). Capacity is varied on the scenario
    as given, which is the ablation's `none` when it adopts no CBM."""
    variants = cbm_ablation(scenario)
    tests = [LeverTest(c, "alone", f"only_{c}", "none", -1) for c in MECHANICAL_CBMS]
    tests += [LeverTest(c, "marginal", "all", f"all_but_{c}", -1) for c in MECHANICAL_CBMS]
    reference = "none"
    if scenario.digest() != variants["none"].digest():
        reference = "as_given"
        variants[reference] = scenario
    for country in scenario.countries:
        if country.csirt is None:
            continue
        analysts = country.csirt.analysts
        for factor in CAPACITY_FACTORS:
            changed = max(1, round(analysts * factor))
            if changed == analysts:
                continue
            label = f"analysts_{country.id}_{changed}"
            override = {"countries": {country.id: {"csirt": {"analysts": changed}}}}
            variants[label] = apply_overrides(scenario, override)
            sign = -1 if changed > analysts else 1
            test = f"{changed} of {analysts} analysts"
            tests.append(LeverTest(f"analysts {country.id}", test, label, reference, sign))
    return variants, tests


@dataclass(frozen=True)
class LeverEffect:
    """A lever's paired effect on service-hours lost, and what it means."""

    lever: str
    test: str
    variant: str
    against: str
    n: int
    baseline_mean: float
    """Mean loss of the reference (`against`)."""
    effect: float
    """Mean of the paired differences, variant minus reference."""
    low: float
    high: float
    """The 95% bootstrap interval of `effect`."""
    runs_lower: int
    runs_higher: int
    """Replications in which the variant lost less, and more, than the reference."""
    expected_sign: int
    verdict: str
    """`lowers loss`, `raises loss`, `no effect` (the same loss in every replication) or
    `not resolved` (the interval contains zero)."""
    replications_to_resolve: int | None
    """About how many replications would resolve an effect that is not resolved, judged
    from its mean and spread so far; None otherwise."""
    diagnosis: str = ""

    @property
    def as_expected(self) -> bool:
        """Resolved, with the sign its mechanism gives it."""
        return self.verdict == ("lowers loss" if self.expected_sign < 0 else "raises loss")

    def percent(self, value: float) -> float:
        """`value` as a percentage of the reference's mean loss."""
        return 100 * value / self.baseline_mean if self.baseline_mean else math.nan

    def row(self) -> dict[str, Any]:
        """A flat row for levers.csv."""
        row = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in {"diagnosis", "expected_sign"}
        }
        row |= {
            "effect_percent": self.percent(self.effect),
            "low_percent": self.percent(self.low),
            "high_percent": self.percent(self.high),
            "expected": "lowers loss" if self.expected_sign < 0 else "raises loss",
            "as_expected": self.as_expected,
            "diagnosis": self.diagnosis,
        }
        return row


def lever_effects(
    scenario: Scenario, tests: list[LeverTest], rows: list[dict[str, Any]]
) -> list[LeverEffect]:
    """Each test's effect, verdict and (unless it is resolved as expected) diagnosis, from
    an experiment's `rows` over the design's variants."""
    by_variant: dict[str, dict[int, dict[str, Any]]] = {}
    for row in rows:
        by_variant.setdefault(row["variant"], {})[row["replication"]] = row
    effects = []
    for test in tests:
        variant, reference = by_variant[test.variant], by_variant[test.against]
        common = sorted(set(variant) & set(reference))
        d = np.array([variant[r][OUTCOME] - reference[r][OUTCOME] for r in common])
        effect = _effect(test, d, float(np.mean([reference[r][OUTCOME] for r in common])))
        if not effect.as_expected:
            evidence = Evidence(
                scenario, test, [variant[r] for r in common], [reference[r] for r in common]
            )
            effect = replace(effect, diagnosis=diagnose(evidence, effect))
        effects.append(effect)
    return effects


def _effect(test: LeverTest, d: np.ndarray, baseline: float) -> LeverEffect:
    mean = float(d.mean()) if len(d) else math.nan
    tiny = 1e-9 * max(1.0, abs(baseline))
    low, high = _interval(d)
    if len(d) and np.all(np.abs(d) <= tiny):
        verdict = "no effect"
    elif math.isnan(low) or low <= 0 <= high:
        verdict = "not resolved"
    else:
        verdict = "lowers loss" if mean < 0 else "raises loss"
    needed = None
    if verdict == "not resolved" and len(d) > 1 and mean != 0:
        needed = max(len(d) + 1, math.ceil((1.96 * float(d.std(ddof=1)) / abs(mean)) ** 2))
    return LeverEffect(
        lever=test.lever,
        test=test.test,
        variant=test.variant,
        against=test.against,
        n=len(d),
        baseline_mean=baseline,
        effect=mean,
        low=low,
        high=high,
        runs_lower=int(np.sum(d < -tiny)),
        runs_higher=int(np.sum(d > tiny)),
        expected_sign=test.expected,
        verdict=verdict,
        replications_to_resolve=needed,
    )


def _interval(d: np.ndarray) -> tuple[float, float]:
    """The 95% percentile-bootstrap interval of the mean of `d` (NaN below 2 values)."""
    if len(d) < 2:
        return math.nan, math.nan
    if np.ptp(d) == 0:
        return float(d[0]), float(d[0])
    result = stats.bootstrap(
        (d,),
        np.mean,
        n_resamples=RESAMPLES,
        method="percentile",
        random_state=np.random.default_rng(0),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


# -- diagnosis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What a diagnosis may read: the scenario, the test, and the paired rows of both sides."""

    scenario: Scenario
    test: LeverTest
    variant: list[dict[str, Any]]
    reference: list[dict[str, Any]]

    def total(self, key: str, reference: bool = False) -> int:
        """A cooperation count summed over one side's runs."""
        return round(sum(r.get(key, 0) for r in (self.reference if reference else self.variant)))

    def mean_wait(self, country: str | None = None) -> float | None:
        """Mean queue wait in hours of one CSIRT (or of all), as given (reference side)."""
        values = [
            v
            for r in self.reference
            for k, v in r.items()
            if k.startswith("mean_wait_hours.")
            and (country is None or k == f"mean_wait_hours.{country}")
            and not math.isnan(v)
        ]
        return float(np.mean(values)) if values else None


def _sharing(e: Evidence) -> str | None:
    if not any(c.indicators for c in e.scenario.campaigns):
        return "no campaign declares indicators, so there is nothing to share"
    shared, received = e.total("indicators_shared"), e.total("indicators_received")
    if shared == 0:
        return "no member's CSIRT triaged an incident of a campaign with indicators: none shared"
    if received == 0:
        return f"indicators were published {shared} times but reached no other member"
    blocked = e.total("stages_blocked_holding_indicators") - e.total(
        "stages_blocked_holding_indicators", reference=True
    )
    if blocked <= 0:
        return (
            f"indicators reached members {received} times, but no later intrusion met them "
            f"({blocked:+d} stages blocked): no campaign attacks another member country after a "
            "first incident is triaged"
        )
    return None


def _contact(e: Evidence) -> str | None:
    answered, takedowns = e.total("assistance_answered"), e.total("takedowns")
    received = e.total("indicators_received")
    if e.test.test == "alone" and answered + takedowns == 0:
        return (
            "alone it only speeds up requests for help and takedowns, and none was answered "
            "or made; nothing is shared without incident_sharing"
        )
    if answered + takedowns + received == 0:
        return "no request for help or takedown was answered and no indicators were shared"
    return None


def _schemes(e: Evidence) -> str | None:
    wait = e.mean_wait()
    if wait is not None and wait < 0.1:
        return (
            f"the CSIRTs' queues hardly form (mean wait {wait:.2f} h), so ordering them by "
            "severity changes little"
        )
    return None


def _norms(e: Evidence) -> str | None:
    bonus = e.scenario.parameters.norms_prevention_bonus
    if e.total("assistance_answered") + e.total("takedowns") == 0 and bonus == 0:
        return "no request for help or takedown was answered and the prevention bonus is 0"
    return None


def _stakeholders(e: Evidence) -> str | None:
    if not any(a.operator == "private" for a in e.scenario.assets):
        return "every asset is run by a public operator, whom the measure does not change"
    if e.total("incidents_not_reported", reference=True) == 0:
        return "no private operator's incident went unreported without it"
    return None


def _capacity(e: Evidence) -> str | None:
    country = e.test.lever.split(" ", 1)[1]
    wait = e.mean_wait(country)
    if wait is None:
        return f"{country}'s CSIRT handled no work"
    reasons = []
    if wait < 0.1:
        reasons.append(
            f"{country}'s CSIRT hardly has a queue (mean wait {wait:.2f} h): its analysts "
            "are not the bottleneck"
        )
    if e.total("intrusions_evicted") + e.total("outages_shortened") == 0:
        reasons.append("containment evicted no intrusion and shortened no outage")
    lent, before = e.total("assistance_answered"), e.total("assistance_answered", reference=True)
    if e.test.expected < 0 and lent > before:
        reasons.append(
            f"with more analysts it can lend more ({lent} teams lent against {before}), and "
            "what it lends it lacks at home"
        )
    return "; ".join(reasons) or None


USAGE = {
    "incident_sharing": (
        ("indicators_shared", "indicator sets shared"),
        ("indicators_received", "received"),
    ),
    "points_of_contact": (
        ("assistance_answered", "requests for help answered"),
        ("takedowns", "takedowns"),
        ("indicators_received", "indicator sets received"),
    ),
    "severity_schemes": (("incidents_retriaged", "incidents re-triaged"),),
    "un_norms": (("assistance_answered", "requests for help answered"), ("takedowns", "takedowns")),
    "multistakeholder": (("incidents_not_reported", "incidents not reported"),),
    "capacity": (
        ("assistance_answered", "teams lent"),
        ("intrusions_evicted", "intrusions evicted"),
        ("outages_shortened", "outages shortened"),
        ("spreads_prevented", "spreads stopped"),
    ),
}
"""Per lever, the counts that show how far the runs used its pathway."""

FEWER = frozenset({"incidents_not_reported"})
"""Counts by which a pathway shows as fewer than in the reference, not as any at all."""


def _usage(e: Evidence) -> str:
    counts = USAGE.get(e.test.lever, USAGE["capacity"])
    pairs = [(e.total(key), e.total(key, reference=True), key, phrase) for key, phrase in counts]
    used = ", ".join(f"{mine} {phrase} (against {theirs})" for mine, theirs, _, phrase in pairs)
    acted = any(mine < theirs if key in FEWER else mine for mine, theirs, key, _ in pairs)
    verb = "was used" if acted else "was never used"
    return f"its pathway {verb}: {used} in {len(e.variant)} runs"


def _outlier(e: Evidence) -> str | None:
    """The replication that alone makes most of the differences, if one does."""
    before = {r["replication"]: r[OUTCOME] for r in e.reference}
    moved = {r["replication"]: r[OUTCOME] - before[r["replication"]] for r in e.variant}
    total = sum(abs(d) for d in moved.values())
    replication, d = max(moved.items(), key=lambda item: abs(item[1]))
    if total and abs(d) > total / 2 and len(moved) > 2:
        return (
            f"replication {replication} alone makes most of it ({d / 1e6:+.2f} M against "
            f"{(total - abs(d)) / 1e6:.2f} M over all others)"
        )
    return None


PATHWAYS: dict[str, Callable[[Evidence], str | None]] = {
    "incident_sharing": _sharing,
    "points_of_contact": _contact,
    "severity_schemes": _schemes,
    "un_norms": _norms,
    "multistakeholder": _stakeholders,
}
"""Per CBM: the first missing link of its pathway, if any."""


def diagnose(e: Evidence, effect: LeverEffect) -> str:
    """Why a lever's effect is zero, not resolved or against its mechanism, in words: what
    the scenario lacks, the first link of its pathway the runs never reached, and what the
    numbers say."""
    reasons = []
    if not e.scenario.campaigns:
        reasons.append("the scenario has no campaign for the response to act on")
    elif all(c.csirt is None for c in e.scenario.countries):
        reasons.append("no country has a CSIRT: nothing is triaged, shared, lent or contained")
    elif e.test.lever in {"incident_sharing", "points_of_contact"} and e.scenario.network is None:
        reasons.append("the scenario has no regional network, so nothing crosses a border")
    else:
        check = PATHWAYS.get(e.test.lever, _capacity)
        reasons.append(check(e) or _usage(e))
    runs = f"{effect.runs_lower} lower and {effect.runs_higher} higher of {effect.n} runs"
    if effect.verdict == "no effect":
        reasons.append(f"the loss was the same in all {effect.n} runs")
    elif effect.verdict == "not resolved":
        more = (
            f"; about {effect.replications_to_resolve} replications would resolve it"
            if effect.replications_to_resolve
            else ""
        )
        reasons.append(
            f"the effect ({effect.percent(effect.effect):+.2f}%, {runs}) is within the noise{more}"
        )
        outlier = _outlier(e)
        if outlier:
            reasons.append(outlier)
    else:
        reasons.append(
            f"it {effect.verdict} ({effect.percent(effect.effect):+.2f}%, {runs}), against its "
            "mechanism's direction: a change of timing moved other incidents"
        )
    return "; ".join(reasons)
