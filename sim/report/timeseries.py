"""Figures over time and across replications: service lost per sector, KPI distributions,
incidents per CSIRT and CSIRT queues, each as PNG and SVG."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib import __version__ as matplotlib_version
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..analysis.timelines import SPAN_STEPS
from .figures import encode
from .style import HOURS, SECTOR_COLOURS, empty, large_numbers, projector

GOLDEN = (math.sqrt(5) - 1) / 2
"""Jitter of replication k: the fractional part of k x GOLDEN, spread evenly and fixed."""

HORIZONTAL = (
    {"orientation": "horizontal"}
    if tuple(int(p) for p in matplotlib_version.split(".")[:2]) >= (3, 10)
    else {"vert": False}
)
"""Box plot orientation, spelt as this matplotlib wants it (`vert` is deprecated in 3.10)."""

ONE_COLUMN = 4
"""Panels stacked in one column; more are laid out in two."""

GAP = 0.02
"""Incidents share a row of the timeline when this share of the run or more separates them."""

RESPONSE, RESTORATION = "#1f5a96", "#9ecae1"
"""Incident bars: detection to containment (dark), containment to recovery (light)."""

OPEN = {"facecolor": "white", "edgecolor": RESPONSE, "hatch": "//"}
"""An incident bar still open at the end of the run."""

MARKERS: dict[str, dict[str, Any]] = {
    "detected": {"marker": "o", "color": "black", "markerfacecolor": "white", "markersize": 8},
    "impact": {"marker": "X", "color": "crimson", "markersize": 9},
    "reported": {"marker": "v", "color": "black", "markersize": 9},
    "triaged": {"marker": "D", "color": "#d95f02", "markersize": 7},
}
"""The marker of each incident step drawn as a point."""


def _windows(panels: list[Axes], windows: list[tuple[str, float, float]]) -> list[Patch]:
    """Shade each window in every panel, number it at the top of the first, and return
    legend entries naming the numbers."""
    for axes in panels:
        for _, start, end in windows:
            axes.axvspan(start, end, color="0.5", alpha=0.12, lw=0)
    for k, (_, start, end) in enumerate(windows, 1):
        panels[0].text(
            (start + end) / 2,
            0.97,
            str(k),
            ha="center",
            va="top",
            transform=panels[0].get_xaxis_transform(),
            color="0.3",
        )
    return [
        Patch(color="0.5", alpha=0.25, label=f"{k} {name} ({start:g}–{end:g} h)")
        for k, (name, start, end) in enumerate(windows, 1)
    ]


def _panels(n: int, height: float) -> tuple[Figure, list[Axes]]:
    """A figure of `n` panels, each `height` inches tall, sharing the time axis: one column,
    or two beyond ONE_COLUMN panels."""
    columns = 1 if n <= ONE_COLUMN else 2
    rows = math.ceil(n / columns)
    figure = Figure(figsize=(7 + 5 * columns, 1.5 + height * rows))
    grid = figure.subplots(rows, columns, sharex=True, squeeze=False)
    if n < rows * columns:  # the panel above the gap shows the hours
        grid[-1, -1].remove()
        grid[-2, -1].tick_params(labelbottom=True)
    figure.supxlabel(HOURS)
    return figure, list(grid.flat[:n])


def _legend(panels: list[Axes], handles: list[Any]) -> None:
    """The figure's legend, right of the top right panel."""
    panels[int(len(panels) > ONE_COLUMN)].legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
    )


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
    sectors = [s for s in SECTOR_COLOURS if any(np.any(r.get(s, 0)) for r in runs.values())]
    if not sectors:
        return empty("impact_over_time", title, "no service lost")
    figure, panels = _panels(len(sectors), 2.3)
    for axes, sector in zip(panels, sectors, strict=True):
        for k, (variant, loss) in enumerate(runs.items()):
            if sector not in loss:
                continue
            colour = SECTOR_COLOURS[sector] if len(runs) == 1 else f"C{k % 10}"
            low, high = np.percentile(loss[sector], [10, 90], axis=0)
            axes.fill_between(times, low, high, step="post", color=colour, alpha=0.2, lw=0)
            mean = loss[sector].mean(axis=0)
            axes.plot(times, mean, drawstyle="steps-post", color=colour, label=variant)
        axes.set_title(sector.replace("_", " "), loc="left")
        axes.set_ylim(bottom=0)
        large_numbers(axes)
    handles = [*panels[0].get_legend_handles_labels()[0], *_windows(panels, windows)]
    _legend(panels, handles)
    panels[0].set_xlim(times[0], times[-1])
    figure.supylabel("service lost (weight × inoperability)")
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
    """The distribution of `outcome` per variant (in row order, first at the top): a box
    plot over the replications, each also drawn as a point (fixed jitter, the same for a
    replication in every variant)."""
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    label = outcome.replace("_", " ")
    if not variants:
        return empty("kpi_distributions", label, "no replications")
    figure = Figure(figsize=(11, 2 + 0.7 * len(variants)))
    axes = figure.add_subplot()
    y = np.arange(len(variants))[::-1]
    points = [_points(rows, v, outcome) for v in variants]
    axes.boxplot(
        [value for value, _ in points],
        positions=y,
        widths=0.6,
        showfliers=False,
        medianprops={"color": "C3", "linewidth": 3},
        **HORIZONTAL,
    )
    for position, (value, jitter) in zip(y, points, strict=True):
        axes.scatter(value, position + 0.5 * jitter, s=20, color="C0", alpha=0.5, zorder=3)
    axes.set_yticks(y, variants)
    axes.set_xlabel(label)
    large_numbers(axes, "x")
    axes.set_title(f"{label} across replications")
    return encode(figure, "kpi_distributions")


