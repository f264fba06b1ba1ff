"""An experiment's figures and its HTML report: one self-contained page a ministry can read."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.designs import Design
from ..analysis.experiment import (
    LOSS_POINTS,
    Experiment,
    attribution,
    comparison_table,
    showcase,
    summarise,
)
from ..analysis.export import experiment_tables
from ..analysis.timelines import event_windows, failure_times, incident_spans, queue_lengths
from ..engine.records import Records
from ..schema.scenario import Scenario
from .forest import forest_plot
from .graph import SUMMARISED, draw_graph
from .html import render
from .timeseries import impact_plot, incident_timeline, kpi_plot, queue_plot


@dataclass(frozen=True)
class Outcome:
    """A KPI column of the report: its row key, title and scale."""

    key: str
    title: str
    scale: float = 1.0
    unit: str = ""


OUTCOMES = (
    Outcome("service_hours_lost", "Service-hours lost", 1e6, " M"),
    Outcome("event_window_impact", "Weighted loss in event windows", 1e6, " M"),
    Outcome("peak_assets_down", "Peak assets down"),
    Outcome("assets_affected", "Assets affected"),
    Outcome("cascade_depth", "Cascade depth (hops)"),
    Outcome("contain_mean_hours", "Mean time to contain (h)"),
)


def _interval(mean: float, half: float, outcome: Outcome, signed: bool = False) -> str:
    if math.isnan(mean):
        return "—"
    sign = "+" if signed else ""
    text = f"{mean / outcome.scale:{sign},.2f}"
    if not math.isnan(half):
        text += f" ± {half / outcome.scale:,.2f}"
    return text + outcome.unit


def _kpi_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = [{s["variant"]: s for s in summarise(rows, o.key)} for o in OUTCOMES]
    labels = list(dict.fromkeys(row["variant"] for row in rows))
    return [
        {
            "variant": label,
            "cells": [
                _interval(c[label]["mean"], c[label]["half_width"], o)
                for c, o in zip(columns, OUTCOMES, strict=True)
            ],
        }
        for label in labels
    ]


def _verdict(mean: float, half: float) -> str:
    """`better` or `worse` when the paired interval excludes zero (lower loss is better)."""
    if math.isnan(half) or abs(mean) <= half:
        return ""
    return "better" if mean < 0 else "worse"


def _comparison_rows(comparisons: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of (text, CSS class) cells; a difference whose paired interval
    excludes zero is marked better or worse."""
    money = OUTCOMES[0]
    ablation = bool(comparisons) and "cbm" in comparisons[0]
    header = ["CBM", "Effect"] if ablation else []
    header += ["Variant", "Against", "Difference (95% CI, paired)", "Unpaired interval"]
    rows = []
    for c in comparisons:
        text = [c["cbm"], c["effect"]] if ablation else []
        text += [c["variant"], c["against"]]
        mean, half = c["mean_difference"], c["paired_half_width"]
        rows.append(
            [(cell, "") for cell in text]
            + [
                (_interval(mean, half, money, signed=True), f"num {_verdict(mean, half)}"),
                ("± " + _interval(c["unpaired_half_width"], math.nan, money), "num"),
            ]
        )
    return header, rows


