"""What the built-in server answers with a reader file, kept in memory while current.

An answer (status, headers and bytes of one file in one encoding) is built from the
output folder the first time a reader path is asked for with a set of accepted
encodings, and kept, within a memory budget, for the next readers. A kept answer is
sent only while it still describes the folder: publishing replaces files by renaming
new ones over them, and a reader must get the new file from the first request after
the rename. On Linux the folders of kept files are watched (``server_watch``) and
each request first takes the changes waiting (and a kept answer is also checked
with ``stat`` once a second, for changes inotify cannot see, made by another machine
on a network file system); elsewhere, or past the kernel's limit of watches, each
kept answer is checked with ``stat`` against the files it was built from before it
is sent.

Text files are sent precompressed when the reader's browser accepts it: publishing
writes ``index.html.br`` and ``index.html.gz`` beside ``index.html``, and the variant
is chosen by ``Accept-Encoding`` (Brotli before gzip), as nginx's ``brotli_static``
and ``gzip_static`` do with the same files.
"""

from __future__ import annotations

import collections
import email.utils
import errno
import os
import stat
import threading
import time
from pathlib import Path
from typing import Final

from .output import (
    OutputPathError,
    is_compressible,
    is_variant,
    output_path,
    variant_path,
)
from .server_headers import (
    Headers,
    cache_control_for,
    content_type_for,
    http_date_timestamp,
    security_headers,
)
from .server_watch import FolderWatcher

NOT_FOUND_FILE = "404.html"
# A process keeps at most this many bytes of answers; the least recently sent go
# first. A story page with its two variants takes about 50 KB.
DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
# Larger files are read from disk for each request and never kept.
MAX_KEPT_FILE_BYTES = 2 * 1024 * 1024
# Watches are a per-user kernel resource shared with other programs; past this many
# folders the cache starts afresh (a crawler walking the whole archive).
MAX_WATCHED_FOLDERS = 4096
# Watched answers are also checked with stat this often (see _fresh_enough).
RECHECK_SECONDS = 1.0

# What tells one version of a file from another: device, inode, size, times, mode.
Signature = tuple[int, int, int, int, int, int]
# A file a kept answer was built from, whether links were followed, and its version
# then (None: it did not exist).
Check = tuple[str, bool, Signature | None]
Key = tuple[str, tuple[str, ...]]