def _extent(span: dict[str, Any], horizon: float) -> tuple[float, float]:
    """An incident's first and last hour; one reported but not contained lasts to the horizon."""
    times = [span[step] for step in SPAN_STEPS.values() if span[step] is not None]
    still_open = span["reported"] is not None and span["contained"] is None
    return min(times), horizon if still_open else max(times)


def _rows(spans: list[dict[str, Any]], horizon: float) -> tuple[list[int], dict[str, range]]:
    """Each incident's row, from the top, and the rows of each country's lane (countries in
    alphabetical order); in a lane, incidents GAP apart share a row."""
    row, lanes, top, gap = [0] * len(spans), {}, 0, GAP * horizon
    for country in sorted({s["country"] for s in spans}):
        ends: list[float] = []
        for k, span in enumerate(spans):
            if span["country"] != country:
                continue
            start, end = _extent(span, horizon)
            free = next((r for r, last in enumerate(ends) if last + gap <= start), len(ends))
            if free == len(ends):
                ends.append(end)
            ends[free], row[k] = end, top + free
        lanes[country] = range(top, top + len(ends))
        top += len(ends)
    return row, lanes


@projector
def incident_timeline(spans: list[dict[str, Any]], horizon: float, title: str) -> dict[str, bytes]:
    """One lane per country, one row per incident (see `incident_spans`): a bar dark from
    first notice to containment, light from containment to recovery, hatched when reported
    but still open at the end; markers at detection, impact, report and triage."""
    if not spans:
        return empty("incident_timeline", title, "no incident was detected or reported")
    row, lanes = _rows(spans, horizon)
    figure = Figure(figsize=(12, min(20, 2.5 + 0.4 * (max(row) + 1))))
    axes = figure.add_subplot()
    for span, y in zip(spans, row, strict=True):
        start, end = _extent(span, horizon)
        contained, recovered = span["contained"], span["recovered"]
        axes.plot([start, end], [-y, -y], color="0.6", lw=1.5, zorder=1)
        if contained is not None:
            axes.barh(-y, contained - start, left=start, height=0.6, color=RESPONSE)
            if recovered is not None and recovered > contained:
                axes.barh(-y, recovered - contained, left=contained, height=0.6, color=RESTORATION)
        elif span["reported"] is not None:
            axes.barh(-y, end - start, left=start, height=0.6, **OPEN)
        for step, marker in MARKERS.items():
            if span[step] is not None:
                axes.plot([span[step]], [-y], linestyle="", zorder=3, **marker)
        axes.text(end, -y, f"  {span['asset']}", va="center", fontsize=10, color="0.25")
    for lane in list(lanes.values())[:-1]:
        axes.axhline(-lane.stop + 0.5, color="0.3", lw=0.8)
    axes.set_yticks([-(lane.start + lane.stop - 1) / 2 for lane in lanes.values()], list(lanes))
    axes.grid(axis="y", visible=False)
    axes.set_ylim(-max(row) - 0.6, 0.6)
    axes.set_xlim(0, horizon)
    axes.set_xlabel(HOURS)
    axes.set_title(title)
    handles = [
        Line2D([], [], color="0.6", lw=1.5, label="first to last step"),
        Patch(color=RESPONSE, label="first notice → containment"),
        Patch(color=RESTORATION, label="containment → recovery"),
        Patch(**OPEN, label="reported, not contained by the end"),
        *(Line2D([], [], linestyle="", label=step, **m) for step, m in MARKERS.items()),
    ]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
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
    figure, panels = _panels(len(queues), 1.9)
    for axes, (country, (times, lengths)) in zip(panels, queues.items(), strict=True):
        x, y = np.append(times, horizon), np.append(lengths, lengths[-1])
        axes.fill_between(x, y, step="post", color="C0", alpha=0.25, lw=0)
        axes.plot(x, y, drawstyle="steps-post", color="C0")
        axes.set_title(country, loc="left")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, 1.15 * max(1, y.max()))
    if windows:
        _legend(panels, _windows(panels, windows))
    panels[0].set_xlim(0, horizon)
    figure.supylabel("tasks waiting")
    figure.suptitle(title)
    return encode(figure, "csirt_queues")
