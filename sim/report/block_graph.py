"""The dependency graph of a large model, summarised: one block per country and sector, one
line per pair of blocks with dependencies between them. Its cost grows with the blocks, not
with the assets, so a 50,000-asset model draws as fast as a small one."""

from __future__ import annotations

import math
from collections import Counter

from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..schema.infrastructure import SECTORS
from ..schema.scenario import Scenario
from .figures import encode
from .style import SECTOR_COLOURS, literal_text

Block = tuple[str, str]
"""A country id and a sector."""
Point = tuple[float, float]

BEND = 0.2
"""How far a line bows to the right of its direction, as a share of its length: lines of one
column stay apart, and A -> B and B -> A take opposite sides."""


def _arc(start: Point, end: Point, steps: int = 16) -> list[Point]:
    """A quadratic curve from `start` to `end` bowing BEND to the right of travel."""
    (x0, y0), (x1, y1) = start, end
    cx, cy = (x0 + x1) / 2 + BEND * (y1 - y0), (y0 + y1) / 2 - BEND * (x1 - x0)
    return [
        (
            (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1,
        )
        for t in (k / steps for k in range(steps + 1))
    ]


def _blocks(scenario: Scenario) -> tuple[Counter[Block], Counter[Block], dict[str, Block]]:
    """Assets and total weight per block, and each asset's block."""
    block = {a.id: (a.country, a.sector) for a in scenario.assets}
    count: Counter[Block] = Counter(block.values())
    weight: Counter[Block] = Counter()
    for asset in scenario.assets:
        weight[block[asset.id]] += asset.weight
    return count, weight, block


@literal_text
def draw_blocks(scenario: Scenario, failed_at: dict[str, float] | None = None) -> dict[str, bytes]:
    """The summary as `{"png": ..., "svg": ...}`: countries in columns, sectors in rows, blocks
    sized by weight and labelled with their number of assets; lines between blocks as thick as
    the log of their dependencies, cross-border ones red. Given `failed_at` (hour of failure by
    asset id), blocks are coloured by the share of their assets that failed."""
    count, weight, block = _blocks(scenario)
    sectors = [s for s in SECTORS if any(b[1] == s for b in count)]
    column = {c.id: i for i, c in enumerate(scenario.countries)}
    row = {s: -i for i, s in enumerate(sectors)}

    def where(b: Block) -> Point:
        return column[b[0]], row[b[1]]

    links = Counter((block[d.supplier], block[d.dependent]) for d in scenario.dependencies)
    inside = sum(n for (s, d), n in links.items() if s == d)
    figure = Figure(figsize=(max(9.0, 2.2 * len(column) + 4), max(6.0, 0.75 * len(sectors) + 2)))
    axes = figure.add_subplot()
    for cross, colour in ((False, "0.55"), (True, "crimson")):
        pairs = [(s, d, n) for (s, d), n in links.items() if s != d and (s[0] != d[0]) == cross]
        axes.add_collection(
            LineCollection(
                [_arc(where(s), where(d)) for s, d, _ in pairs],
                colors=colour,
                linewidths=[0.6 + 1.2 * math.log10(n) for *_, n in pairs],
                alpha=0.5,
            )
        )
    blocks = sorted(count)
    top = max(weight.values(), default=1.0) or 1.0
    if failed_at is None:
        colours = [SECTOR_COLOURS[b[1]] for b in blocks]
    else:
        failed = Counter(block[a] for a in failed_at if a in block)
        norm, cmap = Normalize(0, 1), colormaps["Reds"]
        colours = [cmap(norm(failed[b] / count[b])) for b in blocks]
        figure.colorbar(
            ScalarMappable(norm, cmap), ax=axes, location="bottom", shrink=0.5, pad=0.02,
            label="share of the block's assets that failed",
        )  # fmt: skip
    axes.scatter(
        [where(b)[0] for b in blocks],
        [where(b)[1] for b in blocks],
        s=[80 + 1400 * math.sqrt(weight[b] / top) for b in blocks],
        c=colours,
        edgecolors="0.3",
        linewidths=0.8,
        zorder=3,
    )
    for b in blocks:
        axes.annotate(
            f"{count[b]:,}", where(b), xytext=(0, -22), textcoords="offset points", ha="center"
        )
    axes.set_xticks(range(len(column)), [f"{c.name} ({c.id})" for c in scenario.countries])
    axes.set_yticks([row[s] for s in sectors], sectors)
    axes.tick_params(length=0)
    axes.xaxis.tick_top()
    axes.margins(0.12)
    axes.grid(False)
    for side in axes.spines.values():
        side.set_visible(False)
    axes.legend(
        handles=[
            Line2D([], [], color="0.55", label="dependencies within a country"),
            Line2D([], [], color="crimson", label="cross-border dependencies"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
    )
    axes.set_title(
        f"{scenario.name}\n{len(scenario.assets):,} assets in {len(blocks)} blocks of country "
        f"and sector (assets under each)\n{len(scenario.dependencies):,} dependencies "
        f"({inside:,} inside a block; lines thicken with their number)"
        + ("" if failed_at is None else f", {len(failed_at):,} failed"),
    )
    return {name.split(".")[1]: data for name, data in encode(figure, "graph").items()}
