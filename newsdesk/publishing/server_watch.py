"""Folders of the output folder watched with Linux's inotify, for the built-in server.

The server keeps recent answers in memory and must drop one as soon as a file it was
built from changes. inotify tells, per watched folder, which names in it were
created, written, renamed or removed; the kernel queues the event before the call
that caused it returns. Reading the queue when it is empty costs one ``poll``.

Watches are a per-user kernel resource (``fs.inotify.max_user_watches``), so only the
folders of files kept in memory are watched. Where inotify is missing (not Linux) or
refuses, ``FolderWatcher.create`` returns None and the server checks files with
``stat`` instead.
"""

from __future__ import annotations

import ctypes
import os
import select
import struct
import weakref

IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_UNMOUNT = 0x2000
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x1000000
IN_ISDIR = 0x40000000
WATCH_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
)
FOLDER_GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED
EVENT = struct.Struct("iIII")  # wd, mask, cookie, length of the name that follows
READ_SIZE = 256 * 1024


def _load_libc() -> ctypes.CDLL | None:
    try:
        # The running program's own symbols: the C library, found without a search.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_uint32,
        ]
        libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # not Linux
        return None
    return libc


_LIBC = _load_libc()


class Change:
    """A path that changed; ``below`` when what was under it may have changed too."""

    __slots__ = ("below", "path")

    def __init__(self, path: str, *, below: bool) -> None:
        self.path = path
        self.below = below

    def __repr__(self) -> str:
        return f"Change({self.path!r}, below={self.below})"


class FolderWatcher:
    """Watched folders and the changes in them since the last look."""

    def __init__(self, libc: ctypes.CDLL, fd: int) -> None:
        self._libc = libc
        self.fd = fd
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        # ``poll(0)`` returns the events waiting, without waiting: one system call.
        self.poll = poller.poll
        self.folders: dict[str, int] = {}  # folder path -> watch descriptor
        # One folder can be reached by several paths (links): one descriptor for all.
        self._paths: dict[int, set[str]] = {}
        self._closer = weakref.finalize(self, os.close, fd)

    @classmethod
    def create(cls) -> FolderWatcher | None:
        """Return a new watcher, or None where inotify cannot be used."""
        if _LIBC is None:
            return None
        fd = _LIBC.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:  # the user's inotify instances are used up
            return None
        return cls(_LIBC, fd)

    def close(self) -> None:
        """Stop watching every folder and let go of the descriptor."""
        self._closer()
        self.folders.clear()
        self._paths.clear()

    def reset(self) -> None:
        """Stop watching every folder, keeping the descriptor (an event loop reads it)."""
        for wd in list(self._paths):
            self._libc.inotify_rm_watch(self.fd, wd)
        self.folders.clear()
        self._paths.clear()
        # What is queued is about watches now gone (and says so): drop it.
        while True:
            try:
                os.read(self.fd, READ_SIZE)
            except BlockingIOError:
                break

    def watch(self, folder: str) -> bool:
        """Watch a folder (links followed); say whether it is watched."""
        if folder in self.folders:
            return True
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(folder), WATCH_MASK)
        if wd < 0:  # gone, not a folder, unreadable, or the user's watches used up
            return False
        self.folders[folder] = wd
        self._paths.setdefault(wd, set()).add(folder)
        return True

    def changes(self) -> list[Change] | None:
        """Return what changed since the last call, or None when the queue overflowed."""
        changed: list[Change] = []
        overflow = False
        while True:
            try:
                data = os.read(self.fd, READ_SIZE)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
                raw_name = data[offset + 16 : offset + 16 + length].rstrip(b"\0")
                offset += 16 + length
                if mask & IN_Q_OVERFLOW:
                    overflow = True
                elif not raw_name:  # about the watched folder itself
                    if mask & FOLDER_GONE:
                        for folder in list(self._paths.get(wd, ())):
                            changed.append(Change(folder, below=True))
                            self._forget(folder)
                else:
                    name = os.fsdecode(raw_name)
                    for folder in list(self._paths.get(wd, ())):
                        path = f"{folder}/{name}"
                        # A folder (or a link to one) renamed, replaced or removed:
                        # whatever was found below its path may be elsewhere now.
                        below = bool(mask & IN_ISDIR) or path in self.folders
                        changed.append(Change(path, below=below))
                        if below:
                            self._forget_below(path)
        return None if overflow else changed

    def _forget_below(self, path: str) -> None:
        prefix = path + "/"
        for folder in [f for f in self.folders if f == path or f.startswith(prefix)]:
            self._forget(folder)

    def _forget(self, folder: str) -> None:
        wd = self.folders.pop(folder, None)
        if wd is None:
            return
        paths = self._paths.get(wd)
        if paths is not None:
            paths.discard(folder)
            if not paths:
                del self._paths[wd]
                # Fails harmlessly when the kernel already removed it (folder gone).
                self._libc.inotify_rm_watch(self.fd, wd)
