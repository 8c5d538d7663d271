"""Atomic, durable file writes: whole or not at all, private unless asked."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.core.files import make_folders, write_atomically


def test_a_written_file_is_private_by_default_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    path = write_atomically(tmp_path / "message.eml", b"raw bytes")

    assert path.read_bytes() == b"raw bytes"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["message.eml"]


def test_a_mode_can_make_the_file_readable(tmp_path: Path) -> None:
    path = write_atomically(
        tmp_path / "index.html", [b"<p>", b"hi", b"</p>"], mode=0o644
    )

    assert path.read_bytes() == b"<p>hi</p>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_write_that_fails_halfway_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    path.write_bytes(b"old page")

    def chunks() -> Iterator[bytes]:
        yield b"new half"
        raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError):
        write_atomically(path, chunks())

    assert path.read_bytes() == b"old page"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_make_folders_creates_missing_parents(tmp_path: Path) -> None:
    folder = tmp_path / "raw" / "2026" / "11" / "25"

    make_folders(folder)
    make_folders(folder)  # again: nothing to do

    assert folder.is_dir()


def test_make_folders_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "raw").write_text("not a folder")

    with pytest.raises(FileExistsError):
        make_folders(tmp_path / "raw" / "2026")
