"""The dependency graph of a model, grouped by country and sector, as PNG and SVG."""

from __future__ import annotations

import math
from typing import get_args

from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..schema.infrastructure import Sector
from ..schema.scenario import Scenario
from .figures import encode

SECTORS: tuple[str, ...] = get_args(Sector)
PER_ROW = 6
"""Assets of one sector in one country per row of the drawing."""
DX = 1.8
"""Horizontal spacing of assets, in row heights (room for their ids)."""
LABELLED = 60
"""Up to this many assets every asset is labelled; above, the three heaviest per country."""


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


def draw_graph(scenario: Scenario) -> dict[str, bytes]:
    """The graph as `{"png": ..., "svg": ...}`: nodes coloured by sector and sized by weight,
    cross-border dependencies drawn in red."""
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
    colours = {s: colormaps["tab20"](i) for i, s in enumerate(SECTORS)}
    weights = [a.weight for a in scenario.assets]
    top = max(weights, default=1) or 1
    axes.scatter(
        [where[a.id][0] for a in scenario.assets],
        [where[a.id][1] for a in scenario.assets],
        s=[12 + 140 * math.sqrt(a.weight / top) for a in scenario.assets],
        c=[colours[a.sector] for a in scenario.assets],
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
        mine = sorted((a for a in scenario.assets if a.country == c.id), key=lambda a: -a.weight)
        for asset in mine if len(scenario.assets) <= LABELLED else mine[:3]:
            x, y = where[asset.id]
            axes.annotate(
                asset.id,
                (x, y),
                fontsize=6,
                xytext=(0, -9),
                textcoords="offset points",
                ha="center",
            )
    present = [s for s in SECTORS if any(a.sector == s for a in scenario.assets)]
    handles = [Line2D([], [], marker="o", linestyle="", color=colours[s], label=s) for s in present]
    handles.append(Line2D([], [], color="crimson", label="cross-border dependency"))
    axes.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
    )
    axes.set_title(
        f"{scenario.name}: {len(scenario.assets)} assets, "
        f"{len(scenario.dependencies)} dependencies ({len(across)} cross-border)"
    )
    axes.autoscale()
    axes.set_axis_off()
    return {name.split(".")[1]: data for name, data in encode(figure, "graph").items()}
