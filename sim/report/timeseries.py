"""Figures over time and across replications: service lost per sector, KPI distributions,
incidents per CSIRT and CSIRT queues, each as PNG and SVG, sized for a 16:9 slide."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np
from matplotlib import __version__ as matplotlib_version
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation

from ..analysis.timelines import SPAN_STEPS
from ..schema.infrastructure import SECTORS
from .figures import encode
from .style import (
    HOURS,
    LOWER_IS_BETTER,
    OKABE_ITO,
    SLIDE,
    empty,
    large_numbers,
    projector,
    series,
    shade_windows,
)

GOLDEN = (math.sqrt(5) - 1) / 2
"""Jitter of replication k: the fractional part of k x GOLDEN, spread evenly and fixed."""

HORIZONTAL = (
    {"orientation": "horizontal"}
    if tuple(int(p) for p in matplotlib_version.split(".")[:2]) >= (3, 10)
    else {"vert": False}
)
"""Box plot orientation, spelt as this matplotlib wants it (`vert` is deprecated in 3.10)."""

PANEL_ROWS = 4
"""Panels stacked in a column; more open further columns."""

LEGEND_WIDTH = 24
"""Characters in a line of a panel figure's legend; longer entries wrap."""

MARKED = 12
"""A variant's line carries a marker every MARKED points where it is above 0, each variant's
markers offset from the last's."""

RESPONSE, RESTORATION = OKABE_ITO[0], "#a6d3f0"
"""Incident bars: detection to containment (dark), containment to recovery (light)."""

OPEN = {"facecolor": "white", "edgecolor": RESPONSE, "hatch": "//"}
"""An incident bar still open at the end of the run."""

MARKERS: dict[str, dict[str, Any]] = {
    "detected": {"marker": "o", "color": "black", "markerfacecolor": "white", "markersize": 10},
    "impact": {"marker": "X", "color": OKABE_ITO[1], "markeredgecolor": "white", "markersize": 13},
    "reported": {"marker": "v", "color": "black", "markeredgecolor": "white", "markersize": 11},
    "triaged": {"marker": "D", "color": OKABE_ITO[3], "markeredgecolor": "black", "markersize": 9},
}
"""The marker of each incident step drawn as a point."""

RAISED = {"reported": 0.27, "triaged": -0.27}
"""How far above its row a step's marker sits, so that steps close in time stay apart."""

TICKS = 4
"""Intervals between ticks on a panel's value axis, at most (more on a time axis): a fixed
count, as the automatic one depends on the font size when the figure is drawn."""

ROW = 0.34
"""Inches per incident in the timeline."""

INCIDENTS = 20
"""The most incidents a timeline shows (the longest), so that it fits the slide."""


def _panels(n: int, height: float) -> tuple[Figure, list[Axes], Axes]:
    """A slide-wide figure of `n` panels, each about `height` inches tall (less where they would
    not fit the slide, more for one to hold the axis label), sharing the time axis, PANEL_ROWS
    to a column; and, right of them all, an empty axes to hold the legend."""
    columns = math.ceil(n / PANEL_ROWS)
    rows = math.ceil(n / columns)
    figure = Figure(figsize=(SLIDE[0], min(SLIDE[1], max(5.5, 2.2 + height * rows))))
    grid = figure.add_gridspec(rows, columns + 1, width_ratios=[1] * columns + [0.01])
    cells = grid.subplots(sharex=True, squeeze=False)
    for axes in cells[:, -1]:
        axes.remove()
    cells[0, 0].xaxis.set_major_locator(MaxNLocator(TICKS + 2))
    for column in range(n - rows * columns - 1, -1):  # the panel above a gap shows the hours
        cells[-1, column].remove()
        cells[-2, column].tick_params(labelbottom=True)
    figure.supxlabel(HOURS)
    key = figure.add_subplot(grid[:, -1])
    key.set_axis_off()
    return figure, list(cells[:, :-1].flat[:n]), key


def _legend(
    panels: list[Axes], key: Axes, handles: list[Any], windows: list[tuple[str, float, float]]
) -> None:
    """Shade and number the windows (x limits set), put the legend of `handles` and the
    windows in `key`, and raise the first panel's top so that its data stays below the window
    numbers."""
    figure = key.get_figure()
    assert isinstance(figure, Figure)
    handles = [*handles, *shade_windows(panels, windows)]
    for handle in handles:  # narrow, to leave the panels room
        handle.set_label(textwrap.fill(handle.get_label(), LEGEND_WIDTH))
    if handles:
        key.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0, 1),
            # half an inch into the gap that tight layout leaves between columns
            bbox_transform=key.transAxes + ScaledTranslation(-0.5, 0, figure.dpi_scale_trans),
            frameon=False,
        )
    else:
        key.remove()
    first = panels[0]
    if first.texts:
        figure.tight_layout()  # as `encode` will: the numbers' final share of the panel
        lowest = min(text.get_window_extent().y0 for text in first.texts)
        free = (lowest - first.bbox.y0) / first.bbox.height - 0.04
        first.set_ylim(0, first.get_ylim()[1] / max(free, 0.5))


