"""What `cyberttx decisions` prints and writes: each option's measured effect beside the
effect the scenario expects of it."""

from __future__ import annotations

from collections.abc import Sequence

from ..analysis.decision_effects import OptionEffect
from ..analysis.export import table_bytes
from .aar_words import amount, change

COLUMNS = [
    "point",
    "option",
    "label",
    "expected",
    "measured",
    "mean_change",
    "mean_change_pct",
    "runs_lower",
    "runs_higher",
    "point_fell_due",
    "replications",
    "verdict",
]


def decision_lines(effects: Sequence[OptionEffect], replications: int) -> list[str]:
    """The table as console lines: per decision point, each option other than the default
    with its expected effect, its mean change in service-hours lost (and %), how many runs
    it lowered and raised, how often the point fell due, and the verdict."""
    if not effects:
        return ["This exercise has no decision point with options to compare."]
    reference = effects[0].reference
    lines = [
        f"Mean service-hours lost with every point at its default: {amount(reference)} "
        "(lower is better).",
        "Each option is taken alone, every other point at its default, on the same random numbers.",
    ]
    point = None
    for effect in effects:
        if effect.point.id != point:
            point = effect.point.id
            default = effect.point.options[effect.point.default].label
            lines += ["", f"{point} (default: {default})"]
        measured = change(reference + effect.mean, reference, "service-hours")
        lines.append(f"  [{effect.number}] {effect.option.label}")
        lines.append(
            f"      expected {effect.option.expect or '—'} · measured {measured} · "
            f"runs lower/higher {effect.lower}/{effect.higher} · fell due in "
            f"{effect.fired} of {replications} · {effect.verdict()}"
        )
    stated = [e for e in effects if e.option.expect is not None]
    held = sum(e.verdict() == "as expected" for e in stated)
    lines += ["", f"{held} of {len(stated)} stated expectations hold."]
    return lines


def decision_csv(effects: Sequence[OptionEffect], replications: int) -> bytes:
    """The table as CSV, one row per option measured."""
    rows = [
        [
            e.point.id,
            e.number,
            e.option.label,
            e.option.expect or "",
            e.measured,
            e.mean,
            100 * e.mean / e.reference if e.reference else float("nan"),
            e.lower,
            e.higher,
            e.fired,
            replications,
            e.verdict(),
        ]
        for e in effects
    ]
    return table_bytes(COLUMNS, rows)
