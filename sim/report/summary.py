"""The console's words: a run's summary, an experiment's results and the lever audit, as
text a newcomer can read."""

from __future__ import annotations

import math
from typing import Any

from ..analysis.metrics import AFFECTED, DOWN
from ..analysis.result import RunResult


def millions(value: float) -> str:
    """A number of service-hours in millions, as the console shows it."""
    return f"{value / 1e6:,.2f} M"


def count(n: int, singular: str, plural: str) -> str:
    """`n` with its noun in the right number."""
    return f"{n} {singular if n == 1 else plural}"


def _ranked(totals: dict[str, float], top: int = 5) -> str:
    ranked = sorted(((v, k) for k, v in totals.items() if v > 0), reverse=True)
    shown = " · ".join(f"{k} {millions(v)}" for v, k in ranked[:top])
    return shown + (f" · (+{len(ranked) - top} more)" if len(ranked) > top else "") or "none"


def run_summary(result: RunResult) -> str:
    """What `cyberttx run` prints: the scenario, then its KPIs, campaigns and response."""
    s, m = result.scenario, result.metrics
    start = s.start.isoformat(sep=" ", timespec="minutes")
    variant = result.variant or "none (the scenario as written)"
    sizes = [
        f"{s.duration_hours:g} h from {start}",
        count(len(s.countries), "country", "countries"),
        count(len(s.assets), "asset", "assets"),
        count(len(s.dependencies), "dependency", "dependencies"),
        count(len(s.disruptions), "disruption", "disruptions"),
        count(len(s.campaigns), "campaign", "campaigns"),
    ]
    return "\n".join(
        [
            f"{s.name} — variant: {variant}, seed {result.seed}",
            " · ".join(sizes),
            "",
            f"Service-hours lost   {millions(m['service_hours_lost'])}"
            "  (weight × inoperability × hours)",
            f"  by country         {_ranked(m['service_hours_lost_by_country'])}",
            f"  by sector          {_ranked(m['service_hours_lost_by_sector'])}",
            f"Peak assets down     {m['peak_assets_down']} of {len(s.assets)}  (q ≥ {DOWN:g})",
            f"Assets affected      {m['assets_affected']} in "
            f"{count(m['countries_affected'], 'country', 'countries')}  (q ≥ {AFFECTED:g})",
            f"Cascade depth        {count(m['cascade_depth'], 'hop', 'hops')} along dependencies",
            *(
                f"In event windows     {event}: {millions(w['total'])} weighted"
                f" ({_ranked({k: v for k, v in w.items() if k != 'total'}, top=4)})"
                for event, w in m["event_window_impact"].items()
            ),
            *_campaign_lines(m["campaigns"]),
            *_response_lines(m),
        ]
    )


def _hours(summary: dict[str, Any]) -> str:
    if not summary["n"]:
        return "—"
    return f"{summary['mean']:.1f} h (p90 {summary['p90']:.1f} h, n={summary['n']})"


def _response_lines(m: dict[str, Any]) -> list[str]:
    if not m["csirts"]:
        return []
    t, c = m["incident_timings"], m["cooperation"]
    load = " · ".join(
        f"{country} {v['utilisation']:.0%} busy, wait {v['mean_wait_hours'] or 0:.1f} h"
        for country, v in m["csirts"].items()
    )
    return [
        "",
        f"Time to detect       {_hours(t['detect'])}",
        f"Time to contain      {_hours(t['contain'])}",
        f"CSIRTs               {load}",
        f"Cooperation          {c['assistance_answered']}/{c['assistance_requested']} requests "
        f"for analysts answered · {c['takedowns']} takedowns · {c['indicators_shared']} "
        f"indicator sets shared, {c['indicators_received']} received",
        f"Indicators           {c['advisories_issued']} national advisories · "
        f"{c['stages_blocked_holding_indicators']} intrusion stages blocked on held indicators",
        f"Containment          {c['intrusions_evicted']} intrusions evicted before impact · "
        f"{c['outages_shortened']} outages shortened · {c['spreads_prevented']} spreads stopped",
    ]


def _campaign_lines(outcomes: dict[str, dict[str, Any]]) -> list[str]:
    width = max([19, *(len(cid) + 2 for cid in outcomes)])
    header = "intrusions · detected · blocked · succeeded · assets hit"
    lines = ["", f"{'Campaigns':<{width}}  {header}"]
    for cid, o in outcomes.items():
        lines.append(
            f"  {cid:<{width - 2}} {o['attempted']:>10} · {o['detected']:>8} · {o['blocked']:>7} · "
            f"{o['succeeded']:>9} · {o['assets_impacted']:>10}"
        )
    return lines if outcomes else []


def lever_lines(title: str, effects: list[Any]) -> list[str]:
    """The audit as a table, then a diagnosis for each lever not resolved as expected."""
    lines = [
        title,
        "Effect on service-hours lost (negative: less loss): mean, and 95% bootstrap interval",
        "",
        "% of the reference's mean: no CBM for 'alone', all but the CBM for 'marginal', the "
        "scenario as given for analysts",
        "",
        f"  {'lever':<20} {'comparison':<20} {'millions':>9} {'%':>8}  {'interval, %':<18}"
        f" {'runs -/+':>9}  verdict",
    ]
    for e in effects:
        interval = f"[{e.percent(e.low):+.2f}, {e.percent(e.high):+.2f}]"
        share = f"{e.percent(e.effect):>+7.2f}%"
        if e.baseline_mean == 0:  # nothing lost: no percentage
            interval, share = "(no loss)", "    n/a"
        mark = "" if e.as_expected else "  *"
        lines.append(
            f"  {e.lever:<20} {e.test:<20} {e.effect / 1e6:>+9.2f} {share}"
            f"  {interval:<18} {e.runs_lower:>4}/{e.runs_higher:<4}  {e.verdict}{mark}"
        )
    odd = [e for e in effects if not e.as_expected]
    if odd:
        lines += ["", "* not resolved in its mechanism's direction, and why:"]
        for e in odd:
            lines.append(f"  {e.lever} ({e.test}): {e.diagnosis}")
    else:
        lines += ["", "Every lever is resolved in the direction its mechanism gives it."]
    return lines


