"""Writing output so that no half-written file or folder survives an interruption."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FolderExists(FileExistsError):
    """The output folder already exists and is not empty."""


def write_folder(folder: Path, files: Mapping[str, bytes], replace: bool = False) -> None:
    """Write `files` as the new folder `folder`, all or nothing: they are staged beside it and
    the staging folder is renamed into place.

    Raises FolderExists if `folder` exists and is not empty, unless `replace`, in which
    case the old folder is removed once the new one is in place; OSError if it cannot write.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    aside = stage.with_suffix(".old")
    try:
        os.chmod(stage, 0o777 & ~_umask())
        for name, data in files.items():
            (stage / name).write_bytes(data)
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
