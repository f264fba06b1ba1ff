"""A forest plot of paired effects against a reference variant, in % of the reference."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .figures import encode
from .style import LOWER_IS_BETTER, OKABE_ITO, projector, row_pitch

PAIRED, UNPAIRED, MEAN = OKABE_ITO[0], "0.78", OKABE_ITO[1]


@projector
def forest_plot(results: list[dict[str, Any]], title: str) -> dict[str, bytes]:
    """Each comparison's mean effect in % of its reference's mean, with its paired 95%
    interval (dark) over the unpaired one (light), as PNG and SVG."""
    figure = Figure(figsize=(14, 2.4 + row_pitch(len(results)) * len(results)))
    axes = figure.add_subplot()
    for y, r in enumerate(reversed(results)):
        scale = 100 / r["reference_mean"] if r["reference_mean"] else 0.0
        mean = r["percent_change"]
        for half, colour, width in (
            (r["unpaired_half_width"] * scale, UNPAIRED, 9),
            (r["percent_half_width"], PAIRED, 4),
        ):
            axes.plot([mean - half, mean + half], [y, y], "-", color=colour, lw=width)
        axes.plot([mean], [y], "o", color=MEAN, markeredgecolor="black", zorder=3)
    axes.axvline(0, color="0.3", lw=1)
    axes.set_yticks(
        range(len(results)), [f"{r['variant']} vs {r['against']}" for r in reversed(results)]
    )
    axes.set_ylim(-0.6, len(results) - 0.4)
    outcome = results[0]["outcome"].replace("_", " ")
    axes.set_xlabel(f"change in {outcome}, % of the reference's mean ({LOWER_IS_BETTER})")
    axes.grid(axis="y", visible=False)
    handles = [
        Line2D([], [], color=PAIRED, lw=4, label="paired 95% interval"),
        Line2D([], [], color=UNPAIRED, lw=9, label="unpaired 95% interval"),
        Line2D([], [], marker="o", ls="", color=MEAN, markeredgecolor="black", label="mean"),
    ]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes.set_title(title, loc="left")
    return encode(figure, "comparison")
