"""KPIs of campaigns, from the event log: how far intrusions got and what they cost."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..engine import kinds
from ..engine.records import Records
from ..schema.scenario import Scenario


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def campaign_outcomes(scenario: Scenario, records: Records) -> dict[str, dict[str, Any]]:
    """Per campaign: intrusions attempted, detected, stopped on detection, blocked and
    succeeded; stages completed, detected and blocked by ATT&CK tactic; mean dwell time (first
    stage done to detection) and mean hours from first stage done to impact; assets impacted
    (spread included); direct service-hours lost (weight x damage x hours at the assets it
    hit, without the cascade)."""
    weight = {a.id: a.weight for a in scenario.assets}
    outcomes: dict[str, dict[str, Any]] = {}
    access: dict[str, float] = {}
    for campaign in scenario.campaigns:
        outcomes[campaign.id] = {
            "attempted": 0,
            "detected": 0,
            "stopped": 0,
            "blocked": 0,
            "blocked_by_tactic": Counter(),
            "detected_by_tactic": Counter(),
            "completed_by_tactic": Counter(),
            "succeeded": 0,
            "assets_impacted": set(),
            "dwell": [],
            "to_impact": [],
            "direct_service_hours_lost": 0.0,
        }
    level = {c.id: c.impact.level for c in scenario.campaigns}
    tactics = {c.id: [stage.tactic for stage in c.stages] for c in scenario.campaigns}
    started: dict[tuple[str, str], list[float]] = {}

    def lost(campaign: str, asset: str, start: float, end: float) -> None:
        cost = weight[asset] * level[campaign] * (end - start)
        outcomes[campaign]["direct_service_hours_lost"] += cost

    for row in records.events:
        if not row.campaign:
            continue
        out, tactic = outcomes[row.campaign], tactics[row.campaign]
        if row.kind == kinds.INTRUSION_START:
            out["attempted"] += 1
        elif row.kind == kinds.STAGE_SUCCESS:
            access.setdefault(row.incident, row.time)
            out["completed_by_tactic"][tactic[int(row.value)]] += 1
        elif row.kind == kinds.DETECTED:
            out["detected"] += 1
            out["detected_by_tactic"][tactic[int(row.value)]] += 1
            if row.incident in access:
                out["dwell"].append(row.time - access[row.incident])
        elif row.kind == kinds.INTRUSION_STOPPED:
            out["stopped"] += 1
        elif row.kind == kinds.STAGE_BLOCKED:
            out["blocked"] += 1
            out["blocked_by_tactic"][tactic[int(row.value)]] += 1
        elif row.kind in {kinds.IMPACT, kinds.EXFILTRATION}:
            if row.incident == f"{row.campaign}/{row.asset}" and row.incident in access:
                out["succeeded"] += 1
                out["to_impact"].append(row.time - access[row.incident])
            out["assets_impacted"].add(row.asset)
            if row.kind == kinds.IMPACT:
                started.setdefault((row.campaign, row.asset), []).append(row.time)
        elif row.kind == kinds.IMPACT_END:
            lost(row.campaign, row.asset, started[(row.campaign, row.asset)].pop(0), row.time)
    for (campaign, asset), starts in started.items():
        for start in starts:
            lost(campaign, asset, start, records.horizon)
    return {
        cid: {
            **{k: v for k, v in out.items() if k not in {"dwell", "to_impact"}},
            **{k: dict(v) for k, v in out.items() if k.endswith("_by_tactic")},
            "assets_impacted": len(out["assets_impacted"]),
            "mean_dwell_hours": _mean(out["dwell"]),
            "mean_hours_to_impact": _mean(out["to_impact"]),
        }
        for cid, out in outcomes.items()
    }
