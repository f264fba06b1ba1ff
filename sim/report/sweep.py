"""A line plot of an outcome across a parameter sweep, with 95% bands."""

from __future__ import annotations

import textwrap
from numbers import Real
from typing import Any

from matplotlib.figure import Figure

from .figures import encode
from .style import large_numbers, projector


@projector
def sweep_plot(summary: list[dict[str, Any]], params: list[str], title: str) -> dict[str, bytes]:
    """Mean and 95% interval of the outcome against the first parameter (a numeric axis when
    its values are numbers), one line per combination of the other parameters, as PNG and
    SVG. Summary rows carry each parameter's value under its path. The band is cut at zero:
    losses cannot be negative."""
    first, others = params[0], params[1:]
    numeric = all(isinstance(s[first], Real) for s in summary)
    categories = list(dict.fromkeys(s[first] for s in summary))
    lines: dict[str, list[dict[str, Any]]] = {}
    for s in summary:
        label = ", ".join(str(s[p]) for p in others)
        lines.setdefault(label, []).append(s)
    figure = Figure(figsize=(11, 6.5))
    axes = figure.add_subplot()
    for k, (label, points) in enumerate(lines.items()):
        x = [p[first] if numeric else categories.index(p[first]) for p in points]
        means = [p["mean"] for p in points]
        low = [max(0.0, p["mean"] - p["half_width"]) for p in points]
        high = [p["mean"] + p["half_width"] for p in points]
        axes.plot(x, means, marker="o", color=f"C{k}", label=label or None)
        axes.fill_between(x, low, high, color=f"C{k}", alpha=0.2, lw=0)
    if not numeric:
        axes.set_xticks(range(len(categories)), [str(c) for c in categories])
    axes.set_xlabel(first)
    axes.set_ylabel(summary[0]["outcome"].replace("_", " "))
    axes.set_ylim(bottom=0)
    large_numbers(axes)
    if others:
        axes.legend(title=", ".join(others), loc="best")
    wrapped = textwrap.fill(f"{title}: mean and 95% interval", 60)
    axes.set_title(wrapped)
    return encode(figure, "sweep")
