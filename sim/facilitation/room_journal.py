"""The room's journal: every action, on disk before it is acknowledged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .team_moves import RoomError

MAX_JOURNAL_BYTES = 50_000_000
"""The largest journal a room resumes from."""


class Journal:
    """An append-only JSON-lines file; each entry is on disk (fsynced) before `add` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the room

    def add(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        """The entries of a journal; a last line cut short by a crash is dropped."""
        if not path.is_file():
            return []
        if path.stat().st_size > MAX_JOURNAL_BYTES:
            raise RoomError(f"{path}: larger than {MAX_JOURNAL_BYTES} bytes; not a room journal")
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                break
            if not isinstance(entry, dict) or "kind" not in entry:
                raise RoomError(f"{path}: line {len(entries) + 1}: not a room journal entry")
            entries.append(entry)
        return entries
