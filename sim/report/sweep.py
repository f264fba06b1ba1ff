"""A line plot of an outcome across a parameter sweep, with 95% bands."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from .figures import encode
from .style import projector


@projector
def sweep_plot(summary: list[dict[str, Any]], title: str) -> dict[str, bytes]:
    """Mean and 95% interval per sweep point, in point order, as PNG and SVG."""
    labels = [s["variant"] for s in summary]
    means = [s["mean"] / 1e6 for s in summary]
    half = [s["half_width"] / 1e6 for s in summary]
    figure = Figure(figsize=(max(8, 1.2 * len(labels) + 3), 6))
    axes = figure.add_subplot()
    x = list(range(len(labels)))
    axes.plot(x, means, marker="o", color="C0")
    axes.fill_between(
        x,
        [m - h for m, h in zip(means, half, strict=True)],
        [m + h for m, h in zip(means, half, strict=True)],
        color="C0",
        alpha=0.2,
    )
    axes.set_xticks(x, labels, rotation=30, ha="right")
    axes.set_ylabel(f"{summary[0]['outcome'].replace('_', ' ')} (millions)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    return encode(figure, "sweep")
