"""A journal of finished replications, so that an interrupted experiment can resume.

The journal is a file of lines: a JSON header naming the experiment (seed, package version and
a hash of every variant's resolved scenario), then one line per `Batch`, finished replications
of one variant as a worker returns them, appended and flushed as each arrives. A batch line is
a JSON object: the variant, the replication numbers, the KPI columns with their types, the
sectors, and the values themselves, little-endian float64 and int64 (so every float survives
the round trip exactly, NaN included), zlib-compressed and base64-encoded. It is read one
line at a time; a line cut short by a kill, or damaged otherwise, is dropped and its runs are
run again.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..atomic import write_file
from ..errors import InputError
from ..schema.files import MAX_JOURNAL_BYTES, open_checked
from ..schema.scenario import Scenario
from ..version import __version__

Key = tuple[str, int]
"""A replication: (variant label, replication number)."""

MAX_LINE_BYTES = 64 * 2**20
"""The longest journal line read; a longer one is skipped as damaged."""
MAX_BATCH_BYTES = 256 * 2**20
"""The most a batch line may hold once decompressed."""
MAX_BATCH_RUNS = 1000
"""The most replications a batch holds: a run's loss rates take about 10 KB, which leaves
MAX_BATCH_BYTES room for thousands of KPI columns."""

TYPES = {int: "i8", float: "f8"}
"""The types a row's KPI may have, by their name in a batch line."""
ROW_KEYS = ("variant", "replication")
"""What a row carries before its KPIs: which run it is."""


class JournalDamage(ValueError):
    """A journal line that is not a whole batch."""


@dataclass(frozen=True, eq=False)
class Batch:
    """Finished replications of one variant, as workers return them and journals hold them."""

    variant: str
    replications: tuple[int, ...]
    values: np.ndarray
    """A structured array, one record per replication and a field per KPI (int64 or float64)."""
    sectors: tuple[str, ...]
    loss: np.ndarray
    """Loss rates by replication, sector and time: shape (replications, sectors, points)."""
    line: bytes
    """The batch as one journal line."""

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        """A batch travels as its line: a twentieth of its arrays' size, and read back by the
        code that reads a journal."""
        return Batch.decode, (self.line,)

    @classmethod
    def of(
        cls,
        variant: str,
        replications: Sequence[int],
        kpis: Sequence[Mapping[str, int | float]],
        losses: Sequence[Mapping[str, np.ndarray]],
    ) -> Batch:
        """The batch of `replications` of `variant`, given each one's KPIs (the same names
        and types in each) and loss rates per sector (the same sectors and length)."""
        kinds = [(name, TYPES[type(value)]) for name, value in kpis[0].items()]
        dtype = np.dtype([(name, f"<{kind}") for name, kind in kinds])
        values = np.array([tuple(row[name] for name, _ in kinds) for row in kpis], dtype)
        sectors = tuple(losses[0])
        loss = np.array([[each[s] for s in sectors] for each in losses], dtype="<f8")
        record = {
            "variant": variant,
            "replications": list(replications),
            "columns": kinds,
            "sectors": sectors,
            "points": loss.shape[2],
            "data": base64.b64encode(zlib.compress(values.tobytes() + loss.tobytes())).decode(),
        }
        line = (json.dumps(record) + "\n").encode()
        return cls(variant, tuple(replications), values, sectors, loss, line)

    @classmethod
    def decode(cls, line: bytes) -> Batch:
        """The batch a journal line holds. Raises JournalDamage for anything else: the line
        is untrusted, so every field is checked and nothing larger than MAX_BATCH_BYTES is
        inflated."""
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            raise JournalDamage("not JSON") from None
        if not isinstance(record, dict):
            raise JournalDamage("not a batch")
        variant, numbers, columns, sectors, points, data = (
            record.get(field)
            for field in ("variant", "replications", "columns", "sectors", "points", "data")
        )
        if not (
            isinstance(variant, str)
            and _unique(numbers, lambda n: type(n) is int and n >= 0)
            and _unique(sectors, lambda s: isinstance(s, str))
            and isinstance(columns, list)
            and columns
            and _unique([c[0] if _column(c) else None for c in columns], _kpi_name)
            and type(points) is int
            and points > 0
            and isinstance(data, str)
        ):
            raise JournalDamage("a field is missing or of the wrong type")
        dtype = np.dtype([(name, f"<{kind}") for name, kind in columns])
        count, size = len(numbers), len(numbers) * dtype.itemsize
        expected = size + count * len(sectors) * points * 8
        if expected > MAX_BATCH_BYTES:
            raise JournalDamage("larger than a batch may be")
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(base64.b64decode(data, validate=True), expected)
        except (ValueError, zlib.error):
            raise JournalDamage("its data cannot be decoded") from None
        if len(raw) != expected or not inflater.eof or inflater.unconsumed_tail:
            raise JournalDamage("its data is not as long as its fields say")
        values = np.frombuffer(raw, dtype, count)
        loss = np.frombuffer(raw, "<f8", count * len(sectors) * points, size)
        shape = (count, len(sectors), points)
        return cls(variant, tuple(numbers), values, tuple(sectors), loss.reshape(shape), line)

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """One flat row per replication: variant, replication, then the KPIs."""
        keys = (*ROW_KEYS, *(self.values.dtype.names or ()))
        return [
            dict(zip(keys, (self.variant, r, *values), strict=True))
            for r, values in zip(self.replications, self.values.tolist(), strict=True)
        ]

    def loss_of(self, index: int, sectors: tuple[str, ...]) -> np.ndarray:
        """The loss rates of replication number `index` in the batch, for `sectors` in that
        order (NaN for a sector the batch lacks)."""
        if sectors == self.sectors:
            return self.loss[index]
        mine = dict(zip(self.sectors, self.loss[index], strict=True))
        blank = np.full(self.loss.shape[2], np.nan)
        return np.array([mine.get(sector, blank) for sector in sectors])