def _figures(
    runs: dict[str, Scenario],
    experiment: Experiment,
    comparisons: list[dict[str, Any]],
    detailed: dict[str, Records],
) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """Figure files, and (stem, caption) pairs in report order; `detailed` holds replication
    0 of the reference and of the best variant (`experiment.showcase`)."""
    reference = next(iter(runs))
    best = next((label for label in detailed if label != reference), None)
    scenario = runs[reference]
    files: dict[str, bytes] = {}
    captions: list[tuple[str, str]] = []

    def add(made: dict[str, bytes], caption: str, stem: str | None = None) -> None:
        made_stem = next(iter(made)).rsplit(".", 1)[0]
        stem = stem or made_stem
        files.update({name.replace(made_stem, stem, 1): data for name, data in made.items()})
        captions.append((stem, caption))

    if comparisons:
        add(
            forest_plot(comparisons, scenario.name),
            "Change in service-hours lost against the reference, in % of its mean: the paired "
            "95% interval (dark) is what common random numbers buy over the unpaired one (light).",
        )
    add(
        kpi_plot(experiment.rows),
        "Service-hours lost in every replication, by variant (boxes: quartiles).",
    )
    shown = [reference, *([best] if best else [])]
    shown = [v for v in shown if experiment.horizons[v] == experiment.horizons[reference]]
    add(
        impact_plot(
            np.linspace(0, experiment.horizons[reference], LOSS_POINTS),
            {label: experiment.sector_loss[label] for label in shown},
            event_windows(scenario),
            scenario.name,
        ),
        f"Service lost per sector over time: mean across replications with the 10–90% band, "
        f"for the reference ({reference})"
        + (f" and the variant with least loss ({best})" if best else "")
        + "; event windows shaded.",
    )
    for role, label in (("reference", reference), ("best", best)):
        if label is None:
            continue
        records = detailed[label]
        csirts = [c.id for c in runs[label].countries if c.csirt is not None]
        title = f"{scenario.name}: {label}, replication 0"
        add(
            incident_timeline(incident_spans(records), records.horizon, title),
            f"Incidents of replication 0 of {label} by CSIRT: detection to containment (dark), "
            "containment to recovery (light).",
            f"incident_timeline_{role}",
        )
        if csirts:
            add(
                queue_plot(
                    {c: queue_lengths(records, c) for c in csirts},
                    records.horizon,
                    event_windows(runs[label]),
                    title,
                ),
                f"Tasks waiting in each CSIRT's queue, replication 0 of {label}.",
                f"csirt_queues_{role}",
            )
        if role == "reference":
            images = draw_graph(runs[label], failed_at=failure_times(runs[label], records))
            add(
                {f"failure_graph.{kind}": data for kind, data in images.items()},
                f"Dependency graph coloured by when each asset went down in replication 0 of "
                f"{label}"
                + (
                    " (grey: never)."
                    if len(scenario.assets) <= SUMMARISED
                    else ": the share of each country's sector that failed."
                ),
            )
    return files, captions


def experiment_report(
    scenario: Scenario,
    runs: dict[str, Scenario],
    experiment: Experiment,
    comparisons: list[dict[str, Any]],
    descriptions: dict[str, str],
    provenance: dict[str, Any],
    seed: int,
    shown: dict[str, Records],
) -> dict[str, bytes]:
    """Figure files (PNG and SVG) and report.html for an experiment on `scenario` whose
    variants are `runs` (the first is the reference), on root seed `seed`; `shown` are the
    runs drawn in detail (`experiment.showcase`). Text from the scenario is escaped."""
    files, captions = _figures(runs, experiment, comparisons, shown)
    header, comparison_rows = _comparison_rows(comparisons)
    ablation = bool(comparisons) and "cbm" in comparisons[0]
    html = render(
        "report.html.j2",
        scenario=scenario,
        replications=len(experiment.rows) // max(1, len(runs)),
        seed=seed,
        variants={label: descriptions.get(label, "") for label in runs},
        outcomes=OUTCOMES,
        kpis=_kpi_rows(experiment.rows),
        comparison_title="What each CBM is worth" if ablation else "Differences",
        comparison_note=(
            "Service-hours lost: all CBMs together against none, each CBM alone (against no "
            "CBMs) and its marginal effect (all CBMs against all but it). Negative numbers are "
            "reductions; green and red mark differences whose paired interval excludes zero."
            if ablation
            else "Service-hours lost, each variant against the reference over the same "
            "replications. Negative numbers are reductions; green and red mark differences "
            "whose paired interval excludes zero."
        ),
        comparison_header=header,
        comparisons=comparison_rows,
        figures=[
            {"png": base64.b64encode(files[f"{stem}.png"]).decode(), "caption": caption}
            for stem, caption in captions
        ],
        provenance=provenance,
        digests={label: s.digest() for label, s in runs.items()},
    )
    return files | {"report.html": html.encode()}


def comparison_files(
    scenario: Scenario,
    design: Design,
    experiment: Experiment,
    ablation: bool,
    provenance: dict[str, Any],
    seed: int,
) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """What `cyberttx compare` writes for `experiment` on `design` (of `scenario` as
    written): its table (each CBM's attribution with `ablation`, else each variant against
    the first) and the files: the tables, the figures and report.html."""
    rows = experiment.rows
    table = attribution(rows) if ablation else comparison_table(rows)
    headline = [r for r in table if r["outcome"] == "service_hours_lost"]
    report = experiment_report(
        scenario,
        design.runs,
        experiment,
        headline,
        design.descriptions,
        provenance,
        seed,
        showcase(design.runs, rows, seed),
    )
    return table, experiment_tables(rows, table, "comparison.csv") | report
