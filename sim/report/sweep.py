"""The sweep figure: an outcome across a parameter sweep, and its paired change against the
first point."""

from __future__ import annotations

import textwrap
from numbers import Real
from typing import Any

from matplotlib.figure import Figure

from ..analysis.designs import sweep_grid
from ..analysis.experiment import Experiment, sweep_summary
from ..analysis.export import experiment_tables
from .figures import encode
from .style import LOWER_IS_BETTER, large_numbers, projector, series


@projector
def sweep_plot(summary: list[dict[str, Any]], params: list[str], title: str) -> dict[str, bytes]:
    """Against the first parameter (a numeric axis when its values are numbers), one line per
    combination of the other parameters: above, the mean outcome with its 95% interval (cut
    at zero, as losses cannot be negative, and said so); below, its change in % of the first
    point's mean with the paired 95% interval (common random numbers). PNG and SVG. Summary
    rows (`sweep_summary`) carry each parameter's value under its path."""
    first, others = params[0], params[1:]
    numeric = all(isinstance(s[first], Real) for s in summary)
    categories = list(dict.fromkeys(s[first] for s in summary))
    lines: dict[str, list[dict[str, Any]]] = {}
    for s in summary:
        label = ", ".join(str(s[p]) for p in others)
        lines.setdefault(label, []).append(s)
    figure = Figure(figsize=(14, 9))
    level, change = figure.subplots(2, 1, sharex=True)
    for k, (label, points) in enumerate(lines.items()):
        x = [p[first] if numeric else categories.index(p[first]) for p in points]
        style = series(k) | {"label": label or None, "capsize": 6}
        means = [p["mean"] for p in points]
        below = [min(p["half_width"], p["mean"]) for p in points]
        level.errorbar(x, means, yerr=[below, [p["half_width"] for p in points]], **style)
        percent = [p["percent_change"] for p in points]
        change.errorbar(x, percent, yerr=[p["percent_half_width"] for p in points], **style)
    if not numeric:
        change.set_xticks(range(len(categories)), [str(c) for c in categories])
    change.set_xlabel(first)
    outcome = summary[0]["outcome"].replace("_", " ")
    level.set_ylabel(f"{outcome}\nmean, 95% interval\n(cut at zero)")
    level.set_ylim(bottom=0)
    large_numbers(level)
    change.axhline(0, color="0.3", lw=1)
    change.set_ylabel(f"% change against\nthe first point\n({LOWER_IS_BETTER})")
    if others:
        level.legend(
            title=", ".join(others), loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
        )
    level.set_title(textwrap.fill(f"{title}: paired runs (common random numbers)", 70), loc="left")
    return encode(figure, "sweep")


def sweep_files(
    grid: dict[str, list[Any]], experiment: Experiment, title: str
) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """What `cyberttx sweep` writes for `experiment` on `grid` (`sweep_design`): its summary
    (mean loss and 95% interval per point) and the files: replications.csv, sweep.csv and
    the figure."""
    summary = sweep_summary(experiment.rows, sweep_grid(grid))
    files = experiment_tables(experiment.rows, summary, "sweep.csv")
    return summary, files | sweep_plot(summary, list(grid), title)