@projector
def impact_plot(
    times: np.ndarray,
    runs: dict[str, dict[str, np.ndarray]],
    windows: list[tuple[str, float, float]],
    title: str,
) -> dict[str, bytes]:
    """Service lost over time, one panel per sector that lost any: per variant (`runs` maps
    it to {sector: array of replications x times}) the mean across replications (losses are
    heavy-tailed: most replications lose nothing at a given hour, so the median hides them),
    with the 10th-90th percentile band; windows shaded and numbered."""
    sectors = [s for s in SECTORS if any(np.any(r.get(s, 0)) for r in runs.values())]
    if not sectors:
        return empty("impact_over_time", title, "no service lost")
    figure, panels, key = _panels(len(sectors), 2.1)
    looks = [  # the first line widest, so that a later one on top of it leaves it showing
        {**series(k), "lw": 2.5 + 1.5 * (len(runs) - 1 - k) / max(1, len(runs) - 1)}
        for k in range(len(runs))
    ]
    for axes, sector in zip(panels, sectors, strict=True):
        for k, (look, loss) in enumerate(zip(looks, runs.values(), strict=True)):
            if sector not in loss:
                continue
            low, high = np.percentile(loss[sector], [10, 90], axis=0)
            axes.fill_between(times, low, high, step="post", color=look["color"], alpha=0.18, lw=0)
            mean = loss[sector].mean(axis=0)
            marked = np.arange(k * MARKED // len(runs), len(times), MARKED)
            marked = marked[mean[marked] > 0].tolist()
            axes.plot(times, mean, drawstyle="steps-post", markevery=marked, **look)
        axes.set_title(sector.replace("_", " "), loc="left")
        axes.yaxis.set_major_locator(MaxNLocator(TICKS))
        axes.set_ylim(bottom=0)
        large_numbers(axes)
    panels[0].set_xlim(times[0], times[-1])
    handles = [
        Line2D([], [], label=variant, **look) for variant, look in zip(runs, looks, strict=True)
    ]
    _legend(panels, key, handles, windows)
    figure.supylabel(f"service lost (weight × inoperability; {LOWER_IS_BETTER})")
    figure.suptitle(f"{title}\nmean across replications, band 10th–90th percentile")
    return encode(figure, "impact_over_time")


def _points(
    rows: list[dict[str, Any]], variant: str, outcome: str
) -> tuple[np.ndarray, np.ndarray]:
    """The defined values of `outcome` for `variant`, and each one's jitter (from its
    replication number)."""
    pairs = [
        (float(r[outcome]), r["replication"])
        for r in rows
        if r["variant"] == variant and r[outcome] is not None
    ]
    value, replication = np.array(pairs, dtype=float).reshape(-1, 2).T
    kept = ~np.isnan(value)
    return value[kept], (replication[kept] * GOLDEN) % 1 - 0.5


@projector
def kpi_plot(rows: list[dict[str, Any]], outcome: str = "service_hours_lost") -> dict[str, bytes]:
    """The distribution of `outcome` (lower is better) per variant (in row order, first at the
    top): a box plot over the replications, each also drawn as a point (fixed jitter, the same
    for a replication in every variant)."""
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    label = outcome.replace("_", " ")
    if not variants:
        return empty("kpi_distributions", label, "no replications")
    figure = Figure(figsize=(14, 2.6 + min(0.8, 6.0 / len(variants)) * len(variants)))
    axes = figure.add_subplot()
    y = np.arange(len(variants))[::-1]
    points = [_points(rows, v, outcome) for v in variants]
    median = {"color": OKABE_ITO[1], "linewidth": 4}
    axes.boxplot(
        [value for value, _ in points],
        positions=y,
        widths=0.6,
        showfliers=False,
        medianprops=median,
        boxprops={"linewidth": 2},
        whiskerprops={"linewidth": 2},
        capprops={"linewidth": 2},
        **HORIZONTAL,
    )
    dots = {"s": 45, "color": OKABE_ITO[0], "alpha": 0.6, "linewidths": 0}
    for position, (value, jitter) in zip(y, points, strict=True):
        axes.scatter(value, position + 0.5 * jitter, zorder=3, **dots)
    axes.set_yticks(y, variants)
    axes.grid(axis="y", visible=False)
    axes.set_xlabel(f"{label} ({LOWER_IS_BETTER})")
    large_numbers(axes, "x")
    axes.set_title(f"{label} across replications")
    handles = [
        Patch(facecolor="white", edgecolor="black", lw=2, label="middle half of replications"),
        Line2D([], [], label="median", **median),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=7,
            markeredgewidth=0,
            label="one replication",
            color=dots["color"],
            alpha=dots["alpha"],
        ),
    ]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return encode(figure, "kpi_distributions")


def _extent(span: dict[str, Any], horizon: float) -> tuple[float, float]:
    """An incident's first and last hour; one reported but not contained lasts to the horizon."""
    times = [span[step] for step in SPAN_STEPS.values() if span[step] is not None]
    still_open = span["reported"] is not None and span["contained"] is None
    return min(times), horizon if still_open else max(times)


