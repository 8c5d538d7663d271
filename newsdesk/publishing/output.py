"""The output folder: where reader paths live as files, written atomically.

A reader path ending in "/" is a folder holding ``index.html``; any other path names a
file. A file is written to a temporary name beside it, flushed to disk and renamed over
the old one, so a web server reading the folder sees the old file or the new one,
never half of either.

Text files (pages, feeds, sitemaps, styles) get precompressed variants beside them,
``index.html.gz`` and ``index.html.br``, named as nginx's ``gzip_static`` and
``brotli_static`` look for them; the built-in server picks them the same way. The
variants are renamed into place before the file itself and removed after it, so a
server never finds a new file beside variants of an older one.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]  # it ships no type hints
from django.conf import settings

from newsdesk.core.files import write_atomically

INDEX = "index.html"
FILE_MODE = 0o644

COMPRESSIBLE_SUFFIXES = frozenset(
    {".html", ".htm", ".xml", ".css", ".js", ".json", ".txt", ".svg"}
)
# Below this a compressed copy saves less than a network packet's headers cost.
COMPRESS_MIN_BYTES = 256
GZIP_LEVEL = 9
# Measured on the demo archive (5,700 files, 2 cores): quality 11 costs ~26 ms for a
# 20 KB page and made a full rebuild take 56 s instead of 10 s; quality 5 costs under
# 1 ms a page, and its files are 14% larger than quality 11's, still 10% smaller than
# gzip's. The few files of one publish can afford the best.
BROTLI_QUALITY = 5
BROTLI_BEST_QUALITY = 11
# Encoding name (as in Accept-Encoding and Content-Encoding) and the variant's suffix,
# in the order a server prefers them.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
VARIANT_SUFFIXES = frozenset(suffix for _, suffix in ENCODINGS)


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


def is_compressible(path: Path) -> bool:
    """Say whether a file of this name is text worth serving compressed."""
    return path.suffix.lower() in COMPRESSIBLE_SUFFIXES


def is_variant(path: Path) -> bool:
    """Say whether a file is a precompressed variant of another (``x.html.gz``)."""
    return path.suffix.lower() in VARIANT_SUFFIXES


def variant_path(path: Path, encoding: str) -> Path:
    """Return the file holding ``path`` compressed with ``encoding`` ("br", "gzip")."""
    for name, suffix in ENCODINGS:
        if name == encoding:
            return path.with_name(path.name + suffix)
    raise ValueError(f"No precompressed variant for the encoding {encoding!r}")


def compress(
    content: bytes, encoding: str, *, brotli_quality: int = BROTLI_QUALITY
) -> bytes:
    """Return ``content`` compressed as a variant file of ``encoding`` holds it."""
    if encoding == "br":
        result: bytes = brotli.compress(content, quality=brotli_quality)
        return result
    if encoding == "gzip":
        # No time in the header, so the same page always gives the same bytes.
        return gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
    raise ValueError(f"No precompressed variant for the encoding {encoding!r}")


def _decompress(data: bytes, encoding: str) -> bytes | None:
    try:
        if encoding == "br":
            result: bytes = brotli.decompress(data)
            return result
        return gzip.decompress(data)
    except (brotli.error, OSError, EOFError, zlib.error):
        return None


def _wants_variants(path: Path, content: bytes) -> bool:
    return is_compressible(path) and len(content) >= COMPRESS_MIN_BYTES


def same_content(path: Path, content: bytes) -> bool:
    """Say whether a file exists and holds exactly ``content``."""
    try:
        if path.stat().st_size != len(content):
            return False
        return path.read_bytes() == content
    except (FileNotFoundError, NotADirectoryError):
        return False


def _variants_match(path: Path, content: bytes) -> bool:
    """Say whether the variants beside a file are those ``content`` would get."""
    wanted = _wants_variants(path, content)
    for encoding, _ in ENCODINGS:
        variant = variant_path(path, encoding)
        try:
            data = variant.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            if wanted:
                return False
            continue
        # A variant left by a write that died before its file was renamed into
        # place holds other content: decompressing is cheaper than compressing.
        if not wanted or _decompress(data, encoding) != content:
            return False
    return True


def _remove_variants(path: Path) -> bool:
    removed = False
    for encoding, _ in ENCODINGS:
        with suppress(FileNotFoundError, NotADirectoryError):
            variant_path(path, encoding).unlink()
            removed = True
    return removed


def write_file(
    path: Path,
    content: bytes | Iterable[bytes],
    *,
    durable: bool = True,
    skip_unchanged: bool = False,
    brotli_quality: int = BROTLI_QUALITY,
) -> Path:
    """Replace a file with new content atomically: temporary file, fsync, rename.

    A text file of some size also gets its gzip and Brotli variants, written the same
    way before the file itself (content given in chunks is then joined first); a file
    too small for them loses any it had. ``brotli_quality`` trades publishing time
    for smaller files (0 to 11). With ``durable=False`` the data is not
    forced to disk before the rename (a full rebuild writes thousands of files and
    syncs once at the end). With ``skip_unchanged`` a file already holding
    ``content``, beside the variants it would get, is left as it is: replacing a file
    costs a flush on most file systems, and mirrors copy only what changed.
    """
    if is_compressible(path) and not isinstance(content, bytes):
        content = b"".join(content)
    if (
        skip_unchanged
        and isinstance(content, bytes)
        and same_content(path, content)
        and _variants_match(path, content)
    ):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes) and _wants_variants(path, content):
        for encoding, _ in ENCODINGS:
            write_atomically(
                variant_path(path, encoding),
                compress(content, encoding, brotli_quality=brotli_quality),
                durable=durable,
                mode=FILE_MODE,
            )
    else:
        # Before the rename: a stale variant must not outlive the old file.
        _remove_variants(path)
    # Readable by all (mkstemp makes files private): web servers must read them.
    return write_atomically(path, content, durable=durable, mode=FILE_MODE)


# Files a ``writes_in_background()`` block has handed to writer threads, by path.
_pending: ContextVar[dict[Path, Future[Path]] | None] = ContextVar(
    "newsdesk_pending_writes", default=None
)
_pool: ContextVar[ThreadPoolExecutor | None] = ContextVar(
    "newsdesk_writer_pool", default=None
)
# Compressing (zlib and Brotli) and flushing to disk let other threads run, so two
# writer threads beside the rendering one keep both cores of a small server busy.
WRITER_THREADS = 2


@contextmanager
def writes_in_background() -> Iterator[None]:
    """Let ``write_file_soon`` compress and write files on writer threads while this
    thread goes on rendering; wait for every file at the end of the block.

    Measured on a publish of one story (13 pages, 39 files with their variants):
    writing took 40-50 ms of its time on the rendering thread. The first error a
    writer met is raised when the block ends, after every other file is written.
    """
    if _pending.get() is not None:  # already inside one: it waits for these too
        yield
        return
    pending: dict[Path, Future[Path]] = {}
    pool = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="newsdesk-writer")
    pending_token, pool_token = _pending.set(pending), _pool.set(pool)
    try:
        yield
    finally:
        _pending.reset(pending_token)
        _pool.reset(pool_token)
        # No thread outlives the block (a later full rebuild forks processes).
        pool.shutdown(wait=True)
        errors = [f.exception() for f in pending.values() if f.exception()]
        if errors:
            raise errors[0]  # type: ignore[misc]  # an exception, not None


def write_file_soon(path: Path, content: bytes, **options: Any) -> Path:
    """Write a file as ``write_file`` does: on a writer thread inside a
    ``writes_in_background()`` block, at once outside one. Returns its path."""
    pending, pool = _pending.get(), _pool.get()
    if pending is None or pool is None:
        return write_file(path, content, **options)
    earlier = pending.get(path)
    if earlier is not None:
        earlier.result()  # the same file twice: the later content must win
    pending[path] = pool.submit(write_file, path, content, **options)
    return path


def remove_file(path: Path, *, root: Path | None = None) -> bool:
    """Remove a file, its variants and the folders left empty; say if it was there."""
    root = (root if root is not None else output_root()).resolve()
    try:
        path.unlink()  # first, so that no server serves a variant of a removed file
    except FileNotFoundError:
        existed = False
    else:
        existed = True
    if _remove_variants(path) or existed:
        remove_empty_folders(path.parent, root=root)
    return existed


def remove_if_stale(
    path: Path, *, keep: set[Path], older_than: float, root: Path | None = None
) -> bool:
    """Remove a file a rebuild did not write, unless it changed since ``older_than``.

    A file changed after the rebuild began belongs to a publish that ran alongside
    it and stays. Returns whether the file was removed.
    """
    if path in keep:
        return False
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return False
    return modified < older_than and remove_file(path, root=root)


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
