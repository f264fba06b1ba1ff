"""The sensitivity report: how robust a variant's effect is over the sampled assumptions, which
assumptions it hinges on (figure with intervals), and the page that says so."""

from __future__ import annotations

import base64
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..analysis.export import csv_bytes, experiment_tables
from ..analysis.sensitivity import (
    EVERY_CBM,
    SensitivityDesign,
    SensitivityOutcome,
    robustness,
    samples_frame,
)
from .figures import encode
from .html import render
from .style import LOWER_IS_BETTER, OKABE_ITO, projector, row_pitch

if TYPE_CHECKING:
    from ..analysis.experiment import Experiment

TITLE_WIDTH = 90
"""Characters of a title line across a whole figure; a study's title runs longer."""

SHOWN = {
    "morris": (("mu_star", "mu_star_conf", "μ* (mean absolute elementary effect)", OKABE_ITO[0]),),
    "sobol": (
        ("ST", "ST_conf", "total index ST (with interactions)", OKABE_ITO[0]),
        ("S1", "S1_conf", "first-order index S1 (alone)", OKABE_ITO[3]),
    ),
}
"""The indices drawn for each method: column, its interval, legend text, colour."""


@projector
def sensitivity_plot(rows: list[dict[str, Any]], method: str, title: str) -> dict[str, bytes]:
    """One row per assumption, most influential on top: the indices of the variant's % effect
    with their 95% intervals."""
    key = SHOWN[method][0][0]
    ordered = sorted(rows, key=lambda r: r[key])
    figure = Figure(figsize=(15, max(4.5, 2.4 + row_pitch(len(rows)) * len(rows))))
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
    axes.set_xlabel(f"sensitivity of the variant's % effect on loss\n({unit})")
    axes.set_title(textwrap.fill(title, TITLE_WIDTH // 2), loc="left")  # right of the names
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.grid(axis="y", visible=False)
    whisker = Line2D([], [], color="black", marker="|", markersize=10, label="95% interval")
    handles = [*axes.get_legend_handles_labels()[0], whisker]
    below = -1.6 / figure.get_figheight()  # under the two-line axis label
    axes.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, below), ncol=2, frameon=False
    )
    return encode(figure, "sensitivity")


