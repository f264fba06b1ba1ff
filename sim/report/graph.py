"""The dependency graph of a model as PNG and SVG, at most a slide's size: countries in columns,
sectors in labelled bands, an arrow from each supplier to its dependent. Above SUMMARISED assets,
one block per country and sector instead (block_graph)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox
from matplotlib.typing import ColorType

from ..engine.infrastructure import DOWN
from ..schema.infrastructure import SECTORS, Asset
from ..schema.scenario import Scenario
from .block_graph import (
    ACROSS,
    DIRECTION,
    HEAD,
    LOCAL,
    MARGINS,
    Point,
    arrows,
    bare,
    country_titles,
    draw_blocks,
    frame,
)
from .figures import encode
from .style import HOURS, MIN_POINTS, SECTOR_COLOURS, SECTOR_MARKERS, SLIDE, projector

NEVER = "0.8"
"""The colour of assets that never failed."""
SUMMARISED = 500
"""Above this many assets the graph is drawn as blocks of country and sector (block_graph): past
it, neighbouring assets come closer than about a fifth of an inch on a slide and their arrows
merge into a haze."""
LABELLED = 60
"""Up to this many assets every asset's id is written; above, those of the first LABELLED to
fail when the graph shows failures, else of the three heaviest per country. Each is written
where it fits, in that order; ids that would overprint one already written are left out."""
GAP = 1
"""Empty slots between countries, and empty rows between sectors."""
WIDEST = 0.9
"""Inches between neighbouring assets at most, for small models."""
SPACE = 6
"""Pixels, at the figure's resolution, kept clear beside an id: ids in a row stay apart."""
COLUMN = 2.6
"""Inches from one country's column to the next at least, where the slide has room: for the
country's name and its assets' ids."""


@dataclass(frozen=True)
class Grid:
    """Where the parts of the graph go, in slots one asset wide and one row high."""

    positions: dict[str, Point]
    columns: list[float]
    """The middle of each country's column, in the scenario's order."""
    stride: float
    """Slots from one country's column to the next."""
    bands: dict[str, float]
    """The top row of each sector's band of rows, where every country's block starts."""
    slots: tuple[float, float]
    """Slots across and rows down."""
    pitch: float
    """Inches per slot, so that the graph fits a slide with MARGINS around it."""


