"""No text in a figure overprints another: each figure is drawn, and the bounding boxes of its
visible texts (titles, labels, ticks, legends, annotations) must not intersect.

Figures that still fail are listed in OVERPRINTING, to fix (issue 17); the test fails if one of
them stops overprinting, so the list cannot go stale."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim import bundled_scenario, load_scenario
from sim.analysis.designs import variants_of
from sim.analysis.experiment import compare, run_experiment, showcase, sweep_summary
from sim.report import (
    block_graph,
    experiment_report,
    figures,
    forest,
    graph,
    sensitivity,
    sweep,
    timeseries,
)

DRAWING = (block_graph, forest, graph, sensitivity, sweep, timeseries)
"""The modules that draw the report's figures (each calls `figures.encode`)."""

OVERPRINTING = {"impact_over_time", "incident_timeline", "csirt_queues"}
"""Figures known to overprint some of their text (tick labels of small multiples, asset ids
in dense timelines, a title over the top tick): the next work on issue 17's plots."""


def overprinted(figure: Figure) -> list[tuple[str, str]]:
    """Pairs of visible texts whose drawn boxes overlap by more than a pixel each way."""
    FigureCanvasAgg(figure)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in figure.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0) > 1
        and min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0) > 1
    ]


@pytest.fixture(scope="module")
def drawn() -> dict[str, Figure]:
    """Every figure of a comparison report, a sweep and a sensitivity plot, by stem."""
    found: dict[str, Figure] = {}
    original = figures.encode

    def keep(figure: Figure, stem: str) -> dict[str, bytes]:
        found.setdefault(stem, figure)
        return original(figure, stem)

    patch = pytest.MonkeyPatch()
    for module in DRAWING:
        patch.setattr(module, "encode", keep)
    scenario = load_scenario(bundled_scenario())
    runs = variants_of(scenario, ["baseline", "all_cbms"])
    experiment = run_experiment(runs, 3, 5)
    rows: list[dict[str, Any]] = compare(experiment.rows)
    experiment_report.experiment_report(
        scenario, runs, experiment, rows, {}, {}, 5, showcase(runs, experiment.rows, 5)
    )
    values = {label: {"point": k} for k, label in enumerate(runs)}
    sweep.sweep_plot(sweep_summary(experiment.rows, values), ["point"], scenario.name)
    indices = [
        {"assumption": f"a{k}", "mu_star": k, "mu_star_conf": 0.1, "sigma": 1} for k in range(8)
    ]
    sensitivity.sensitivity_plot(indices, "morris", scenario.name)
    patch.undo()
    return found


def test_no_figure_overprints_its_text(drawn: dict[str, Figure]) -> None:
    assert {"comparison", "kpi_distributions", "graph", "sweep", "sensitivity"} <= set(drawn)
    for stem, figure in drawn.items():
        clashes = overprinted(figure)
        if stem in OVERPRINTING:
            assert clashes, f"{stem} no longer overprints: take it off OVERPRINTING"
        else:
            assert not clashes, (stem, clashes[:5])
