"""One style for the figures, legible on a projector: large type, thick lines, a fixed colour
per sector."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from matplotlib import colormaps, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from ..schema.infrastructure import SECTORS
from .figures import encode

SECTOR_COLOURS = {s: colormaps["tab20"](i) for i, s in enumerate(SECTORS)}
"""Each sector's colour, the same in every figure."""

PROJECTOR = {
    "text.parse_math": False,  # a '$' in a name or label prints as a '$'
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 16,
    "lines.linewidth": 2.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""matplotlib settings of every figure drawn under `projector`."""

HOURS = "hours since the start"
"""The label of every time axis."""

P = ParamSpec("P")
R = TypeVar("R")


def projector(draw: Callable[P, R]) -> Callable[P, R]:
    """`draw`, run (figure built and saved) under the PROJECTOR settings."""
    return rc_context(PROJECTOR)(draw)


def literal_text(draw: Callable[P, R]) -> Callable[P, R]:
    """`draw`, run with text taken literally: a '$' in a name is not mathematics."""
    return rc_context({"text.parse_math": False})(draw)


def large_numbers(axes: Axes, axis: str = "y") -> None:
    """Tick labels of `axis` with SI prefixes (12k, 3M), readable from the back of a room."""
    getattr(axes, f"{axis}axis").set_major_formatter(EngFormatter())


def empty(stem: str, title: str, note: str) -> dict[str, bytes]:
    """An empty chart saying why it is empty, encoded as `stem`."""
    figure = Figure(figsize=(12, 4))
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.set_title(title)
    axes.text(0.5, 0.5, note, ha="center", va="center", transform=axes.transAxes, color="0.4")
    return encode(figure, stem)