def _grid(scenario: Scenario) -> Grid:
    """One column per country and one band of rows per sector, alike in every column; each
    block of country and sector fills its rows heaviest first. The number of assets per row
    is the one that spaces them widest on a slide; columns spread to COLUMN where it has room."""
    sectors = [s for s in SECTORS if any(a.sector == s for a in scenario.assets)]
    members = {
        (c.id, s): sorted(
            (a for a in scenario.assets if a.country == c.id and a.sector == s),
            key=lambda a: (-a.weight, a.id),
        )
        for c in scenario.countries
        for s in sectors
    }
    most = {s: max(len(members[c.id, s]) for c in scenario.countries) for s in sectors}
    room = (SLIDE[0] - MARGINS[0], SLIDE[1] - MARGINS[1])
    countries = max(len(scenario.countries), 1)

    def pitch(per_row: int) -> float:
        across = countries * (per_row + GAP) - GAP
        down = sum(math.ceil(n / per_row) for n in most.values()) + GAP * (len(sectors) - 1)
        return min(WIDEST, room[0] / across, room[1] / max(down, 1))

    per_row = max(range(1, max(most.values(), default=1) + 1), key=pitch)
    inches = pitch(per_row)
    stride = max(per_row + GAP, min(room[0] / countries, COLUMN) / inches)
    positions: dict[str, Point] = {}
    bands: dict[str, float] = {}
    top = 0
    for sector in sectors:
        for column, country in enumerate(scenario.countries):
            for k, asset in enumerate(members[country.id, sector]):
                positions[asset.id] = (column * stride + k % per_row, -top - k // per_row)
        bands[sector] = -top
        top += math.ceil(most[sector] / per_row) + GAP
    columns = [c * stride + (per_row - 1) / 2 for c in range(len(scenario.countries))]
    across = stride * (countries - 1) + per_row
    return Grid(positions, columns, stride, bands, (across, max(top - GAP, 1)), inches)


def layout(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Positions of the assets, in slots: see `_grid`."""
    return _grid(scenario).positions


def labelled(scenario: Scenario, failed_at: dict[str, float] | None) -> list[Asset]:
    """The assets whose ids are written on the graph where they fit, in that order (see
    LABELLED)."""
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


def _write_ids(
    figure: Figure, axes: Axes, assets: list[Asset], where: Grid, radius: dict[str, float]
) -> None:
    """Write each asset's id right of, above, below or left of its node, the first of these that
    stays within the figure's width and the axes' height, clear of the nodes, the sector names
    and the ids already written; or not at all. The layout is settled first, and the ids kept
    out of it, so they stay where they were measured."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.tight_layout()
    axes.apply_aspect()
    height = axes.get_window_extent(renderer)
    room = Bbox.from_extents(0, height.y0, figure.bbox.x1, height.y1)
    pixels = figure.dpi / 72
    nodes = {
        asset: Bbox.from_extents(x - r, y - r, x + r, y + r)
        for asset, (x, y), r in zip(
            where.positions,
            axes.transData.transform(list(where.positions.values())),
            (pixels * radius[a] for a in where.positions),
            strict=True,
        )
    }
    taken = [label.get_window_extent(renderer) for label in axes.get_yticklabels()]
    for asset in assets:
        gap = radius[asset.id] + 2
        others = [box for a, box in nodes.items() if a != asset.id] + taken
        for offset, ha, va in (
            ((gap, 0), "left", "center"),
            ((0, gap), "center", "bottom"),
            ((0, -gap), "center", "top"),
            ((-gap, 0), "right", "center"),
        ):
            text = axes.annotate(
                asset.id,
                where.positions[asset.id],
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=MIN_POINTS,
                bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "alpha": 0.75, "lw": 0},
                zorder=4,
            )
            text.set_in_layout(False)
            box = text.get_window_extent(renderer).padded(2)
            box = Bbox.from_extents(box.x0 - SPACE, box.y0, box.x1 + SPACE, box.y1)
            within = room.contains(box.x0, box.y0) and room.contains(box.x1, box.y1)
            if within and not any(box.overlaps(o) for o in others):
                taken.append(box)
                break
            text.remove()


@projector
def draw_graph(scenario: Scenario, failed_at: dict[str, float] | None = None) -> dict[str, bytes]:
    """The graph as `{"png": ..., "svg": ...}`: nodes shaped by sector, sized by weight and
    coloured by sector or, given `failed_at` (hour of failure by asset id), by when they failed;
    an arrow from each supplier to its dependent, red across a border. Above SUMMARISED assets,
    the blocks of `draw_blocks`."""
    if len(scenario.assets) > SUMMARISED:
        return draw_blocks(scenario, failed_at)
    grid = _grid(scenario)
    where = grid.positions
    across, down = grid.slots
    failed = failed_at or {}
    figure, axes, key, bar = frame(
        (max(12.0, MARGINS[0] + across * grid.pitch), MARGINS[1] + down * grid.pitch),
        bool(failed),
    )
    country = {a.id: a.country for a in scenario.assets}
    crossing = [country[d.supplier] != country[d.dependent] for d in scenario.dependencies]
    for cross, colour, width, alpha in ((False, LOCAL, 0.8, 0.3), (True, ACROSS, 1.8, 0.7)):
        arrows(
            axes,
            [
                (where[d.supplier], where[d.dependent])
                for d, c in zip(scenario.dependencies, crossing, strict=True)
                if c == cross
            ],
            colour,
            width,
            alpha,
            most=grid.stride / 3,
            head=min(HEAD, grid.pitch / 2),
        )
    handles = [
        Line2D([], [], color=LOCAL, marker=">", label=DIRECTION),
        Line2D([], [], color=ACROSS, marker=">", label="cross-border"),
        Line2D(
            [], [], color="0.2", marker="o", ls="", mfc="none", ms=14, label="size: people served"
        ),
    ]
    colours: dict[str, ColorType] = {a.id: SECTOR_COLOURS[a.sector] for a in scenario.assets}
    if failed_at is not None:
        colours = dict.fromkeys(colours, NEVER)
        handles.append(Line2D([], [], color=NEVER, marker="o", ls="", ms=12, label="never failed"))
    if bar is not None:
        hours = {a: h for a, h in failed.items() if a in colours}
        norm = Normalize(min(hours.values(), default=0), max(hours.values(), default=1))
        shade = colormaps["viridis"]
        colours |= {a: shade(norm(h)) for a, h in hours.items()}
        figure.colorbar(
            ScalarMappable(norm, shade),
            cax=bar,
            orientation="horizontal",
            label=f"when it failed, in {HOURS}\n(failed: inoperability reached {DOWN:g})",
        )
        bar.grid(False)
    top = max((a.weight for a in scenario.assets), default=1.0) or 1.0
    largest = 0.8 * 72 * grid.pitch  # points across the heaviest asset
    radius = {
        a.id: largest / 2 * math.sqrt(0.2 + 0.8 * math.sqrt(a.weight / top))
        for a in scenario.assets
    }
    failed_last = sorted(scenario.assets, key=lambda a: a.id in failed)
    for marker in sorted({SECTOR_MARKERS[a.sector] for a in scenario.assets}):
        drawn = [a for a in failed_last if SECTOR_MARKERS[a.sector] == marker]
        axes.scatter(
            [where[a.id][0] for a in drawn],
            [where[a.id][1] for a in drawn],
            s=[(2 * radius[a.id]) ** 2 for a in drawn],
            c=[colours[a.id] for a in drawn],
            marker=marker,
            edgecolors="0.2",
            linewidths=[1.5 if a.id in failed else 0.6 for a in drawn],  # failures stand out
            zorder=3,
        )
    bare(axes, country_titles(scenario, grid.stride * grid.pitch - 0.3), grid.columns)
    axes.set_yticks(list(grid.bands.values()), [s.replace("_", " ") for s in grid.bands])
    axes.set_aspect("equal", adjustable="box")
    axes.set_xlim(-1, across)
    axes.set_ylim(-down - 0.5, 1.5)  # room for an id above the top row
    key.legend(handles=handles, loc="center", ncols=1 if bar is not None else 2, frameon=False)
    axes.set_title(
        f"{scenario.name}\n{len(scenario.assets)} assets, {len(scenario.dependencies)} "
        f"dependencies ({sum(crossing)} cross-border)"
        + ("" if failed_at is None else f", {len(failed_at)} failed")
    )
    _write_ids(figure, axes, labelled(scenario, failed_at), grid, radius)
    return {name.split(".")[1]: data for name, data in encode(figure, "graph").items()}
