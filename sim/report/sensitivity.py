"""The sensitivity figure: which assumptions the variant's effect depends on, with intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .figures import encode
from .style import projector

SHOWN = {
    "morris": (("mu_star", "mu_star_conf", "μ* (mean absolute elementary effect)", "#0072B2"),),
    "sobol": (
        ("ST", "ST_conf", "total index ST (with interactions)", "#0072B2"),
        ("S1", "S1_conf", "first-order index S1 (alone)", "#E69F00"),
    ),
}
"""The indices drawn for each method: column, its interval, legend text, colour (Okabe-Ito)."""


@projector
def sensitivity_plot(rows: list[dict[str, Any]], method: str, title: str) -> dict[str, bytes]:
    """One row per assumption, most influential on top: the indices of the variant's % effect
    with their 95% intervals."""
    key = SHOWN[method][0][0]
    ordered = sorted(rows, key=lambda r: r[key])
    figure = Figure(figsize=(13, max(4.5, 0.55 * len(rows) + 2)))
    axes = figure.add_subplot()
    y = np.arange(len(ordered))
    height = 0.8 / len(SHOWN[method])
    for k, (column, conf, label, colour) in enumerate(SHOWN[method]):
        axes.barh(
            y + (k - (len(SHOWN[method]) - 1) / 2) * height,
            [r[column] for r in ordered],
            height=height,
            xerr=[r[conf] for r in ordered],
            color=colour,
            label=label,
            capsize=3,
        )
    axes.set_yticks(y, [r["assumption"] for r in ordered])
    unit = "% points of effect" if method == "morris" else "share of the effect's variance"
    axes.set_xlabel(f"sensitivity of the variant's % effect on loss ({unit})")
    axes.set_title(title)
    axes.legend(loc="lower right")
    figure.tight_layout()
    return encode(figure, "sensitivity")