class Outcome:
    """What a reader path leads to when it is not a file to send."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


REFUSED: Final = Outcome("refused")  # not a usable path, or one leaving the folder
MISSING: Final = Outcome("missing")  # no such file
FOLDER: Final = Outcome("folder")  # a folder asked for without its slash
NOT_A_FILE: Final = Outcome("not a file")  # a device, socket or pipe: never read


class Answer:
    """One file ready to send: its status, headers, validators and bytes.

    ``body`` is None for a file too large to keep: ``fd`` is then open on it, and
    the caller sends ``content_length`` bytes from it and closes it (``release``).
    The ``wire_*`` slots hold the headers as an HTTP/1.1 server writes them, filled
    by that server on first use.
    """

    __slots__ = (
        "body",
        "content_length",
        "etag",
        "fd",
        "headers",
        "mtime",
        "not_modified_headers",
        "status",
        "wire_headers",
        "wire_not_modified",
        "wire_response",
        "wire_second",
    )

    def __init__(
        self,
        *,
        status: int,
        headers: Headers,
        not_modified_headers: Headers,
        etag: str,
        mtime: float,
        body: bytes | None,
        fd: int | None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.not_modified_headers = not_modified_headers
        self.etag = etag
        self.mtime = mtime
        self.body = body
        self.fd = fd
        self.content_length = int(dict(headers)["Content-Length"])
        self.wire_headers: bytes | None = None
        self.wire_not_modified: bytes | None = None
        self.wire_response: bytes | None = None
        self.wire_second = -1

    def not_modified(
        self, if_none_match: str | None, if_modified_since: str | None
    ) -> bool:
        """Say whether the client's copy is current (RFC 9110, section 13.1)."""
        if self.status != 200:
            return False
        if if_none_match is not None:
            # If-None-Match compares weakly and, when present, overrides the date.
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or self.etag in tags
        if if_modified_since:
            since = http_date_timestamp(if_modified_since)
            return since is not None and int(self.mtime) <= since
        return False

    def release(self) -> None:
        """Close the file of an answer not kept in memory, if it is open."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _signature(stats: os.stat_result) -> Signature:
    return (
        stats.st_dev,
        stats.st_ino,
        stats.st_size,
        stats.st_mtime_ns,
        stats.st_ctime_ns,
        stats.st_mode,
    )


def _current_signature(path: str, follow_links: bool) -> Signature | None:
    try:
        return _signature(os.stat(path, follow_symlinks=follow_links))
    except (OSError, ValueError):
        return None


def _all_current(checks: list[Check]) -> bool:
    return all(
        _current_signature(path, follow) == signature
        for path, follow, signature in checks
    )


def _fresh_enough(kept: _Kept) -> bool:
    """Say whether a watched answer may be sent, checking it once a second anyway.

    inotify does not see files changed by another machine on a network file system
    (NFS, SMB, a virtual machine's shared folder): there the answer is at most a
    second old.
    """
    now = time.monotonic()
    if now - kept.checked_at < RECHECK_SECONDS:
        return True
    kept.checked_at = now
    return _all_current(kept.checks)


def _open(path: Path, *, follow_links: bool = True) -> tuple[int, os.stat_result] | int:
    """Open a file and stat the open file, or return the error number that stopped it."""
    # Non-blocking, so a pipe put in the folder cannot hang the worker.
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_links else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as error:  # missing, a file where a folder was expected, unreadable
        return error.errno or errno.EIO
    try:
        return fd, os.fstat(fd)
    except OSError as error:
        os.close(fd)
        return error.errno or errno.EIO


def _read(fd: int, size: int) -> bytes:
    chunks = []
    remaining = size
    while remaining > 0:
        chunk = os.read(fd, remaining)
        if not chunk:
            break  # truncated after it was opened
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class _Kept:
    """An answer kept in memory and the file versions it was built from."""

    __slots__ = ("answer", "checked_at", "checks", "size", "watched")

    def __init__(self, answer: Answer, checks: list[Check], *, watched: bool) -> None:
        self.answer = answer
        self.checks = checks
        self.watched = watched
        self.checked_at = time.monotonic()
        # The bytes, the headers roughly, and a whole response an HTTP server may keep.
        self.size = 2 * answer.content_length + 2048


class ReaderFiles:
    """The files of one output folder as answers, kept in memory while current."""

    def __init__(
        self,
        root: Path,
        *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        watch: bool = True,
    ) -> None:
        self.root = root
        self.budget_bytes = budget_bytes
        self._kept: collections.OrderedDict[Key, _Kept] = collections.OrderedDict()
        self._kept_bytes = 0
        # The kept answers built from each file, to drop them when it changes.
        self._keys_by_path: dict[str, set[Key]] = {}
        self._lock = threading.Lock()
        self._watch = watch
        self._watcher: FolderWatcher | None = None

    def find(self, path: str, encodings: tuple[str, ...]) -> Answer | Outcome:
        """Return the answer to a read of a reader path, or what the path leads to.

        ``encodings`` are those the client accepts, the preferred first
        (``encodings_for``).
        """
        return self._find(path, encodings, not_found=False)

    def find_not_found(self, encodings: tuple[str, ...]) -> Answer | None:
        """Return the site's 404 page as an answer, or None when there is none."""
        found = self._find("/" + NOT_FOUND_FILE, encodings, not_found=True)
        if isinstance(found, Answer):
            return found
        return None

    def watch_fd(self) -> int | None:
        """Return the descriptor that becomes readable when a watched file changes."""
        with self._lock:
            watcher = self._ensure_watcher()
        return watcher.fd if watcher is not None else None

    def refresh(self) -> None:
        """Drop the kept answers whose files changed since the last look."""
        watcher = self._watcher
        if watcher is not None and watcher.poll(0):
            with self._lock:
                if watcher is self._watcher:
                    self._apply_changes(watcher)

    def close(self) -> None:
        """Forget every kept answer and stop watching."""
        with self._lock:
            self._forget_all()
            self._watch = False
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None

    # --- internals -------------------------------------------------------------------

    def _find(
        self, path: str, encodings: tuple[str, ...], *, not_found: bool
    ) -> Answer | Outcome:
        # "\0" never starts a reader path: the 404 page has a key of its own.
        key = ("\x00" if not_found else path, encodings)
        watcher = self._watcher
        if watcher is not None and watcher.poll(0):  # refresh(), inlined: every request
            with self._lock:
                if watcher is self._watcher:
                    self._apply_changes(watcher)
        kept = self._kept.get(key)
        if kept is not None and (
            _fresh_enough(kept) if kept.watched else _all_current(kept.checks)
        ):
            # Not contextlib.suppress: this runs for every reader served from memory.
            try:  # noqa: SIM105
                self._kept.move_to_end(key)
            except KeyError:  # dropped by another thread meanwhile
                pass
            return kept.answer
        found, checks = self._build(path, encodings, not_found=not_found)
        if isinstance(found, Answer) and found.body is not None and checks:
            self._keep(key, found, checks)
        return found

    def _build(
        self, path: str, encodings: tuple[str, ...], *, not_found: bool
    ) -> tuple[Answer | Outcome, list[Check]]:
        if not_found:
            target = self.root / NOT_FOUND_FILE
        else:
            # Publishing's variants are never pages of their own.
            if not path.endswith("/") and is_variant(Path(path)):
                return MISSING, []
            try:
                target = output_path(path, root=self.root)
            except OutputPathError:
                return REFUSED, []
        opened = _open(target)
        if isinstance(opened, int):
            return MISSING, []
        fd, stats = opened
        if not not_found and stat.S_ISDIR(stats.st_mode):
            os.close(fd)
            return FOLDER, []
        if not stat.S_ISREG(stats.st_mode):
            os.close(fd)
            return NOT_A_FILE, []
        checks: list[Check] = [(str(target), True, _signature(stats))]
        encoding = None
        if is_compressible(target):
            for candidate in encodings:
                variant = variant_path(target, candidate)
                # Publishing writes variants as plain files: a link is never followed.
                opened = _open(variant, follow_links=False)
                if isinstance(opened, int):
                    gone = opened in (errno.ENOENT, errno.ENOTDIR)
                    seen = None if gone else _current_signature(str(variant), False)
                    checks.append((str(variant), False, seen))
                    continue
                variant_fd, variant_stats = opened
                checks.append((str(variant), False, _signature(variant_stats)))
                # Publishing renames variants into place before their file: a variant
                # newer than the file belongs to a write not finished (or one that
                # died), and the file itself is what readers get meanwhile.
                if (
                    not stat.S_ISREG(variant_stats.st_mode)
                    or variant_stats.st_mtime_ns > stats.st_mtime_ns
                ):
                    os.close(variant_fd)
                    continue
                os.close(fd)
                encoding, fd, stats = candidate, variant_fd, variant_stats
                break
        if stats.st_size > MAX_KEPT_FILE_BYTES:
            return _answer(target, stats, encoding, path, not_found, fd=fd), []
        try:
            body = _read(fd, stats.st_size)
        finally:
            os.close(fd)
        if len(body) != stats.st_size:  # truncated while read: send it, keep nothing
            return _answer(target, stats, encoding, path, not_found, body=body), []
        return _answer(target, stats, encoding, path, not_found, body=body), checks

    def _keep(self, key: Key, answer: Answer, checks: list[Check]) -> None:
        with self._lock:
            watched = False
            watcher = self._ensure_watcher()
            if watcher is not None:
                folders = self._folders_of(checks[0][0])
                if len(watcher.folders) + len(folders) > MAX_WATCHED_FOLDERS:
                    self._forget_all()
                watched = all(watcher.watch(folder) for folder in folders)
                # A change made before the watches were in place sends no event: a
                # file that changed since it was read is not kept.
                if watched and not _all_current(checks):
                    return
            self._remove(key)
            kept = _Kept(answer, checks, watched=watched)
            self._kept[key] = kept
            self._kept_bytes += kept.size
            for path, _, _ in checks:
                self._keys_by_path.setdefault(path, set()).add(key)
            while self._kept_bytes > self.budget_bytes and self._kept:
                self._remove(next(iter(self._kept)))

    def _folders_of(self, file: str) -> list[str]:
        """Return the folders from the root down to the file's own."""
        root = str(self.root)
        folders = [root]
        for part in Path(file).parent.relative_to(self.root).parts:
            folders.append(f"{folders[-1]}/{part}")
        return folders

    def _ensure_watcher(self) -> FolderWatcher | None:
        if self._watcher is None and self._watch:
            self._watcher = FolderWatcher.create()
            if self._watcher is None:
                self._watch = False  # stat instead, from now on
        return self._watcher

    def _apply_changes(self, watcher: FolderWatcher) -> None:
        changes = watcher.changes()
        if changes is None:  # events were lost: nothing kept can be trusted
            self._forget_all()
            return
        for change in changes:
            self._drop(self._keys_by_path.pop(change.path, ()))
            if change.below:
                prefix = change.path + "/"
                for path in [p for p in self._keys_by_path if p.startswith(prefix)]:
                    self._drop(self._keys_by_path.pop(path, ()))

    def _drop(self, keys: set[Key] | tuple[()]) -> None:
        for key in list(keys):
            self._remove(key)

    def _remove(self, key: Key) -> None:
        kept = self._kept.pop(key, None)
        if kept is None:
            return
        self._kept_bytes -= kept.size
        for path, _, _ in kept.checks:
            keys = self._keys_by_path.get(path)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_by_path[path]

    def _forget_all(self) -> None:
        self._kept.clear()
        self._kept_bytes = 0
        self._keys_by_path.clear()
        if self._watcher is not None:
            self._watcher.reset()


def _answer(
    file: Path,
    stats: os.stat_result,
    encoding: str | None,
    reader_path: str,
    not_found: bool,
    *,
    body: bytes | None = None,
    fd: int | None = None,
) -> Answer:
    headers: Headers = []
    if is_compressible(file):
        headers.append(("Vary", "Accept-Encoding"))
    # Each encoding's bytes are a representation of their own (RFC 9110, 8.8.3.3).
    suffix = f"-{'gz' if encoding == 'gzip' else encoding}" if encoding else ""
    etag = f'"{stats.st_size:x}-{stats.st_mtime_ns:x}{suffix}"'
    headers += [
        ("ETag", etag),
        ("Last-Modified", email.utils.formatdate(stats.st_mtime, usegmt=True)),
        ("Cache-Control", cache_control_for(file, None if not_found else reader_path)),
        *security_headers(),
    ]
    not_modified_headers = list(headers)
    headers.append(("Content-Type", content_type_for(file)))
    if encoding is not None:
        headers.append(("Content-Encoding", encoding))
    length = len(body) if body is not None else stats.st_size
    headers.append(("Content-Length", str(length)))
    return Answer(
        status=404 if not_found else 200,
        headers=headers,
        not_modified_headers=not_modified_headers,
        etag=etag,
        mtime=stats.st_mtime,
        body=body,
        fd=fd,
    )
