"""The boundary every user file crosses: regular files only, and no larger than a cap checked
before reading. Scenarios, models, tables, MSEL workbooks, decisions files, sessions and
experiment journals are all read through `read_bytes` (or, a line at a time, through
`open_checked`)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import IO

from ..errors import ScenarioError

MAX_INPUT_BYTES = 256 * 2**20
"""The largest input file read (256 MiB): a 100,000-asset CSV model is about 15 MiB."""

MAX_JOURNAL_BYTES = 2 * 2**30
"""Experiment journals, which hold one line per finished run, may reach 2 GiB."""


def read_bytes(path: Path, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The contents of `path`, which should be `what` (e.g. "a CSV table").

    Raises ScenarioError as `open_checked` does, or if the file grew past `limit` while
    it was read.
    """
    try:
        with open_checked(path, what, limit) as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise ScenarioError.one(path, f"cannot be read ({error.strerror or error})") from None
    if len(data) > limit:
        raise ScenarioError.one(path, f"grew past {_size(limit)} while it was read")
    return data


def open_checked(path: Path, what: str, limit: int = MAX_INPUT_BYTES) -> IO[bytes]:
    """`path` opened for reading in binary, once it is known to be a regular file of at most
    `limit` bytes, for reading a bounded part at a time.

    Raises ScenarioError, naming the file, if it is missing, a directory, not a regular file
    (a device such as /dev/zero, a pipe, a socket) or larger than `limit` bytes, or cannot
    be opened. Nothing of its content is read before these checks.
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
        return path.open("rb")
    except OSError as error:
        raise ScenarioError.one(path, f"cannot be read ({error.strerror or error})") from None


def _size(count: int) -> str:
    return f"{count / 2**20:,.0f} MiB" if count >= 2**20 else f"{count:,} bytes"