HEADLINE = {
    "service_hours_lost": ("service-hours lost", 1e6, " M"),
    "event_window_impact": ("loss in event windows", 1e6, " M"),
    "peak_assets_down": ("peak assets down", 1, ""),
    "countries_affected": ("countries affected", 1, ""),
    "detect_mean_hours": ("mean time to detect", 1, " h"),
    "contain_mean_hours": ("mean time to contain", 1, " h"),
}
"""The outcomes the console shows, in words, with their scale and unit; comparison.csv has
every outcome, per country and sector too."""


def _effect(row: dict[str, Any]) -> str:
    """One outcome's effect: % with its interval, then the absolute difference."""
    name, scale, unit = HEADLINE[row["outcome"]]
    if not row["n"]:
        return f"    {name:<24} undefined in these runs"
    difference = row["mean_difference"] / scale
    absolute = f"{difference:+,.2f}{unit} ± {row['paired_half_width'] / scale:,.2f}{unit}"
    if math.isnan(row["percent_change"]):
        share = "   (no baseline)"
    else:
        low = row["percent_change"] - row["percent_half_width"]
        high = row["percent_change"] + row["percent_half_width"]
        share = f"{row['percent_change']:+7.1f}% [{low:+.1f}, {high:+.1f}]"
    if row["resolved"]:
        verdict = "better" if row["mean_difference"] < 0 else "worse"
    elif math.isnan(row["n_to_resolve"]):
        verdict = "no difference"
    else:
        verdict = f"not resolved: about {row['n_to_resolve']:,.0f} runs would tell"
    return f"    {name:<24} {share:<26} {absolute:<22} {verdict}"


def comparison_lines(title: str, table: list[dict[str, Any]]) -> list[str]:
    """What `cyberttx compare` prints: for each variant against the reference, the headline
    outcomes as % change with the paired 95% interval (lower is better for all of them)."""
    lines = [
        title,
        "Change against the reference, % of its mean [paired 95% interval], then the "
        "difference itself; lower is better for every outcome shown.",
    ]
    variants = dict.fromkeys((row["variant"], row["against"]) for row in table)
    for variant, against in variants:
        lines += ["", f"  {variant} vs {against}"]
        lines += [
            _effect(row)
            for row in table
            if row["variant"] == variant and row["outcome"] in HEADLINE
        ]
    rest = len({row["outcome"] for row in table} - set(HEADLINE))
    if rest:
        lines += ["", f"comparison.csv has these and {rest} more (per country and per sector)."]
    return lines


def attribution_lines(title: str, results: list[dict[str, Any]]) -> list[str]:
    """What `cyberttx compare --cbm-ablation` prints: each CBM's effect on service-hours lost."""
    lines = [title, "difference in service-hours lost, in millions (95% CI); negative is better:"]
    for row in results:
        paired = row["paired_half_width"] / 1e6
        unpaired = row["unpaired_half_width"] / 1e6
        lines.append(
            f"  {row['variant']:<26} vs {row['against']:<26} {row['mean_difference'] / 1e6:+9.2f}"
            f" ± {paired:.2f} paired  (± {unpaired:.2f} unpaired)"
        )
    return lines


def sweep_lines(title: str, summary: list[dict[str, Any]]) -> list[str]:
    """What `cyberttx sweep` prints: the mean loss and its interval at each point, and the
    paired change against the first point."""
    lines = [
        title,
        "Service-hours lost: mean ± 95% interval; change against the first point over the same "
        "replications (paired), lower is better.",
    ]
    for row in summary:
        change = ""
        if row["variant"] != summary[0]["variant"] and not math.isnan(row["percent_change"]):
            low = row["percent_change"] - row["percent_half_width"]
            high = row["percent_change"] + row["percent_half_width"]
            mark = "" if row["resolved"] else "  (not resolved)"
            change = f"   {row['percent_change']:+.1f}% [{low:+.1f}%, {high:+.1f}%]{mark}"
        lines.append(
            f"  {row['variant']:<40} {row['mean'] / 1e6:9.2f} M ± {row['half_width'] / 1e6:.2f} M"
            + change
        )
    return lines


def sensitivity_lines(
    title: str, method: str, rows: list[dict[str, Any]], held: dict[str, float], points: int
) -> list[str]:
    """What `cyberttx sensitivity` prints: how robust the variant's effect is over the sampled
    assumptions, the assumptions it hinges on most, and whether that ranking is resolved."""
    key = "mu_star" if method == "morris" else "ST"
    unit = " % points" if method == "morris" else ""  # ST is a share of variance
    top = sorted(rows, key=lambda r: -r[key])[:3]
    lines = [
        title,
        f"  lowers mean service-hours lost at {held['share_lowering']:.0%} of "
        f"{count(points, 'sampled assumption point', 'sampled assumption points')}; "
        f"effect {held['p50']:+.1f}% (median), "
        f"{held['p5']:+.1f}% to {held['p95']:+.1f}% (5th to 95th percentile)",
        "  it hinges most on: "
        + "; ".join(f"{r['assumption']} ({key} {r[key]:.2f}{unit})" for r in top),
    ]
    if any(r[f"{key}_conf"] > r[key] for r in top):
        lines.append(
            f"  the {key} intervals are wider than the indices (see sensitivity.csv): the "
            "ranking is not resolved; raise --samples and -n"
        )
    return lines
