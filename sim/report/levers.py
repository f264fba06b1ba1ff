"""The lever audit's figure: each lever's effect on loss, in % of its reference, with its
interval, coloured by what it means."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from ..analysis.levers import LeverEffect
from .figures import encode
from .style import projector

MEANING = {
    "as expected": "#1b7837",
    "not resolved": "0.55",
    "no effect": "0.75",
    "against its mechanism": "#b2182b",
}
"""Colour of each kind of result."""


def _meaning(effect: LeverEffect) -> str:
    if effect.as_expected:
        return "as expected"
    if effect.verdict in {"not resolved", "no effect"}:
        return effect.verdict
    return "against its mechanism"


def _group(effect: LeverEffect) -> str:
    return effect.test if effect.test in {"alone", "marginal"} else "capacity"


GROUPS = {"alone": "each CBM alone", "marginal": "each CBM's marginal", "capacity": "analysts"}


@projector
def levers_plot(effects: list[LeverEffect], title: str) -> dict[str, bytes]:
    """One row per lever test (top to bottom as listed): the mean paired effect on
    service-hours lost as % of the reference's mean, with its 95% interval and the figures
    written beside it, as PNG and SVG. Negative is less loss."""
    figure = Figure(figsize=(14, 2.4 + 0.5 * len(effects)))
    axes = figure.add_subplot()
    rows = list(reversed(effects))
    side = blended_transform_factory(axes.transAxes, axes.transData)
    for y, e in enumerate(rows):
        colour = MEANING[_meaning(e)]
        low, mean, high = e.percent(e.low), e.percent(e.effect), e.percent(e.high)
        axes.plot([low, high], [y, y], color=colour, lw=5, solid_capstyle="butt")
        axes.plot([mean], [y], "o", color=colour, markersize=9, markeredgecolor="black")
        figures = f"{mean:+.2f}%  [{low:+.2f}, {high:+.2f}]"
        axes.text(1.01, y, figures, transform=side, va="center", fontsize=12, color=colour)
    for y in range(1, len(rows)):
        if _group(rows[y]) != _group(rows[y - 1]):
            axes.axhline(y - 0.5, color="0.6", lw=1)
    for group, label in GROUPS.items():
        ys = [y for y, e in enumerate(rows) if _group(e) == group]
        if ys:
            axes.text(
                -0.005,
                max(ys) + 0.45,
                label,
                transform=side,
                ha="right",
                va="bottom",
                fontsize=12,
                style="italic",
                color="0.35",
            )
    axes.axvline(0, color="0.2", lw=1.2)
    axes.set_yticks(range(len(rows)), [f"{e.lever} — {e.test}" for e in rows])
    axes.set_ylim(-0.6, len(rows) - 0.1)
    axes.set_xlabel("change in service-hours lost, % of the reference's mean (negative: less loss)")
    axes.grid(axis="y", visible=False)
    handles = [
        Line2D([], [], color=c, lw=5, label=label)
        for label, c in MEANING.items()
        if any(_meaning(e) == label for e in effects)
    ]
    axes.legend(
        handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(handles), frameon=False
    )
    axes.set_title(f"{title}\nmean paired effect with 95% bootstrap interval", pad=34)
    return encode(figure, "levers")