@projector
def effect_histogram(effects: np.ndarray, title: str) -> dict[str, bytes]:
    """The variant's % effect at every sampled point, as a histogram split at zero: the bars
    left of it (lower loss) in one colour, right of it in another."""
    figure = Figure(figsize=(14, 6))
    axes = figure.add_subplot()
    low, high = min(0.0, float(effects.min())), max(0.0, float(effects.max()))
    edges = np.histogram_bin_edges(effects, bins=min(30, max(5, len(effects) // 4)))
    edges = np.union1d(edges[(edges > low) & (edges < high)], [low, 0.0, high])
    counts, _ = np.histogram(effects, edges)
    for left, right, n in zip(edges[:-1], edges[1:], counts, strict=True):
        colour = OKABE_ITO[2] if right <= 0 else OKABE_ITO[1]
        axes.bar(left, n, width=right - left, align="edge", color=colour, edgecolor="white")
    axes.axvline(0, color="0.2", lw=1.5)
    axes.set_xlabel(f"change in mean service-hours lost, % of the reference ({LOWER_IS_BETTER})")
    axes.set_ylabel("sampled points")
    axes.grid(axis="x", visible=False)
    axes.set_title(textwrap.fill(title, TITLE_WIDTH), loc="left")
    return encode(figure, "effect_distribution")


def verdict(held: dict[str, float]) -> str:
    """In words, how far "the variant lowers loss" holds over the sampled assumptions."""
    share = held["share_lowering"]
    said = f"The variant lowers loss at {share:.0%} of the sampled points"
    if share >= 0.95:
        return f"{said}: the conclusion holds across the assumption space."
    if share >= 0.75:
        return f"{said}: the conclusion holds over most of the assumption space, not all of it."
    if share > 0.25:
        return f"{said}: whether it helps depends on assumptions we do not know."
    return f"{said}: over most of the assumption space it does not lower loss."


def _cell(value: float, conf: float) -> str:
    return f"{value:.2f} ± {conf:.2f}"


def sensitivity_report(
    title: str,
    method: str,
    ranges: Sequence[tuple[str, float, float]],
    rows: list[dict[str, Any]],
    effects: np.ndarray,
    replications: int,
    seed: int,
    provenance: dict[str, Any],
) -> dict[str, bytes]:
    """sensitivity.png/.svg, effect_distribution.png/.svg and report.html of a study: `ranges`
    are (path, low, high) of each assumption, `rows` its indices (`indices`), `effects` the %
    effect at each sampled point. Text from the scenario is escaped."""
    held = robustness(effects)
    files = sensitivity_plot(rows, method, title) | effect_histogram(effects, title)
    key = SHOWN[method][0][0]
    by_path = {r["assumption"]: r for r in rows}
    ordered = sorted(ranges, key=lambda a: -by_path[a[0]][key])
    columns = [(column, conf) for column, conf, _, _ in SHOWN[method]]
    captions = {
        "effect_distribution": "The variant's % effect at each sampled point: left of zero, "
        "it lowers loss.",
        "sensitivity": "How much the effect depends on each assumption, with 95% intervals.",
    }
    html = render(
        "sensitivity.html.j2",
        title=title,
        method_name="Morris screening" if method == "morris" else "Sobol indices",
        points=len(effects),
        replications=replications,
        seed=seed,
        held=held,
        verdict=verdict(held),
        index_note=(
            "μ*: the mean absolute change in the effect (in % points) when the assumption "
            "moves one step across its range; sigma: how much that change varies with the others."
            if method == "morris"
            else "ST: the share of the effect's variance due to the assumption, with its "
            "interactions; S1: alone."
        ),
        unresolved=any(by_path[a][f"{key}_conf"] > by_path[a][key] for a, _, _ in ordered[:3]),
        index_header=["μ* ± 95%", "sigma"] if method == "morris" else ["ST ± 95%", "S1 ± 95%"],
        index_rows=[
            {
                "assumption": path,
                "range": f"{low:g} to {high:g}",
                "cells": (
                    [
                        _cell(by_path[path]["mu_star"], by_path[path]["mu_star_conf"]),
                        f"{by_path[path]['sigma']:.2f}",
                    ]
                    if method == "morris"
                    else [_cell(by_path[path][c], by_path[path][k]) for c, k in columns]
                ),
            }
            for path, low, high in ordered
        ],
        figures=[
            {"png": base64.b64encode(files[f"{stem}.png"]).decode(), "caption": caption}
            for stem, caption in captions.items()
        ],
        provenance=provenance,
    )
    return files | {"report.html": html.encode()}


def sensitivity_title(scenario: str, design: SensitivityDesign, against: str | None) -> str:
    """The study in one line: `scenario`'s variant judged against its reference (`against`:
    the declared variant it starts from, None: the scenario as written)."""
    base = against or "the scenario as written"
    reference = base if design.judged != EVERY_CBM else f"no CBM ({base}, every CBM dropped)"
    return f"{scenario}: {design.judged} against {reference}"


def sensitivity_files(
    title: str,
    design: SensitivityDesign,
    outcome: SensitivityOutcome,
    experiment: Experiment,
    replications: int,
    provenance: dict[str, Any],
) -> dict[str, bytes]:
    """What `cyberttx sensitivity` writes for `experiment`, `design`'s runs over
    `replications`: replications.csv, sensitivity.csv (the indices),
    samples.csv (each point's values and effect), the figures and report.html."""
    names, x, y = design.spec["names"], design.x, outcome.effects
    return (
        experiment_tables(experiment.rows, outcome.indices, "sensitivity.csv")
        | {"samples.csv": csv_bytes(samples_frame(names, x, y))}
        | sensitivity_report(
            title,
            design.method,
            [(a.path, a.low, a.high) for a in design.assumptions],
            outcome.indices,
            y,
            replications,
            design.seed,
            provenance,
        )
    )
