"""The lever audit's figure: each lever's effect on loss, in % of its reference, with its
interval, coloured by what it means."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from ..analysis.experiment import Experiment
from ..analysis.export import experiment_tables
from ..analysis.levers import LeverEffect
from .figures import encode
from .style import LOWER_IS_BETTER, OKABE_ITO, SLIDE, projector, row_pitch

MEANING = {
    "as expected": OKABE_ITO[2],
    "not resolved": "0.42",
    "no effect": "0.62",
    "against its mechanism": OKABE_ITO[1],
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


GROUPS = {
    "alone": "Each CBM alone",
    "marginal": "Each CBM added last (marginal)",
    "capacity": "Analysts",
}


@projector
def levers_plot(effects: list[LeverEffect], title: str) -> dict[str, bytes]:
    """One row per lever test (top to bottom as listed, under a heading per group): the mean
    paired effect on service-hours lost as % of the reference's mean, with its 95% interval
    and the figures written beside it, as PNG and SVG."""
    rows: list[LeverEffect | str] = []  # a group's heading, then its tests, bottom row last
    for e in effects:
        if not rows or isinstance(rows[-1], str) or _group(rows[-1]) != _group(e):
            rows.append(GROUPS[_group(e)])
        rows.append(e)
    rows.reverse()
    figure = Figure(figsize=(15, 2.6 + row_pitch(len(rows), SLIDE[1] - 2.6) * len(rows)))
    axes = figure.add_subplot()
    side = blended_transform_factory(axes.transAxes, axes.transData)
    labels = []
    for y, e in enumerate(rows):
        if isinstance(e, str):
            labels.append(e)
            continue
        labels.append(e.lever if _group(e) != "capacity" else f"{e.lever}: {e.test}")
        colour = MEANING[_meaning(e)]
        low, mean, high = e.percent(e.low), e.percent(e.effect), e.percent(e.high)
        axes.plot([low, high], [y, y], "-", color=colour, lw=5, solid_capstyle="butt")
        axes.plot([mean], [y], "o", color=colour, markersize=9, markeredgecolor="black")
        figures = f"{mean:+.2f}%  [{low:+.2f}, {high:+.2f}]"
        axes.text(1.01, y, figures, transform=side, va="center", color=colour)
    axes.axvline(0, color="0.2", lw=1.2)
    axes.set_yticks(range(len(rows)), labels)
    for tick, e in zip(axes.get_yticklabels(), rows, strict=True):
        if isinstance(e, str):
            tick.set_fontweight("bold")
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xlabel(f"change in service-hours lost, % of the reference's mean ({LOWER_IS_BETTER})")
    axes.grid(axis="y", visible=False)
    handles = [
        Line2D([], [], color=c, lw=5, label=label)
        for label, c in MEANING.items()
        if any(_meaning(e) == label for e in effects)
    ]
    axes.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.09 * 9 / figure.get_figheight()),
        ncol=len(handles),
        frameon=False,
    )
    axes.set_title(f"{title}\nmean paired effect with its 95% bootstrap interval", loc="left")
    return encode(figure, "levers")


def lever_files(effects: list[LeverEffect], experiment: Experiment, title: str) -> dict[str, bytes]:
    """What `cyberttx levers` writes: replications.csv, levers.csv (one row per comparison)
    and the figure."""
    table = [e.row() for e in effects]
    return experiment_tables(experiment.rows, table, "levers.csv") | levers_plot(effects, title)
