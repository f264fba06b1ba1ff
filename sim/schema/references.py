"""Cross-reference checks that a single model cannot make on its own."""

from __future__ import annotations

from collections.abc import Iterable

from .scenario import Scenario

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str]
"""A field path inside the scenario and what is wrong there."""


def dotted(loc: Loc) -> str:
    """A field path as people write it: dependencies[3].supplier."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _duplicates(field: str, ids: Iterable[str], what: str) -> list[Finding]:
    first: dict[str, int] = {}
    findings: list[Finding] = []
    for i, key in enumerate(ids):
        if key in first:
            findings.append(
                ((field, i, "id"), f"duplicate {what} '{key}' (also {field}[{first[key]}])")
            )
        else:
            first[key] = i
    return findings


def check_references(scenario: Scenario) -> list[Finding]:
    """Every id that is referred to exists, ids are unique, and no asset depends on itself."""
    findings = _duplicates("countries", (c.id for c in scenario.countries), "country id")
    findings += _duplicates("assets", (a.id for a in scenario.assets), "asset id")
    countries = {c.id for c in scenario.countries}
    assets = {a.id for a in scenario.assets}
    for i, asset in enumerate(scenario.assets):
        if asset.country not in countries:
            findings.append((("assets", i, "country"), f"unknown country '{asset.country}'"))
    pairs: dict[str, int] = {}
    for i, dep in enumerate(scenario.dependencies):
        for end in ("supplier", "dependent"):
            if getattr(dep, end) not in assets:
                findings.append((("dependencies", i, end), f"unknown asset '{getattr(dep, end)}'"))
        if dep.supplier == dep.dependent:
            findings.append((("dependencies", i, "dependent"), "an asset cannot depend on itself"))
        if dep.key in pairs:
            findings.append(
                (
                    ("dependencies", i),
                    f"duplicate dependency {dep.key} (also dependencies[{pairs[dep.key]}]); "
                    "combine them into one with the total strength",
                )
            )
        else:
            pairs[dep.key] = i
    for i, disruption in enumerate(scenario.disruptions):
        if disruption.asset not in assets:
            findings.append((("disruptions", i, "asset"), f"unknown asset '{disruption.asset}'"))
        if disruption.start_hours >= scenario.duration_hours:
            findings.append(
                (
                    ("disruptions", i, "start_hours"),
                    f"starts after the scenario ends at hour {scenario.duration_hours:g}",
                )
            )
    return findings
