"""The output folder: reader paths map to files inside it, written atomically."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.publishing.output import (
    OutputPathError,
    output_path,
    remove_file,
    write_file,
)


def test_output_path_maps_reader_paths_to_files(tmp_path: Path) -> None:
    assert output_path("/", root=tmp_path) == tmp_path / "index.html"
    assert output_path("/world/", root=tmp_path) == tmp_path / "world/index.html"
    assert output_path("/world/x/", root=tmp_path) == tmp_path / "world/x/index.html"
    assert output_path("/rss.xml", root=tmp_path) == tmp_path / "rss.xml"
    assert output_path("/دری/خبر/", root=tmp_path) == tmp_path / "دری/خبر/index.html"


@pytest.mark.parametrize(
    "reader_path",
    [
        "/../outside/",
        "/world/../../outside/",
        "..",
        "/world/./x/",
        "/.hidden/",
        "/world\\..\\..\\x/",
        "/world/\x00/",
    ],
)
def test_output_path_refuses_paths_leaving_the_folder(
    tmp_path: Path, reader_path: str
) -> None:
    with pytest.raises(OutputPathError):
        output_path(reader_path, root=tmp_path / "site")


def test_output_path_refuses_a_link_pointing_outside(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "elsewhere").symlink_to(tmp_path)

    with pytest.raises(OutputPathError):
        output_path("/elsewhere/x/", root=root)


def test_write_file_replaces_the_file_readable_by_all_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "world/x/index.html"
    write_file(target, b"old")

    write_file(target, b"new")

    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(target.parent) == ["index.html"]


def test_a_write_failing_halfway_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "index.html"
    write_file(target, b"old page")

    def chunks() -> Iterator[bytes]:
        yield b"<html>half a new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_file(target, chunks())

    assert target.read_bytes() == b"old page"
    assert os.listdir(tmp_path) == ["index.html"]


def test_write_file_can_leave_an_unchanged_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    write_file(target, b"same")
    os.utime(target, (1_000_000_000, 1_000_000_000))

    write_file(target, b"same", skip_unchanged=True)
    unchanged_mtime = target.stat().st_mtime
    write_file(target, b"different", skip_unchanged=True)

    assert unchanged_mtime == 1_000_000_000
    assert target.read_bytes() == b"different"


def test_remove_file_removes_folders_left_empty_but_not_the_root(
    tmp_path: Path,
) -> None:
    root = tmp_path / "site"
    kept = write_file(root / "world/index.html", b"front")
    story = write_file(root / "world/x/index.html", b"story")

    assert remove_file(story, root=root)
    assert not (root / "world/x").exists()
    assert kept.exists()
    assert remove_file(kept, root=root)
    assert root.is_dir()
    assert not remove_file(kept, root=root)
