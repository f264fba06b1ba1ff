"""The dependency graph of a large model, summarised: one block per country and sector, one
arrow per pair of blocks with dependencies between them. Its cost grows with the blocks, not
with the assets, so a 50,000-asset model draws as fast as a small one. Also the parts both
graphs share: arrows, country titles, the frame with its key under the graph."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from matplotlib import colormaps, rcParams
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextPath
from matplotlib.ticker import PercentFormatter
from matplotlib.typing import ColorType

from ..schema.infrastructure import SECTORS
from ..schema.scenario import Scenario
from .figures import encode
from .style import SECTOR_COLOURS, SECTOR_MARKERS, SLIDE, projector

Block = tuple[str, str]
"""A country id and a sector."""
Point = tuple[float, float]

BEND = 0.2
"""How far a line bows to the right of its direction, as a share of its length: lines of one
column stay apart, and A -> B and B -> A take opposite sides."""
HEAD = 0.16
"""The length of an arrowhead, in inches (about 19 px on a 1920×1080 slide)."""
LOCAL, ACROSS = "0.45", "crimson"
"""The colours of dependencies within a country and across a border."""
MARGINS = (3.0, 3.2)
"""Inches of the slide's width and height not left to the graph: sector names on the left,
title and country names above, the key below."""
DIRECTION = "A → B: B depends on A"
"""What an arrow means, in the legends: from a dependency's supplier to its dependent, which
loses service when the supplier does."""


def _arc(start: Point, end: Point, bend: float, most: float, steps: int = 16) -> list[Point]:
    """A quadratic curve from `start` to `end` bowing `bend` of its length, `most` at most, to
    the right of travel."""
    (x0, y0), (x1, y1) = start, end
    bend = min(bend, most / (math.hypot(x1 - x0, y1 - y0) or 1))
    cx, cy = (x0 + x1) / 2 + bend * (y1 - y0), (y0 + y1) / 2 - bend * (x1 - x0)
    return [
        (
            (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1,
        )
        for t in (k / steps for k in range(steps + 1))
    ]


def arrows(
    axes: Axes,
    pairs: Sequence[tuple[Point, Point]],
    colour: str,
    widths: float | Sequence[float],
    alpha: float,
    most: float = math.inf,
    head: float = HEAD,
) -> None:
    """A line from each start to its end, bowing BEND of its length (`most` at most) to the
    right of travel, with an arrowhead `head` inches long halfway along pointing to the end.
    Use an axes of equal aspect, so the bows are alike across and down."""
    curves = [_arc(start, end, BEND, most) for start, end in pairs]
    axes.add_collection(
        LineCollection(curves, colors=colour, linewidths=widths, alpha=alpha, zorder=1)
    )
    if not curves:
        return
    middles = [curve[len(curve) // 2] for curve in curves]  # where the curve runs along its chord
    chords = [(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in pairs]
    lengths = [math.hypot(dx, dy) for dx, dy in chords]
    axes.quiver(
        [x for x, _ in middles],
        [y for _, y in middles],
        [dx / n for (dx, _), n in zip(chords, lengths, strict=True)],
        [dy / n for (_, dy), n in zip(chords, lengths, strict=True)],
        angles="xy",
        pivot="middle",
        scale_units="inches",
        scale=1 / head,
        units="inches",
        width=head / 8,
        headwidth=6,
        headlength=8,
        headaxislength=7,
        color=colour,
        alpha=min(1.0, 2 * alpha),
        zorder=2,
    )


def _width(text: str) -> float:
    """Inches `text` takes in bold at the size of tick labels."""
    font = FontProperties(size=rcParams["xtick.labelsize"], weight="bold")
    return max(TextPath((0, 0), line, prop=font).get_extents().width for line in text.split("\n"))


def country_titles(scenario: Scenario, room: float) -> list[str]:
    """Each country's title, in `room` inches: 'Name (ID)', else 'Name' over '(ID)', else its
    id."""
    forms = (
        [f"{c.name} ({c.id})" for c in scenario.countries],
        [f"{c.name}\n({c.id})" for c in scenario.countries],
    )
    for titles in forms:
        if all(_width(t) / 72 < room for t in titles):
            return titles
    return [c.id for c in scenario.countries]


def frame(size: tuple[float, float], coloured: bool) -> tuple[Figure, Axes, Axes, Axes | None]:
    """A figure of `size` inches: the graph's axes over a key row holding the legend's axes
    and, if `coloured`, a colour bar's axes on its left."""
    figure = Figure(figsize=size)
    grid = figure.add_gridspec(2, 2, height_ratios=(size[1] - 2.2, 0.35), width_ratios=(3, 2))
    axes = figure.add_subplot(grid[0, :])
    legend = figure.add_subplot(grid[1, 1] if coloured else grid[1, :])
    legend.set_axis_off()
    return figure, axes, legend, figure.add_subplot(grid[1, 0]) if coloured else None


def bare(axes: Axes, titles: list[str], columns: Sequence[float]) -> None:
    """No grid, frame or tick marks; the country titles in bold over their columns."""
    axes.set_xticks(columns, titles, fontweight="bold")
    axes.xaxis.tick_top()
    axes.tick_params(length=0)
    axes.grid(False)
    for side in axes.spines.values():
        side.set_visible(False)


