"""The boundary every user file crosses: regular files only, and no larger than a cap checked
before reading. Scenarios, models, tables, MSEL workbooks, decisions files, sessions and
experiment journals are all read through `read_bytes`."""

from __future__ import annotations

import stat
from pathlib import Path

from ..errors import ScenarioError

MAX_INPUT_BYTES = 256 * 2**20
"""The largest input file read (256 MiB): a 100,000-asset CSV model is about 15 MiB."""

MAX_JOURNAL_BYTES = 2 * 2**30
"""Experiment journals, which hold one line per finished run, may reach 2 GiB."""


def read_bytes(path: Path, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The contents of `path`, which should be `what` (e.g. "a CSV table").

    Raises ScenarioError, naming the file, if it is missing, a directory, not a regular file
    (a device such as /dev/zero, a pipe, a socket) or larger than `limit` bytes, or cannot
    be read. Nothing of its content is read before these checks.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioError.one(path, "no such file") from None
    except OSError as error:
        raise ScenarioError.one(path, f"cannot be read ({error.strerror or error})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError.one(path, f"is a directory, not {what}")
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError.one(
            path, f"is not a regular file (a device, pipe or socket), not {what}"
        )
    if info.st_size > limit:
        raise ScenarioError.one(
            path, f"is {_size(info.st_size)}, more than the {_size(limit)} {what} may be"
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise ScenarioError.one(path, f"cannot be read ({error.strerror or error})") from None
    if len(data) > limit:
        raise ScenarioError.one(path, f"grew past {_size(limit)} while it was read")
    return data


def _size(count: int) -> str:
    return f"{count / 2**20:,.0f} MiB" if count >= 2**20 else f"{count:,} bytes"
