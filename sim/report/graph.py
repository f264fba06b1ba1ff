"""The dependency graph of a model, grouped by country and sector, as PNG and SVG."""

from __future__ import annotations

import math
from typing import Any

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..schema.infrastructure import SECTORS, Asset
from ..schema.scenario import Scenario
from .block_graph import draw_blocks
from .figures import encode
from .style import SECTOR_COLOURS, literal_text

NEVER = "0.8"
"""The colour of assets that never failed."""
PER_ROW = 6
"""Assets of one sector in one country per row of the drawing."""
DX = 1.8
"""Horizontal spacing of assets, in row heights (room for their ids)."""
SUMMARISED = 1000
"""Above this many assets the graph is drawn as blocks of country and sector (block_graph)."""
LABELLED = 60
"""Up to this many assets every asset is labelled; above, the first LABELLED to fail when the
graph shows failures, else the three heaviest per country."""


def layout(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Positions: one column block per country, one band of rows per sector, heaviest first."""
    positions: dict[str, tuple[float, float]] = {}
    for column, country in enumerate(scenario.countries):
        row = 0
        for sector in SECTORS:
            members = sorted(
                (a for a in scenario.assets if a.country == country.id and a.sector == sector),
                key=lambda a: (-a.weight, a.id),
            )
            for k, asset in enumerate(members):
                x = DX * (column * (PER_ROW + 1) + k % PER_ROW)
                positions[asset.id] = (x, -(row + k // PER_ROW))
            row += math.ceil(len(members) / PER_ROW) + (1 if members else 0)
    return positions


def _by_sector(scenario: Scenario) -> tuple[list[Any], list[Line2D]]:
    """Node colours by sector, and a legend entry per sector present."""
    present = [s for s in SECTORS if any(a.sector == s for a in scenario.assets)]
    return [SECTOR_COLOURS[a.sector] for a in scenario.assets], [
        Line2D([], [], marker="o", linestyle="", color=SECTOR_COLOURS[s], label=s) for s in present
    ]


def _by_failure(
    scenario: Scenario, failed_at: dict[str, float], figure: Figure, axes: Axes
) -> tuple[list[Any], list[Line2D]]:
    """Node colours by hour of failure, on a colour bar under the graph, grey for the assets
    that never failed; and a legend entry for those."""
    hours = [failed_at[a.id] for a in scenario.assets if a.id in failed_at]
    norm, cmap = Normalize(min(hours, default=0), max(hours, default=1)), colormaps["viridis"]
    figure.colorbar(
        ScalarMappable(norm, cmap),
        ax=axes,
        location="bottom",
        shrink=0.5,
        pad=0.02,
        label="failed (q ≥ 0.5) at hour",
    )
    colours = [cmap(norm(failed_at[a.id])) if a.id in failed_at else NEVER for a in scenario.assets]
    return colours, [Line2D([], [], marker="o", linestyle="", color=NEVER, label="never failed")]


def labelled(scenario: Scenario, failed_at: dict[str, float] | None) -> list[Asset]:
    """The assets whose ids are written on the graph (see LABELLED)."""
    assets = scenario.assets
    if len(assets) <= LABELLED:
        return list(assets)
    if failed_at:
        failed = sorted((a for a in assets if a.id in failed_at), key=lambda a: failed_at[a.id])
        return failed[:LABELLED]
    return [
        asset
        for c in scenario.countries
        for asset in sorted((a for a in assets if a.country == c.id), key=lambda a: -a.weight)[:3]
    ]


@literal_text
def draw_graph(scenario: Scenario, failed_at: dict[str, float] | None = None) -> dict[str, bytes]:
    """The graph as `{"png": ..., "svg": ...}`: nodes sized by weight and coloured by sector
    or, given `failed_at` (hour of failure by asset id), by when they failed; cross-border
    dependencies drawn in red. Above SUMMARISED assets, the blocks of `draw_blocks`."""
    if len(scenario.assets) > SUMMARISED:
        return draw_blocks(scenario, failed_at)
    where = layout(scenario)
    country = {a.id: a.country for a in scenario.assets}
    columns, depth = len(scenario.countries), max((-y for _, y in where.values()), default=0)
    figure = Figure(figsize=(max(8, 3.2 * columns + 3), max(6, 0.35 * depth + 2)))
    axes = figure.add_subplot()
    local = [
        (where[d.supplier], where[d.dependent])
        for d in scenario.dependencies
        if country[d.supplier] == country[d.dependent]
    ]
    across = [
        (where[d.supplier], where[d.dependent])
        for d in scenario.dependencies
        if country[d.supplier] != country[d.dependent]
    ]
    axes.add_collection(LineCollection(local, colors="0.6", linewidths=0.4, alpha=0.35))
    axes.add_collection(LineCollection(across, colors="crimson", linewidths=1.2, alpha=0.8))
    colours, handles = (
        _by_sector(scenario)
        if failed_at is None
        else _by_failure(scenario, failed_at, figure, axes)
    )
    weights = [a.weight for a in scenario.assets]
    top = max(weights, default=1) or 1
    axes.scatter(
        [where[a.id][0] for a in scenario.assets],
        [where[a.id][1] for a in scenario.assets],
        s=[12 + 140 * math.sqrt(a.weight / top) for a in scenario.assets],
        c=colours,
        edgecolors="white",
        linewidths=0.5,
        zorder=3,
    )
    for column, c in enumerate(scenario.countries):
        axes.text(
            DX * (column * (PER_ROW + 1) + (PER_ROW - 1) / 2),
            0.6,
            f"{c.name} ({c.id})",
            ha="center",
            fontsize=11,
            weight="bold",
        )
    for asset in labelled(scenario, failed_at):
        x, y = where[asset.id]
        below = round(x / DX) % 2 == 0  # neighbours in a row alternate, so ids do not overlap
        axes.annotate(
            asset.id,
            (x, y),
            fontsize=6,
            xytext=(0, -9 if below else 6),
            textcoords="offset points",
            ha="center",
        )
    handles.append(Line2D([], [], color="crimson", label="cross-border dependency"))
    axes.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
    )
    axes.set_title(
        f"{scenario.name}: {len(scenario.assets)} assets, "
        f"{len(scenario.dependencies)} dependencies ({len(across)} cross-border)"
        + ("" if failed_at is None else f", {len(failed_at)} failed")
    )
    axes.autoscale()
    axes.set_axis_off()
    return {name.split(".")[1]: data for name, data in encode(figure, "graph").items()}
