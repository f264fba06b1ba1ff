"""A forest plot of paired differences against a reference variant."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from .figures import encode
from .style import projector


@projector
def forest_plot(results: list[dict[str, Any]], title: str) -> dict[str, bytes]:
    """Each comparison's mean difference with its paired 95% interval (dark) over the
    unpaired one (light), in millions, as PNG and SVG."""
    figure = Figure(figsize=(11, 1.8 + 0.55 * len(results)))
    axes = figure.add_subplot()
    for y, r in enumerate(reversed(results)):
        mean = r["mean_difference"] / 1e6
        for half, colour, width in (
            (r["unpaired_half_width"], "0.75", 6),
            (r["paired_half_width"], "C0", 3),
        ):
            axes.plot(
                [mean - half / 1e6, mean + half / 1e6],
                [y, y],
                color=colour,
                lw=width,
                solid_capstyle="butt",
            )
        axes.plot([mean], [y], "o", color="C3", zorder=3)
    axes.axvline(0, color="0.3", lw=0.8)
    axes.set_yticks(
        range(len(results)),
        [f"{r['variant']} vs {r['against']}" for r in reversed(results)],
        fontsize=8,
    )
    axes.set_xlabel(f"difference in {results[0]['outcome'].replace('_', ' ')} (millions)")
    axes.set_title(f"{title}\n95% intervals: paired (dark), unpaired (light)")
    axes.grid(axis="x", alpha=0.3)
    return encode(figure, "comparison")
