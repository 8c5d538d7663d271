"""Writing files so that a reader never sees half of one and a crash loses nothing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk; a rename or new file is durable only then."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def make_folders(folder: Path, *, durable: bool = True) -> None:
    """Create a folder and its missing parents, each flushed into its parent."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not path.is_dir():
                raise
        if durable:
            fsync_folder(path.parent)


def write_atomically(
    path: Path,
    content: bytes | Iterable[bytes],
    *,
    durable: bool = True,
    mode: int | None = None,
) -> Path:
    """Replace ``path`` with ``content``: temporary file beside it, fsync, rename.

    With ``durable=False`` the data is not forced to disk (a caller writing thousands
    of files syncs once at the end). The file is private (0600) unless ``mode`` says
    otherwise. The folder must exist.
    """
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            if isinstance(content, bytes):
                stream.write(content)
            else:
                for chunk in content:
                    stream.write(chunk)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if durable:
        fsync_folder(path.parent)
    return path