def _lanes(spans: list[dict[str, Any]], horizon: float) -> dict[str, list[dict[str, Any]]]:
    """The incidents of each country (countries in alphabetical order), the first to start
    first; past INCIDENTS in all, only the INCIDENTS longest."""

    def length(k: int) -> float:
        start, end = _extent(spans[k], horizon)
        return end - start

    kept = [spans[k] for k in sorted(sorted(range(len(spans)), key=length)[-INCIDENTS:])]
    return {
        country: sorted(
            (s for s in kept if s["country"] == country), key=lambda s: _extent(s, horizon)[0]
        )
        for country in sorted({s["country"] for s in kept})
    }


@projector
def incident_timeline(spans: list[dict[str, Any]], horizon: float, title: str) -> dict[str, bytes]:
    """One lane per country, one row per incident (see `incident_spans`) named by its asset,
    the INCIDENTS longest at most: a bar dark from first notice to containment, light from
    containment to recovery, hatched when reported but still open at the end; markers at
    detection, impact, report (above the row) and triage (below)."""
    if not spans:
        return empty("incident_timeline", title, "no incident was detected or reported")
    lanes = _lanes(spans, horizon)
    shown = [span for lane in lanes.values() for span in lane]
    handles = [
        Line2D([], [], color="0.55", lw=2, label="first to last step"),
        Patch(color=RESPONSE, label="first notice → containment"),
        Patch(color=RESTORATION, label="containment → recovery"),
        Patch(**OPEN, label="still open at the end"),
        *(Line2D([], [], linestyle="", label=step, **m) for step, m in MARKERS.items()),
    ]
    rows = max(len(shown), len(handles))  # room for the legend; few incidents in the middle
    figure = Figure(figsize=(SLIDE[0], min(SLIDE[1], 2.4 + ROW * rows)))
    axes = figure.add_subplot()
    for y, span in enumerate(shown):
        start, end = _extent(span, horizon)
        contained, recovered = span["contained"], span["recovered"]
        axes.plot([start, end], [-y, -y], color="0.55", lw=2, solid_capstyle="butt", zorder=1)
        if contained is not None:
            axes.barh(-y, contained - start, left=start, height=0.6, color=RESPONSE)
            if recovered is not None and recovered > contained:
                axes.barh(-y, recovered - contained, left=contained, height=0.6, color=RESTORATION)
        elif span["reported"] is not None:
            axes.barh(-y, end - start, left=start, height=0.6, **OPEN)
        for step, marker in MARKERS.items():
            if span[step] is not None:
                axes.plot([span[step]], [RAISED.get(step, 0) - y], linestyle="", zorder=3, **marker)
    axes.set_yticks(-np.arange(len(shown)), [span["asset"] for span in shown])
    axes.grid(axis="y", visible=False)
    margin = (rows - len(shown)) / 2
    axes.set_ylim(-len(shown) + 0.4 - margin, 0.6 + margin)
    axes.set_xlim(0, horizon)
    figure.draw_without_rendering()  # to measure the asset names
    names = max(label.get_window_extent().width for label in axes.get_yticklabels())
    top = 0
    for country, lane in lanes.items():
        if top:
            axes.axhline(-top + 0.5, color="0.3", lw=1)
        axes.annotate(
            country,
            xy=(0, -(top + (len(lane) - 1) / 2)),
            xycoords=axes.get_yaxis_transform(),
            xytext=(-names * 72 / figure.dpi - 24, 0),  # 24 points left of the names
            textcoords="offset points",
            ha="right",
            va="center",
            fontweight="bold",
        )
        top += len(lane)
    axes.set_xlabel(HOURS)
    hidden = len(spans) - len(shown)
    axes.set_title(
        f"{title}\nthe {len(shown)} longest of {len(spans)} incidents" if hidden else title
    )
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return encode(figure, "incident_timeline")


@projector
def queue_plot(
    queues: dict[str, tuple[np.ndarray, np.ndarray]],
    horizon: float,
    windows: list[tuple[str, float, float]],
    title: str,
) -> dict[str, bytes]:
    """Tasks waiting in each CSIRT's queue over time (see `queue_lengths`), one panel per
    CSIRT; windows shaded and numbered."""
    if not queues:
        return empty("csirt_queues", title, "no CSIRT")
    figure, panels, key = _panels(len(queues), 1.8)
    colour = series(0)["color"]
    for axes, (country, (times, lengths)) in zip(panels, queues.items(), strict=True):
        x, y = np.append(times, horizon), np.append(lengths, lengths[-1])
        axes.fill_between(x, y, step="post", color=colour, alpha=0.25, lw=0)
        axes.plot(x, y, drawstyle="steps-post", color=colour)
        axes.set_title(country, loc="left")
        axes.yaxis.set_major_locator(MaxNLocator(TICKS, integer=True))
        axes.set_ylim(0, 1.1 * max(1, y.max()))
    panels[0].set_xlim(0, horizon)
    _legend(panels, key, [], windows)
    figure.supylabel("tasks waiting in the CSIRT's queue")
    figure.suptitle(title)
    return encode(figure, "csirt_queues")
