"""A journal of finished replications, so that an interrupted experiment can resume.

The journal is a JSON-lines file: a header naming the experiment (seed, package version and
a hash of every variant's resolved scenario), then one line per finished replication,
appended and flushed as it finishes. A line cut short by a kill is dropped on reading.
Floats survive the round trip exactly, so a resumed experiment writes the same tables as an
uninterrupted one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from ..atomic import write_file
from ..errors import InputError
from ..schema.files import MAX_JOURNAL_BYTES, read_bytes
from ..schema.scenario import Scenario
from ..version import __version__

Key = tuple[str, int]
"""A replication: (variant label, replication number)."""


def _header(seed: int, variants: dict[str, Scenario]) -> dict[str, Any]:
    """What identifies an experiment: a changed scenario or seed is a new experiment."""
    digests = {label: scenario.digest() for label, scenario in variants.items()}
    return {"seed": seed, "version": __version__, "variants": digests}


class JournalMismatch(InputError):
    """A journal written by another experiment (another seed or package version)."""


def read_journal(
    path: Path, seed: int, variants: dict[str, Scenario]
) -> tuple[dict[Key, Any], list[str]]:
    """Finished replications recorded at `path` that belong to this experiment, and the
    labels whose resolved scenario changed since (their runs are not reused); ({}, []) if
    the journal holds nothing. Raises JournalMismatch for another seed or package version,
    ScenarioError for a file that cannot be a journal (a device, too large)."""
    entries = []
    text = read_bytes(path, "an experiment journal", MAX_JOURNAL_BYTES)
    for line in text.decode("utf-8", errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    if not entries or not isinstance(entries[0], dict):
        return {}, []
    header, current = entries[0], _header(seed, variants)
    for field in ("seed", "version"):
        if header.get(field) != current[field]:
            raise JournalMismatch(
                f"{path}: it was written with {field} {header.get(field)}, not {current[field]}"
            )
    recorded = header.get("variants")
    recorded = recorded if isinstance(recorded, dict) else {}
    kept = {label for label, digest in current["variants"].items() if recorded.get(label) == digest}
    changed = sorted(
        label for label in current["variants"] if label in recorded and label not in kept
    )
    done = {
        (e["variant"], e["replication"]): e["result"]
        for e in entries[1:]
        if _sound(e) and e["variant"] in kept
    }
    return done, changed


def _sound(entry: Any) -> bool:
    """Whether a journal line is a whole finished run (a damaged one is run again)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("variant"), str):
        return False
    replication, result = entry.get("replication"), entry.get("result")
    if type(replication) is not int or replication < 0 or not isinstance(result, dict):
        return False
    row, losses = result.get("row"), result.get("sector_loss")
    return (
        isinstance(row, dict)
        and isinstance(losses, dict)
        and all(
            isinstance(v, list) and all(type(x) in (int, float) for x in v) for v in losses.values()
        )
    )


class Journal:
    """Append finished replications of one experiment to `path`."""

    def __init__(
        self, path: Path, seed: int, variants: dict[str, Scenario], done: dict[Key, Any]
    ) -> None:
        """Start the journal afresh (atomically) with the header and the `done` entries."""
        lines = [_header(seed, variants)] + [
            {"variant": label, "replication": r, "result": result}
            for (label, r), result in done.items()
        ]
        write_file(path, "".join(json.dumps(line) + "\n" for line in lines).encode())
        self.path = path
        self.entries = 0
        """Replications recorded since the journal was (re)started."""
        self._handle: IO[str] = path.open("a", encoding="utf-8")

    def record(self, key: Key, result: Any) -> None:
        """Append one finished replication and flush it to the operating system."""
        entry = {"variant": key[0], "replication": key[1], "result": result}
        self._handle.write(json.dumps(entry) + "\n")
        self._handle.flush()
        self.entries += 1

    def close(self) -> None:
        """Close the file, keeping it."""
        self._handle.close()

    def remove(self) -> None:
        """Close and delete the journal (the experiment's outputs are written)."""
        self.close()
        self.path.unlink(missing_ok=True)
