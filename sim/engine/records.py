"""What a run produces: an event log and inoperability change points (DESIGN.md §3, Records)."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple


class Row(NamedTuple):
    """One row of the event log; empty strings and NaN where a column does not apply (what
    each kind fills in: `kinds.py`, docs/engine.md)."""

    time: float
    kind: str
    """One of `kinds.KINDS`."""
    country: str
    asset: str
    """The asset's id."""
    campaign: str
    """The campaign's id."""
    incident: str
    """The incident's label (`campaign/asset`), or what a row of an exercise answers to
    (`decision:ID`, `inject:N`)."""
    value: float
    detail: str


EVENT_COLUMNS: tuple[str, ...] = Row._fields
"""Columns of the event log, in order."""

_new_row = tuple.__new__

BLOCKED_ISOLATED, BLOCKED_HOLDING = "isolated", "indicators"
"""The `detail` of a BLOCK_REASON row: the asset was isolated, or the target held the
campaign's indicators (a block with neither reason is plain defence and has no such row)."""


def stage_detail(number: int, tactic: str, technique: str) -> str:
    """The `detail` of a stage's rows: `number:tactic:technique`."""
    return f"{number}:{tactic}:{technique}"


@dataclass
class Records:
    """Tidy records of one replication.

    `events` holds rows in EVENT_COLUMNS order. The series holds change points of each asset's
    inoperability q: asset `series_asset[k]` (an index into `asset_ids`) has q = `series_q[k]`
    from `series_time[k]` until its next change point or `horizon`. An asset with no change
    point stayed at q = 0 throughout.
    """

    horizon: float
    asset_ids: tuple[str, ...]
    events: list[Row] = field(default_factory=list)
    series_time: array = field(default_factory=lambda: array("d"))
    series_asset: array = field(default_factory=lambda: array("l"))
    series_q: array = field(default_factory=lambda: array("d"))
    listeners: list[Callable[[Row], None]] = field(default_factory=list, compare=False, repr=False)
    """Called with every row as it is logged (an exercise's triggers watch the log)."""

    def log(
        self,
        time: float,
        kind: str,
        country: str = "",
        asset: str = "",
        campaign: str = "",
        incident: str = "",
        value: float = float("nan"),
        detail: str = "",
    ) -> None:
        """Append one row to the event log and show it to the listeners."""
        # tuple.__new__ skips Row's keyword-handling constructor: half the cost, on every row
        row = _new_row(Row, (time, kind, country, asset, campaign, incident, value, detail))
        self.events.append(row)
        if self.listeners:  # most runs have none; this is called for every row
            for listener in tuple(self.listeners):  # a listener may remove itself
                listener(row)

    def change(self, time: float, asset: int, q: float) -> None:
        """Record that asset index `asset` has inoperability `q` from `time` on."""
        self.series_time.append(time)
        self.series_asset.append(asset)
        self.series_q.append(q)
