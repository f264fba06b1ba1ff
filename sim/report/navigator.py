"""ATT&CK Navigator layers (format 4.5) of a scenario's campaigns: every technique a campaign
uses, scored by the share of the times it was reached that it was where the intrusion was
first detected (red: never, green: always), with the counts beside it. One layer per
campaign and one for all, per ATT&CK domain (a layer holds one domain)."""

from __future__ import annotations

import json
from typing import Any

from ..analysis.techniques import TechniqueUse
from ..schema.attack import techniques
from ..schema.scenario import Scenario

VERSIONS = {"attack": "18", "navigator": "5.1.0", "layer": "4.5"}
"""The ATT&CK release the technique table follows, and the layer format written."""

DOMAINS = {"enterprise": "enterprise-attack", "ics": "ics-attack"}

GRADIENT = {"colors": ["#d62728", "#f2c14e", "#2ca02c"], "minValue": 0, "maxValue": 1}
"""Detection rate 0 (red) to 1 (green)."""

ALL = "all-campaigns"
"""The file stem of the layers of every campaign together."""


def navigator_layers(scenario: Scenario, use: TechniqueUse) -> dict[str, bytes]:
    """The layers as JSON files: `<campaign>.<domain>.json` and `all-campaigns.<domain>.json`
    for each ATT&CK domain the campaigns use."""
    table = techniques()
    groups: dict[str, list[tuple[str, str, str]]] = {ALL: []}
    for campaign in scenario.campaigns:
        keys = list(dict.fromkeys((campaign.id, s.tactic, s.technique) for s in campaign.stages))
        groups[campaign.id] = keys
        groups[ALL] += keys
    names = {c.id: c.name for c in scenario.campaigns}
    description = (
        f"cyberttx exercise data, not threat intelligence: {scenario.name}, "
        f"{_times(use.replications, 'run')}. Score: share of the times a technique was "
        "reached that it was where the intrusion was first detected."
    )
    files = {}
    for stem, keys in groups.items():
        for domain, navigator_domain in DOMAINS.items():
            chosen = [key for key in keys if table[key[2]].domain == domain]
            if not chosen:
                continue
            title = names.get(stem, f"All campaigns of {scenario.name}")
            layer = _layer(
                f"{title} ({domain})", navigator_domain, description, _techniques(chosen, use)
            )
            files[f"{stem}.{domain}.json"] = (json.dumps(layer, indent=2) + "\n").encode()
    return files


def _techniques(keys: list[tuple[str, str, str]], use: TechniqueUse) -> list[dict[str, Any]]:
    """One entry per technique and tactic, the campaigns using it summed."""
    merged: dict[tuple[str, str], list[int]] = {}
    for key in keys:
        counts = merged.setdefault(key[1:], [0, 0, 0])
        counts[0] += use.reached[key]
        counts[1] += use.detected[key]
        counts[2] += use.blocked[key]
    entries = []
    for (tactic, technique), (reached, detected, blocked) in merged.items():
        entry: dict[str, Any] = {
            "techniqueID": technique,
            "tactic": tactic,
            "enabled": True,
            "metadata": [
                {"name": "reached", "value": str(reached)},
                {"name": "first detected here", "value": str(detected)},
                {"name": "blocked", "value": str(blocked)},
                {"name": "replications", "value": str(use.replications)},
            ],
        }
        runs = _times(use.replications, "run")
        if reached:
            entry["score"] = round(detected / reached, 4)
            entry["comment"] = (
                f"reached {_times(reached, 'time')} in {runs}; first detected here "
                f"{detected} ({detected / reached:.0%}); blocked {blocked}"
            )
        else:
            entry["comment"] = f"never reached in {runs}"
        entries.append(entry)
    return entries


def _times(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _layer(
    name: str, domain: str, description: str, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "name": name,
        "versions": VERSIONS,
        "domain": domain,
        "description": description,
        "sorting": 3,
        "layout": {
            "layout": "side",
            "showName": True,
            "showID": True,
            "expandedSubtechniques": "annotated",
        },
        "hideDisabled": False,
        "techniques": entries,
        "gradient": GRADIENT,
        "legendItems": [
            {"label": "never first detected here", "color": GRADIENT["colors"][0]},
            {"label": "always first detected here", "color": GRADIENT["colors"][-1]},
        ],
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
    }
