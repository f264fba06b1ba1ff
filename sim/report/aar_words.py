"""Numbers and measures as an after-action report states them: readable units ("100.5 M
service-hours", "4.2 h", "41%") and metric paths named in words ("mean time to contain")."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..schema.scenario import Scenario

STEPS = {
    "detect": "detect",
    "report": "report",
    "triage": "triage",
    "contain": "contain",
    "recover": "recover",
}
"""Incident steps of `incident_timings`, as the verb in "time to ..."."""

STATISTICS = {"mean": "mean", "p50": "median", "p90": "90th-percentile"}
"""Statistics of `incident_timings`, in words."""

TOP = {
    "service_hours_lost": "service-hours lost",
    "peak_assets_down": "most assets down at once",
    "assets_affected": "assets affected",
    "countries_affected": "countries affected",
    "cascade_depth": "deepest cascade (dependency hops)",
}
"""Metrics that are one number, in words."""

CAMPAIGN = {
    "attempted": "intrusions attempted by {}",
    "detected": "intrusions of {} detected",
    "stopped": "intrusions of {} stopped by their victims",
    "blocked": "intrusions of {} blocked",
    "succeeded": "intrusions of {} that succeeded",
    "assets_impacted": "assets hit by {}",
    "direct_service_hours_lost": "service-hours lost to {} directly",
    "mean_dwell_hours": "mean dwell time of {}",
    "mean_hours_to_impact": "mean time from intrusion to impact of {}",
}
"""A campaign's outcomes, in words ({} is the campaign's name)."""

BY_TACTIC = {
    "blocked_by_tactic": "intrusions of {} blocked at {}",
    "detected_by_tactic": "intrusions of {} detected at {}",
    "completed_by_tactic": "stages of {} completed at {}",
}

CSIRT = {
    "tasks": "tasks of {}'s CSIRT",
    "mean_wait_hours": "mean wait in {}'s CSIRT queue",
    "utilisation": "share of the time {}'s CSIRT analysts were busy",
}

COOPERATION = {
    "assistance_requested": "requests for assistance made",
    "assistance_answered": "requests for assistance answered",
    "assistance_arrived": "lent analysts who arrived",
}

HOURS = ("mean", "p50", "p90", "mean_wait_hours", "mean_dwell_hours", "mean_hours_to_impact")
"""Leaves measured in hours."""

SERVICE = ("service_hours_lost", "direct_service_hours_lost")


def _words(key: str) -> str:
    return key.replace("_", " ").replace("-", " ")


def measure_name(path: str, scenario: Scenario | None = None) -> str:
    """The metric at dotted `path` named in words; an unknown path is spelt out in words
    (underscores and dots become spaces and dashes), never shown raw."""
    names: dict[str, str] = {}
    if scenario is not None:
        names = {c.id: c.name or c.id for c in scenario.countries}
        names |= {c.id: c.name for c in scenario.campaigns}
        names |= {e.id: e.name for e in scenario.events}
    parts = path.split(".")
    head, rest = parts[0], parts[1:]
    name = names.get
    if not rest and head in TOP:
        return TOP[head]
    if head == "service_hours_lost_by_sector" and len(rest) == 1:
        return f"service-hours lost in the {_words(rest[0])} sector"
    if head == "service_hours_lost_by_country" and len(rest) == 1:
        return f"service-hours lost in {name(rest[0], rest[0])}"
    if head == "background_incidents_by_country" and len(rest) == 1:
        return f"routine incidents in {name(rest[0], rest[0])}"
    if head == "event_window_impact" and len(rest) == 2:
        event, window = name(rest[0], rest[0]), rest[1]
        if window == "total":
            return f"weighted loss during {event}'s windows"
        return f"weighted loss during {event}'s {window} window"
    if head == "incident_timings" and len(rest) == 2:
        step, statistic = rest
        verb = STEPS.get(step, _words(step))
        if statistic == "n":
            return f"incidents timed to {verb}"
        return f"{STATISTICS.get(statistic, _words(statistic))} time to {verb}"
    if head == "campaigns" and len(rest) == 2 and rest[1] in CAMPAIGN:
        return CAMPAIGN[rest[1]].format(name(rest[0], rest[0]))
    if head == "campaigns" and len(rest) == 3 and rest[1] in BY_TACTIC:
        return BY_TACTIC[rest[1]].format(name(rest[0], rest[0]), _words(rest[2]))
    if head == "csirts" and len(rest) == 2 and rest[1] in CSIRT:
        return CSIRT[rest[1]].format(name(rest[0], rest[0]))
    if head == "cooperation" and len(rest) == 1 and rest[0] in COOPERATION:
        return COOPERATION[rest[0]]
    return " — ".join(_words(part) for part in parts)


def unit_of(path: str) -> str:
    """The unit of the metric at `path`: "service-hours", "h", "%" or "" (a count)."""
    leaf = path.split(".")[-1]
    if path.startswith("event_window_impact."):
        return "service-hours"
    if leaf in SERVICE or path.startswith("service_hours_lost"):
        return "service-hours"
    if leaf in HOURS:
        return "h"
    if leaf == "utilisation":
        return "%"
    return ""


def amount(value: float | None, signed: bool = False) -> str:
    """A number as people read it: 100.5 M, 0.45 M, 12,345, 4.2, 3; "—" when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "+" if signed and value > 0 else ""
    size = abs(value)
    if size >= 1e9:
        return f"{sign}{value / 1e9:.2f} bn"
    if size >= 1e6:
        return f"{sign}{value / 1e6:.1f} M"
    if size >= 1e5:
        return f"{sign}{value / 1e6:.2f} M"
    if size >= 100 or float(value).is_integer():
        return f"{value:{sign or '-'},.0f}"
    return f"{value:{sign or '-'}.1f}" if size >= 1 else f"{value:{sign or '-'}.2f}"


def quantity(value: float | None, unit: str, signed: bool = False) -> str:
    """`value` with its unit: "100.5 M service-hours", "4.2 h", "41%", "3"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{amount(100 * value, signed)}%"
    text = amount(value, signed)
    return f"{text} {unit}" if unit else text


def measured(path: str, value: float | None, signed: bool = False) -> str:
    """The metric at `path` with value `value`, in its unit."""
    return quantity(value, unit_of(path), signed)


def change(new: float | None, old: float | None, unit: str) -> str:
    """`new` against `old`: "+4.2 M service-hours (+4.2%)", "no change", "—"."""
    if new is None or old is None:
        return "—"
    difference = new - old
    if abs(difference) <= 1e-9 * max(1.0, abs(old)):
        return "no change"
    text = quantity(difference, unit, signed=True)
    if old and unit != "%":
        share = 100 * difference / abs(old)
        text += f" ({share:+.1f}%)" if abs(share) >= 0.1 else " (under 0.1%)"
    return text


def hours(value: float) -> str:
    """Scenario hours: "4.2 h"."""
    return f"{value:.1f} h"


def threshold_text(
    thresholds: Mapping[str, float], better: str, unit: str, levels: tuple[str, ...]
) -> str:
    """An objective's thresholds in words: "P ≤ 8 h, S ≤ 16 h, M ≤ 36 h"."""
    sign = "≤" if better == "lower" else "≥"
    return ", ".join(
        f"{level} {sign} {quantity(thresholds[level], unit)}"
        for level in levels
        if level in thresholds
    )
