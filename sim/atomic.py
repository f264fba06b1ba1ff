"""Writing output so that no half-written file or folder survives an interruption."""

from __future__ import annotations

import errno
import itertools
import os
import re
import secrets
import shutil
import time
from collections.abc import Mapping
from pathlib import Path


def _staging(target: Path) -> Path:
    """A fresh hidden name beside `target` for writing it before it is renamed into place."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, then rename. The
    file gets the permissions the user's umask gives new files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _staging(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FolderExists(FileExistsError):
    """The output folder already exists and is not empty."""


class NotOurs(FileExistsError):
    """The folder to replace was not written by cyberttx (it lacks the MARKER)."""


MARKER = ".cyberttx"
"""A file in every folder cyberttx writes, listing the files it wrote there: only such a
folder holding nothing else (or an empty folder) may be replaced, so --force never deletes a
folder of the user's own, nor a file the user put in one of ours."""

MARKER_HEADING = "# written by cyberttx; --force replaces this folder only while it holds these"

STALE_SECONDS = 600
"""Staging folders left by an interrupted write are removed once this old."""


def ours(folder: Path) -> bool:
    """Whether `folder` may be replaced: it is empty, or cyberttx wrote it and it holds
    nothing but what cyberttx wrote (a marker from before the list was kept, empty, vouches
    for the whole folder)."""
    entries = {entry.name for entry in folder.iterdir()}
    if not entries:
        return True
    try:
        listed = (folder / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    written = {name for name in listed if name and not name.startswith("#")}
    return not written or entries - {MARKER} <= written


STAGED = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp(\.old)?$")
"""The name of a staging folder (`_staging`), or of an old folder set aside for replacing."""


def _clear_stale(folder: Path) -> None:
    """Remove what interrupted writes left beside `folder`: staging folders of any output
    written there (timestamped default names included) once STALE_SECONDS old."""
    now = time.time()
    for leftover in folder.parent.glob(".*.tmp*"):
        try:
            stale = now - leftover.lstat().st_mtime > STALE_SECONDS
        except OSError:
            continue
        if not (stale and STAGED.match(leftover.name)):
            continue
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def write_folder(folder: Path, files: Mapping[str, bytes], replace: bool = False) -> None:
    """Write `files` as the new folder `folder`, all or nothing: they are staged beside it and
    the staging folder is renamed into place.

    Raises FolderExists if `folder` exists and is not empty, unless `replace`, in which
    case the old folder is removed once the new one is in place; NotOurs if the folder to
    replace holds anything and was not written by cyberttx; OSError if it cannot write.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if replace and folder.is_dir() and not ours(folder):
        raise NotOurs(errno.EEXIST, "was not written by cyberttx", str(folder))
    _clear_stale(folder)
    stage = _staging(folder)
    os.mkdir(stage, 0o777)  # the umask applies, as for any folder the user makes
    aside = stage.with_suffix(".old")
    try:
        for name, data in files.items():
            (stage / name).write_bytes(data)
        (stage / MARKER).write_text("\n".join([MARKER_HEADING, *sorted(files)]) + "\n")
        if replace and folder.is_dir():
            os.rename(folder, aside)
        try:
            os.rename(stage, folder)
        except OSError as error:
            if folder.exists() and error.errno in {errno.EEXIST, errno.ENOTEMPTY}:
                raise FolderExists(errno.EEXIST, "exists and is not empty", str(folder)) from None
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)


class NotAFolder(FileExistsError):
    """The output path is a file."""


def beside(folder: Path, suffix: str) -> Path:
    """A working file next to an output folder: its journal or saved session."""
    return folder.with_name(folder.name + suffix)


def free_folder(out: Path | None, force: bool, default: str, root: Path = Path("results")) -> Path:
    """The output folder, chosen before long work: `out` if it may be written (missing,
    empty, or written by cyberttx and `force`), else the first free `root/default[-n]` that
    has no journal beside it. Raises NotAFolder, FolderExists or NotOurs for `out`."""
    if out is not None:
        if out.exists() and not out.is_dir():
            raise NotAFolder(errno.EEXIST, "is a file, not a folder", str(out))
        if out.is_dir() and any(out.iterdir()) and not force:
            raise FolderExists(errno.EEXIST, "exists and is not empty", str(out))
        if out.is_dir() and not ours(out):
            raise NotOurs(errno.EEXIST, "was not written by cyberttx", str(out))
        return out
    for n in itertools.count(1):
        candidate = root / (default if n == 1 else f"{default}-{n}")
        if not candidate.exists() and not beside(candidate, ".journal.jsonl").exists():
            return candidate
    raise AssertionError("unreachable")
