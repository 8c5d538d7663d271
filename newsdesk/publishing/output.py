"""The output folder: where reader paths live as files, written atomically.

A reader path ending in "/" is a folder holding ``index.html``; any other path names a
file. A file is written to a temporary name beside it, flushed to disk and renamed over
the old one, so a web server reading the folder sees the old file or the new one,
never half of either.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from newsdesk.core.files import write_atomically

INDEX = "index.html"
FILE_MODE = 0o644


class OutputPathError(ValueError):
    """A path would land outside the output folder or is not a plain path."""


def output_root() -> Path:
    """Return the output folder the reader site is written to."""
    return Path(settings.NEWSDESK_OUTPUT_DIR)


def output_path(reader_path: str, *, root: Path | None = None) -> Path:
    """Return the file for a reader path ("/world/x/" -> root/world/x/index.html).

    Refuses ".." and "." parts, hidden names, backslashes and NUL, and anything that
    resolves (through links too) outside the output folder.
    """
    root = root if root is not None else output_root()
    if "\x00" in reader_path or "\\" in reader_path:
        raise OutputPathError(f"Not a usable path: {reader_path!r}")
    parts = [part for part in reader_path.split("/") if part]
    for part in parts:
        if part in {".", ".."} or part.startswith("."):
            raise OutputPathError(f"Path leaves the output folder: {reader_path!r}")
    if reader_path.endswith("/") or not parts:
        parts.append(INDEX)
    path = root.joinpath(*parts)
    resolved_root, resolved = root.resolve(), path.resolve()
    if resolved == resolved_root or not resolved.is_relative_to(resolved_root):
        raise OutputPathError(f"Path leaves the output folder: {reader_path!r}")
    return path


def same_content(path: Path, content: bytes) -> bool:
    """Say whether a file exists and holds exactly ``content``."""
    try:
        if path.stat().st_size != len(content):
            return False
        return path.read_bytes() == content
    except (FileNotFoundError, NotADirectoryError):
        return False


def write_file(
    path: Path,
    content: bytes | Iterable[bytes],
    *,
    durable: bool = True,
    skip_unchanged: bool = False,
) -> Path:
    """Replace a file with new content atomically: temporary file, fsync, rename.

    With ``durable=False`` the data is not forced to disk before the rename (a full
    rebuild writes thousands of files and syncs once at the end). With
    ``skip_unchanged`` a file already holding ``content`` is left as it is: replacing
    a file costs a flush on most file systems, and mirrors copy only what changed.
    """
    if skip_unchanged and isinstance(content, bytes) and same_content(path, content):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Readable by all (mkstemp makes files private): web servers must read them.
    return write_atomically(path, content, durable=durable, mode=FILE_MODE)


def remove_file(path: Path, *, root: Path | None = None) -> bool:
    """Remove a file and the folders above it left empty; say if it was there."""
    root = (root if root is not None else output_root()).resolve()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    remove_empty_folders(path.parent, root=root)
    return True


def remove_empty_folders(folder: Path, *, root: Path) -> None:
    """Remove a folder and its parents while they are empty, stopping at the root."""
    folder = folder.resolve()
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): nothing more to tidy
            return
        folder = folder.parent


def flush_to_disk() -> None:
    """Flush every file written without ``durable`` to disk."""
    os.sync()