def _unique(items: Any, sound: Any) -> bool:
    """Whether `items` is a list of distinct items, each `sound`."""
    return isinstance(items, list) and all(map(sound, items)) and len(set(items)) == len(items)


def _column(column: Any) -> bool:
    return (
        isinstance(column, list)
        and len(column) == 2
        and isinstance(column[0], str)
        and column[1] in TYPES.values()
    )


def _kpi_name(name: Any) -> bool:
    return isinstance(name, str) and name != "" and name not in ROW_KEYS


def _header(seed: int, variants: Mapping[str, Scenario]) -> dict[str, Any]:
    """What identifies an experiment: a changed scenario or seed is a new experiment."""
    digests = {label: scenario.digest() for label, scenario in variants.items()}
    return {"seed": seed, "version": __version__, "variants": digests}


class JournalMismatch(InputError):
    """A journal written by another experiment (another seed or package version)."""


def read_journal(
    path: Path, seed: int, variants: Mapping[str, Scenario]
) -> tuple[list[Batch], list[str]]:
    """Finished batches recorded at `path` that belong to this experiment, and the labels
    whose resolved scenario changed since (their runs are not reused); ([], []) if the
    journal holds nothing. Reads one line at a time. Raises JournalMismatch for another seed
    or package version, ScenarioError for a file that cannot be a journal (a device, too
    large)."""
    with open_checked(path, "an experiment journal", MAX_JOURNAL_BYTES) as handle:
        lines = _lines(handle)
        try:
            header = json.loads(next(lines, b""))
        except (ValueError, RecursionError):
            return [], []
        if not isinstance(header, dict):
            return [], []
        current = _header(seed, variants)
        for field in ("seed", "version"):
            if header.get(field) != current[field]:
                raise JournalMismatch(
                    f"{path}: it was written with {field} {header.get(field)}, not {current[field]}"
                )
        recorded = header.get("variants")
        recorded = recorded if isinstance(recorded, dict) else {}
        digests = current["variants"]
        kept = {label for label, digest in digests.items() if recorded.get(label) == digest}
        changed = sorted(label for label in digests if label in recorded and label not in kept)
        return [batch for batch in _batches(lines) if batch.variant in kept], changed


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    """The lines of `handle`, one at a time, up to MAX_JOURNAL_BYTES in all; a line longer
    than MAX_LINE_BYTES is skipped."""
    left = MAX_JOURNAL_BYTES
    while left > 0 and (line := handle.readline(min(left, MAX_LINE_BYTES + 1))):
        left -= len(line)
        if len(line) <= MAX_LINE_BYTES:
            yield line
            continue
        while line and not line.endswith(b"\n") and left > 0:  # the rest of the long line
            line = handle.readline(min(left, MAX_LINE_BYTES))
            left -= len(line)


def _batches(lines: Iterator[bytes]) -> Iterator[Batch]:
    """The whole batches among `lines`."""
    for line in lines:
        try:
            yield Batch.decode(line)
        except JournalDamage:
            continue


class Journal:
    """Append finished batches of one experiment to `path`."""

    def __init__(
        self, path: Path, seed: int, variants: Mapping[str, Scenario], done: Sequence[Batch]
    ) -> None:
        """Start the journal afresh (atomically) with the header and the `done` batches."""
        header = json.dumps(_header(seed, variants)) + "\n"
        write_file(path, header.encode() + b"".join(batch.line for batch in done))
        self.path = path
        self.entries = 0
        """Replications recorded since the journal was (re)started."""
        self._handle: IO[bytes] = path.open("ab")

    def record(self, batch: Batch) -> None:
        """Append one batch with a single write and flush it to the operating system."""
        self._handle.write(batch.line)
        self._handle.flush()
        self.entries += len(batch.replications)

    def close(self) -> None:
        """Close the file, keeping it."""
        self._handle.close()

    def remove(self) -> None:
        """Close and delete the journal (the experiment's outputs are written)."""
        self.close()
        self.path.unlink(missing_ok=True)
