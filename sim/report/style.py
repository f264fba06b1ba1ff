"""One style for the figures, legible on a projector: text of at least 14 pt on a 16:9 slide,
the colour-blind-safe Okabe–Ito palette with a line style per series, a fixed colour and marker
per sector, and event windows each in its own tint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from cycler import cycler
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter

from ..schema.infrastructure import SECTORS
from .figures import encode

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
"""Okabe and Ito's palette, distinguishable with every common colour-vision deficiency; yellow
(weak on white) last."""

LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)), "-")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

SECTOR_COLOURS = {s: OKABE_ITO[i % len(OKABE_ITO)] for i, s in enumerate(SECTORS)}
"""Each sector's colour, the same in every figure; sectors eight apart share a colour and
differ by SECTOR_MARKERS and SECTOR_HATCHES."""
SECTOR_MARKERS = {s: "os"[i // len(OKABE_ITO)] for i, s in enumerate(SECTORS)}
SECTOR_HATCHES = {s: ["", "//"][i // len(OKABE_ITO)] for i, s in enumerate(SECTORS)}

SLIDE = (16.0, 9.0)
"""A 1920×1080 slide, in inches at 120 pixels per inch: a figure larger than this is shrunk
to fit, and its text with it."""

MIN_POINTS = 14
"""The smallest text, in points, once the figure fits the slide."""

PROJECTOR = {
    "text.parse_math": False,  # a '$' in a name or label prints as a '$'
    "font.size": 16,
    "axes.titlesize": 18,
    "axes.labelsize": 16,
    "xtick.labelsize": 15,
    "ytick.labelsize": 15,
    "legend.fontsize": 15,
    "legend.title_fontsize": 15,
    "figure.titlesize": 19,
    "figure.labelsize": 16,
    "lines.linewidth": 2.5,
    "lines.markersize": 8,
    "axes.prop_cycle": cycler(color=OKABE_ITO),  # line styles by `series`, where series overlap
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""matplotlib settings of every figure drawn under `projector`."""

HOURS = "hours since the start"
"""The label of every time axis."""

LOWER_IS_BETTER = "lower is better"
"""Said on every axis of a loss."""

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


def row_pitch(rows: int, room: float = SLIDE[1] - 2.4) -> float:
    """Inches per row of a figure of `rows` rows: half an inch, less when that would not fit
    the slide's height."""
    return min(0.5, room / max(rows, 1))


def series(k: int) -> dict[str, Any]:
    """Colour, line style and marker of the k-th series: overlapping series stay apart."""
    return {
        "color": OKABE_ITO[k % len(OKABE_ITO)],
        "linestyle": LINE_STYLES[k % len(LINE_STYLES)],
        "marker": MARKERS[k % len(MARKERS)],
    }


def shade_windows(
    panels: Sequence[Axes], windows: Sequence[tuple[str, float, float]]
) -> list[Patch]:
    """Shade each event window in its own tint in every panel, number it at the top of the
    first panel (numbers too close for one row step down), and return legend entries naming
    the numbers. Call it once the x limits are set."""
    if not windows:
        return []
    low, high = panels[0].get_xlim()
    box = panels[0].get_position()
    inches = panels[0].get_figure().get_size_inches()
    width = 0.3 * (high - low) / (box.width * inches[0])  # a two-digit number at 16 pt: 0.3 in
    step = 0.3 / (box.height * inches[1])  # one row of numbers down, in axes fraction
    rows: list[float] = []  # the right end of the last number in each row
    handles = []
    for k, (name, start, end) in enumerate(windows, 1):
        tint = OKABE_ITO[(k - 1) % len(OKABE_ITO)]
        for axes in panels:
            axes.axvspan(start, end, color=tint, alpha=0.13, lw=0)
        middle = (start + end) / 2
        row = next((r for r, last in enumerate(rows) if middle - width / 2 >= last), len(rows))
        rows[row : row + 1] = [middle + width / 2]
        panels[0].text(
            middle,
            0.97 - step * row,
            str(k),
            ha="center",
            va="top",
            transform=panels[0].get_xaxis_transform(),
            color=tint,
            fontweight="bold",
        )
        handles.append(Patch(color=tint, alpha=0.3, label=f"{k} {name} ({start:g}–{end:g} h)"))
    return handles
