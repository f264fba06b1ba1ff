"""The AAR's charts, drawn for a projector: service lost over the room's run with its decisions
marked, and the service-hours the room lost beside what the choices open to it would have."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..analysis.timelines import event_windows, sector_loss
from ..engine.records import Records
from ..schema.scenario import Scenario
from .aar_words import amount
from .figures import encode
from .style import (
    HOURS,
    LOWER_IS_BETTER,
    OKABE_ITO,
    SECTOR_COLOURS,
    SECTOR_HATCHES,
    SLIDE,
    empty,
    large_numbers,
    projector,
    row_pitch,
    shade_windows,
)

STEPS = 960
"""Points of the time axis."""

ROOM, REFERENCE, BETTER, WORSE = OKABE_ITO[0], "0.15", OKABE_ITO[2], OKABE_ITO[1]


def _total(scenario: Scenario, records: Records, times: np.ndarray) -> np.ndarray:
    return np.sum(list(sector_loss(scenario, records, times).values()) or [0 * times], axis=0)


@projector
def impact_over_time(
    scenario: Scenario,
    room: Records,
    reference: Records | None,
    decisions: Sequence[tuple[int, float]],
    title: str,
) -> dict[str, bytes]:
    """Service lost over time in the room's run, stacked by sector; the `reference` run's
    total (no decisions taken) as a dashed line; each decision (number, hour) as a vertical
    line numbered at the top; the major events' windows shaded."""
    horizon = scenario.duration_hours
    times = np.linspace(0.0, horizon, STEPS + 1)
    loss = sector_loss(scenario, room, times)
    sectors = [s for s in SECTOR_COLOURS if s in loss and np.any(loss[s])]
    other = _total(scenario, reference, times) if reference is not None else None
    if not sectors and (other is None or not np.any(other)):
        return empty("aar_impact", title, "no service was lost in this run")
    figure = Figure(figsize=(15, 7))
    axes = figure.add_subplot()
    axes.set_xlim(0, horizon)
    windows = shade_windows([axes], event_windows(scenario))
    if sectors:
        layers = axes.stackplot(
            times,
            [loss[s] for s in sectors],
            colors=[SECTOR_COLOURS[s] for s in sectors],
            labels=[s.replace("_", " ") for s in sectors],
            step="post",
            alpha=0.85,
        )
        for layer, sector in zip(layers, sectors, strict=True):
            layer.set_hatch(SECTOR_HATCHES[sector])
            layer.set_edgecolor("white")
    if other is not None:
        axes.plot(
            times,
            other,
            drawstyle="steps-post",
            color=REFERENCE,
            linestyle="--",
            lw=2,
            label="no decisions taken (total)",
        )
    for number, hour in decisions:
        axes.axvline(hour, color=ROOM, lw=1.8, linestyle=":")
        axes.text(
            hour,
            1.01,
            f"D{number}",
            transform=axes.get_xaxis_transform(),
            ha="center",
            va="bottom",
            color=ROOM,
            fontweight="bold",
        )
    handles = axes.get_legend_handles_labels()[0][::-1]  # the top of the stack first
    handles.append(
        axes.plot([], [], color=ROOM, lw=1.8, linestyle=":", label="decision Dn taken")[0]
    )
    handles.extend(windows)
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes.set_ylim(bottom=0)
    axes.set_xlabel(HOURS)
    axes.set_ylabel("service lost (weight × inoperability)")
    large_numbers(axes)
    axes.set_title(title, pad=28, loc="left")
    return encode(figure, "aar_impact")


@projector
def choices_bars(
    bars: Sequence[tuple[str, float, str]], reference: float, title: str
) -> dict[str, bytes]:
    """Service-hours lost per run against `reference` (no decisions taken), one horizontal
    bar each, first at the top: (label, value, role), role "room", "reference" or "option".
    Each bar is labelled with its difference and its value; the room's bar is blue, the others
    green where they lose less than no decisions, red where they lose more."""
    if not bars:
        return empty("aar_choices", title, "no counterfactual was run")
    figure = Figure(figsize=(15, 2.2 + row_pitch(len(bars), SLIDE[1] - 2.2) * 1.3 * len(bars)))
    axes = figure.add_subplot()
    y = np.arange(len(bars))[::-1]
    differences = np.array([v - reference for _, v, _ in bars])
    colours = [
        ROOM if role == "room" else BETTER if d < 0 else WORSE if d > 0 else "0.55"
        for (_, _, role), d in zip(bars, differences, strict=True)
    ]
    axes.barh(y, differences, color=colours, height=0.6)
    span = float(np.max(np.abs(differences))) or max(abs(reference) * 0.01, 1.0)
    for position, difference, (_, value, _) in zip(y, differences, bars, strict=True):
        moved = amount(difference, signed=True) if difference else "no change"
        text = f"  {moved} ({amount(value)})  "
        axes.text(
            difference,
            position,
            text,
            va="center",
            ha="left" if difference >= 0 else "right",
        )
    labels = ["\n".join(textwrap.wrap(label, 44)) for label, _, _ in bars]
    axes.set_yticks(y, labels)
    axes.axvline(0, color=REFERENCE, lw=1.5)
    low, high = min(0.0, float(differences.min())), max(0.0, float(differences.max()))
    axes.set_xlim(low - (0.6 * span if low < 0 else 0.05 * span), high + 0.6 * span)
    axes.set_xlabel(
        f"service-hours lost against no decisions taken ({amount(reference)}), same seed; "
        f"{LOWER_IS_BETTER}"
    )
    large_numbers(axes, "x")
    axes.grid(axis="y", visible=False)
    axes.set_title(title, loc="left")
    return encode(figure, "aar_choices")