def _blocks(scenario: Scenario) -> tuple[Counter[Block], Counter[Block], dict[str, Block]]:
    """Assets and total weight per block, and each asset's block."""
    block = {a.id: (a.country, a.sector) for a in scenario.assets}
    count: Counter[Block] = Counter(block.values())
    weight: Counter[Block] = Counter()
    for asset in scenario.assets:
        weight[block[asset.id]] += asset.weight
    return count, weight, block


@projector
def draw_blocks(scenario: Scenario, failed_at: dict[str, float] | None = None) -> dict[str, bytes]:
    """The summary as `{"png": ..., "svg": ...}`, at most a slide's size: countries in
    columns, sectors in labelled rows, blocks sized by weight with their number of assets
    beside them; an arrow from block A to block B when assets of B depend on assets of A, as
    thick as the log of their number, red across a border. Given `failed_at` (hour of failure by
    asset id), blocks are coloured by the share of their assets that failed."""
    count, weight, block = _blocks(scenario)
    sectors = [s for s in SECTORS if any(b[1] == s for b in count)]
    pitch = min(2.4, (SLIDE[0] - MARGINS[0]) / len(scenario.countries))  # inches per column
    step = min(0.9, (SLIDE[1] - MARGINS[1]) / len(sectors))  # inches per row
    column = {c.id: pitch * i for i, c in enumerate(scenario.countries)}
    row = {s: -step * i for i, s in enumerate(sectors)}

    def where(b: Block) -> Point:
        return column[b[0]], row[b[1]]

    figure, axes, key, bar = frame(
        (max(12.0, MARGINS[0] + pitch * len(column)), MARGINS[1] + step * len(sectors)),
        failed_at is not None,
    )
    links = Counter((block[d.supplier], block[d.dependent]) for d in scenario.dependencies)
    inside = sum(n for (s, d), n in links.items() if s == d)
    for cross, colour in ((False, LOCAL), (True, ACROSS)):
        pairs = [(s, d, n) for (s, d), n in links.items() if s != d and (s[0] != d[0]) == cross]
        arrows(
            axes,
            [(where(s), where(d)) for s, d, _ in pairs],
            colour,
            [1.0 + 1.5 * math.log10(n) for *_, n in pairs],
            0.45,
            most=pitch / 3,
        )
    blocks = sorted(count)
    top = max(weight.values(), default=1.0) or 1.0
    colours: dict[Block, ColorType] = {b: SECTOR_COLOURS[b[1]] for b in blocks}
    if bar is not None:
        failed = Counter(block[a] for a in failed_at or {} if a in block)
        shade = colormaps["Purples"]  # apart from the red of cross-border arrows
        colours = {b: shade(failed[b] / count[b]) for b in blocks}
        figure.colorbar(
            ScalarMappable(Normalize(0, 1), shade),
            cax=bar,
            orientation="horizontal",
            label="share of the block's assets that failed",
            format=PercentFormatter(1.0, decimals=0),
        )
        bar.grid(False)
    largest = 0.75 * 72 * min(pitch, step)  # points across the heaviest block
    radius = {b: largest / 2 * math.sqrt(0.08 + 0.92 * math.sqrt(weight[b] / top)) for b in blocks}
    for marker in sorted({SECTOR_MARKERS[b[1]] for b in blocks}):
        drawn = [b for b in blocks if SECTOR_MARKERS[b[1]] == marker]
        axes.scatter(
            [where(b)[0] for b in drawn],
            [where(b)[1] for b in drawn],
            s=[(2 * radius[b]) ** 2 for b in drawn],
            c=[colours[b] for b in drawn],
            marker=marker,
            edgecolors="0.2",
            linewidths=1.0,
            zorder=3,
        )
    for b in blocks:
        axes.annotate(
            f"{count[b]:,}",
            where(b),
            xytext=(radius[b] + 4, 0),
            textcoords="offset points",
            va="center",
            bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "alpha": 0.8, "lw": 0},
            zorder=4,
        )
    bare(axes, country_titles(scenario, pitch - 0.15), list(column.values()))
    axes.set_yticks(list(row.values()), [s.replace("_", " ") for s in sectors])
    axes.set_aspect("equal", adjustable="box")
    axes.margins(0.5 * step / (pitch * len(column)), 0.5 / len(sectors))
    key.legend(
        handles=[
            Line2D([], [], color=LOCAL, marker=">", label=DIRECTION),
            Line2D([], [], color=ACROSS, marker=">", label="cross-border"),
            Line2D([], [], color=LOCAL, lw=4, label="thicker: more dependencies"),
            Line2D(
                [],
                [],
                color="0.2",
                marker="o",
                ls="",
                mfc="none",
                ms=14,
                label="size: people served, number: assets",
            ),
        ],
        loc="center",
        ncols=1 if bar is not None else 2,
        frameon=False,
    )
    axes.set_title(
        f"{scenario.name}\n{len(scenario.assets):,} assets in {len(blocks)} blocks of country "
        f"and sector\n{len(scenario.dependencies):,} dependencies, {inside:,} inside a block"
        + ("" if failed_at is None else f", {len(failed_at):,} assets failed"),
    )
    return {name.split(".")[1]: data for name, data in encode(figure, "graph").items()}
