"""The output folder: reader paths map to files inside it, written atomically."""

from __future__ import annotations

import gzip
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]  # it ships no type hints
import pytest
import time_machine

from newsdesk.publishing.output import (
    BROTLI_BEST_QUALITY,
    OutputPathError,
    output_path,
    remove_file,
    write_file,
    write_file_soon,
    writes_in_background,
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


# --- precompressed variants ----------------------------------------------------------

PAGE = (
    b"<!doctype html><html lang=en><title>Floods reach the city</title><body>"
    + b"<p>The river rose overnight and the old town is under water.</p>" * 30
    + b"</body></html>"
)


def _variants(path: Path) -> dict[str, bytes]:
    """Return the decompressed content of each variant beside a file."""
    found = {}
    gz, br = path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")
    if gz.exists():
        found["gzip"] = gzip.decompress(gz.read_bytes())
    if br.exists():
        found["br"] = brotli.decompress(br.read_bytes())
    return found


@pytest.mark.parametrize(
    "name",
    [
        "index.html",
        "rss.xml",
        "site.css",
        "print.js",
        "feed.json",
        "robots.txt",
        "logo.svg",
    ],
)
def test_a_text_file_gets_gzip_and_brotli_variants_of_the_same_content(
    tmp_path: Path, name: str
) -> None:
    target = tmp_path / "world" / name

    write_file(target, PAGE)

    assert _variants(target) == {"gzip": PAGE, "br": PAGE}
    assert sorted(os.listdir(target.parent)) == [name, f"{name}.br", f"{name}.gz"]
    for variant in target.parent.iterdir():
        assert stat.S_IMODE(variant.stat().st_mode) == 0o644


@pytest.mark.parametrize("name", ["photo.jpg", "logo.png", "serif.woff2", "marker"])
def test_other_files_get_no_variants(tmp_path: Path, name: str) -> None:
    write_file(tmp_path / name, PAGE)

    assert os.listdir(tmp_path) == [name]


def test_a_small_file_gets_no_variants_and_loses_those_it_had(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    write_file(target, PAGE)

    write_file(target, b"<p>Moved.</p>")

    assert os.listdir(tmp_path) == ["index.html"]
    assert target.read_bytes() == b"<p>Moved.</p>"


def test_the_gzip_variant_carries_no_time_so_a_page_always_gives_the_same_bytes(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "one.html", tmp_path / "two.html"
    with time_machine.travel(1_000_000_000, tick=False):
        write_file(first, PAGE)
    with time_machine.travel(1_700_000_000, tick=False):
        write_file(second, PAGE)

    one = (tmp_path / "one.html.gz").read_bytes()
    assert one == (tmp_path / "two.html.gz").read_bytes()
    assert one[4:8] == b"\0\0\0\0"  # MTIME (RFC 1952, section 2.3)
    assert (tmp_path / "one.html.br").read_bytes() == (
        tmp_path / "two.html.br"
    ).read_bytes()


def test_the_brotli_quality_can_be_chosen(tmp_path: Path) -> None:
    write_file(tmp_path / "fast.html", PAGE, brotli_quality=0)
    write_file(tmp_path / "best.html", PAGE, brotli_quality=BROTLI_BEST_QUALITY)

    fast = (tmp_path / "fast.html.br").read_bytes()
    best = (tmp_path / "best.html.br").read_bytes()
    assert len(best) < len(fast)
    assert brotli.decompress(best) == brotli.decompress(fast) == PAGE


@pytest.mark.parametrize("new", [PAGE.replace(b"old town", b"harbour"), b"<p>x</p>"])
def test_variants_are_in_place_before_the_file_is_renamed_over_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new: bytes
) -> None:
    target = tmp_path / "index.html"
    write_file(target, PAGE)
    seen_when_renamed: list[dict[str, bytes]] = []
    rename = os.replace

    def watching_replace(source: Any, destination: Any) -> None:
        if Path(destination) == target:
            seen_when_renamed.append(_variants(target))
        rename(source, destination)

    monkeypatch.setattr(os, "replace", watching_replace)

    write_file(target, new)

    expected = {"gzip": new, "br": new} if len(new) >= 256 else {}
    assert seen_when_renamed == [expected]
    assert _variants(target) == expected


def test_a_write_failing_halfway_leaves_the_old_file_and_its_variants(
    tmp_path: Path,
) -> None:
    target = tmp_path / "index.html"
    write_file(target, PAGE)

    def chunks() -> Iterator[bytes]:
        yield b"<html>half a new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_file(target, chunks())

    assert target.read_bytes() == PAGE
    assert _variants(target) == {"gzip": PAGE, "br": PAGE}
    assert sorted(os.listdir(tmp_path)) == [
        "index.html",
        "index.html.br",
        "index.html.gz",
    ]


def test_content_given_in_chunks_gets_variants_too(tmp_path: Path) -> None:
    target = tmp_path / "index.html"

    write_file(target, iter([PAGE[:100], PAGE[100:]]))

    assert target.read_bytes() == PAGE
    assert _variants(target) == {"gzip": PAGE, "br": PAGE}


def test_an_unchanged_file_and_its_variants_are_left_untouched(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    write_file(target, PAGE)
    for name in os.listdir(tmp_path):
        os.utime(tmp_path / name, (1_000_000_000, 1_000_000_000))

    write_file(target, PAGE, skip_unchanged=True)

    assert {(tmp_path / name).stat().st_mtime for name in os.listdir(tmp_path)} == {
        1_000_000_000
    }


def test_an_unchanged_file_with_a_stale_or_missing_variant_is_written_again(
    tmp_path: Path,
) -> None:
    target = tmp_path / "index.html"
    other = PAGE.replace(b"old town", b"harbour")
    write_file(target, PAGE)
    # A write of other content that died after its first variant was renamed...
    (tmp_path / "index.html.br").write_bytes(brotli.compress(other))
    # ...and one whose gzip variant never arrived.
    (tmp_path / "index.html.gz").unlink()

    write_file(target, PAGE, skip_unchanged=True)

    assert _variants(target) == {"gzip": PAGE, "br": PAGE}


def test_remove_file_removes_the_variants_and_the_folder_they_were_in(
    tmp_path: Path,
) -> None:
    root = tmp_path / "site"
    story = write_file(root / "world/x/index.html", PAGE)

    assert remove_file(story, root=root)
    assert not (root / "world").exists()


def test_remove_file_removes_variants_whose_file_never_arrived(tmp_path: Path) -> None:
    root = tmp_path / "site"
    story = write_file(root / "world/x/index.html", PAGE)
    story.unlink()

    assert not remove_file(story, root=root)
    assert not (root / "world").exists()


def test_files_written_in_background_are_all_in_place_when_the_block_ends(
    tmp_path: Path,
) -> None:
    pages = {tmp_path / f"p{n}" / "index.html": f"<p>{n}</p>" * 100 for n in range(8)}

    with writes_in_background():
        for path, text in pages.items():
            assert write_file_soon(path, text.encode()) == path
        threads = {t.name for t in threading.enumerate()}

    assert any(name.startswith("newsdesk-writer") for name in threads)
    for path, text in pages.items():
        assert path.read_text() == text
        assert gzip.decompress(path.with_name("index.html.gz").read_bytes()) == (
            text.encode()
        )
    assert not [t for t in threading.enumerate() if t.name.startswith("newsdesk-")]


def test_the_same_file_written_twice_in_background_keeps_the_later_content(
    tmp_path: Path,
) -> None:
    page = tmp_path / "index.html"

    with writes_in_background():
        for n in range(20):
            write_file_soon(page, f"version {n} ".encode() * 50)

    assert page.read_bytes() == b"version 19 " * 50


def test_a_failed_background_write_is_raised_after_the_others_finish(
    tmp_path: Path,
) -> None:
    (tmp_path / "blocked").write_text("a file where a folder should be")
    good = tmp_path / "good.html"

    # The error surfaces when the block ends, after both writes were handed over.
    with pytest.raises(FileExistsError), writes_in_background():  # noqa: PT012
        write_file_soon(tmp_path / "blocked" / "index.html", b"<p>x</p>")
        write_file_soon(good, b"<p>kept</p>")

    assert good.read_bytes() == b"<p>kept</p>"


def test_outside_a_background_block_files_are_written_at_once(tmp_path: Path) -> None:
    page = tmp_path / "index.html"

    write_file_soon(page, b"<p>now</p>")

    assert page.read_bytes() == b"<p>now</p>"
