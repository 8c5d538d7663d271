"""Answers kept in memory by the built-in server are never older than the folder.

Each behaviour is checked twice: with the folders watched by inotify, and with each
kept answer checked by ``stat`` (other systems, or the kernel's watches used up).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.publishing import server_cache
from newsdesk.publishing.output import write_file
from newsdesk.publishing.server_cache import (
    FOLDER,
    MISSING,
    REFUSED,
    Answer,
    Outcome,
    ReaderFiles,
)

STORY = b"<!doctype html><title>Floods</title>" + b"<p>The river rose.</p>" * 40
BR = ("br", "gzip")
PLAIN: tuple[str, ...] = ()

WATCHING = [
    pytest.param(
        True,
        id="inotify",
        marks=pytest.mark.skipif(
            not sys.platform.startswith("linux"), reason="inotify is Linux's"
        ),
    ),
    pytest.param(False, id="stat"),
]


@pytest.fixture(params=WATCHING)
def files(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReaderFiles]:
    root = tmp_path / "site"
    root.mkdir()
    reader_files = ReaderFiles(root, watch=request.param)
    yield reader_files
    reader_files.close()


def body_of(found: Answer | Outcome) -> bytes | None:
    assert isinstance(found, Answer), found
    return found.body


def test_an_answer_is_kept_and_sent_again(files: ReaderFiles) -> None:
    write_file(files.root / "world" / "index.html", STORY)

    first = files.find("/world/", BR)
    second = files.find("/world/", BR)

    assert first is second
    assert isinstance(first, Answer)
    assert dict(first.headers)["Content-Encoding"] == "br"
    # Watched where inotify is asked for; checked with stat otherwise.
    assert [kept.watched for kept in files._kept.values()] == [files._watch]


def test_a_file_renamed_over_is_sent_fresh_at_once(files: ReaderFiles) -> None:
    page = write_file(files.root / "world" / "index.html", STORY)
    files.find("/world/", PLAIN)
    files.find("/world/", BR)

    write_file(page, STORY.replace(b"river", b"canal"))

    assert b"canal" in (body_of(files.find("/world/", PLAIN)) or b"")
    updated = files.find("/world/", BR)
    assert isinstance(updated, Answer)
    assert dict(updated.headers)["Content-Encoding"] == "br"
    assert updated.etag.endswith('-br"')


def test_a_file_written_in_place_is_sent_fresh_at_once(files: ReaderFiles) -> None:
    page = files.root / "robots.txt"
    page.write_bytes(b"User-agent: *\n")
    files.find("/robots.txt", PLAIN)

    with page.open("r+b") as stream:  # same file, same size
        stream.write(b"User-agent: X\n")

    assert body_of(files.find("/robots.txt", PLAIN)) == b"User-agent: X\n"


def test_a_removed_file_is_no_longer_sent(files: ReaderFiles) -> None:
    page = write_file(files.root / "world" / "story" / "index.html", STORY)
    files.find("/world/story/", PLAIN)

    page.unlink()

    assert files.find("/world/story/", PLAIN) is MISSING


def test_a_variant_removed_or_added_changes_the_encoding_sent(
    files: ReaderFiles,
) -> None:
    page = write_file(files.root / "index.html", STORY)
    brotli_file = page.with_name("index.html.br")
    files.find("/", BR)

    saved = brotli_file.read_bytes()
    brotli_file.unlink()
    without = files.find("/", BR)
    brotli_file.write_bytes(saved)
    os.utime(brotli_file, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns))
    again = files.find("/", BR)

    assert isinstance(without, Answer)
    assert isinstance(again, Answer)
    assert dict(without.headers)["Content-Encoding"] == "gzip"
    assert dict(again.headers)["Content-Encoding"] == "br"


def test_a_folder_swapped_for_another_is_read_anew(files: ReaderFiles) -> None:
    write_file(files.root / "world" / "story" / "index.html", b"<p>old</p>")
    files.find("/world/story/", PLAIN)
    write_file(files.root / ".world.new" / "story" / "index.html", b"<p>new</p>")

    (files.root / "world").rename(files.root / ".world.old")
    (files.root / ".world.new").rename(files.root / "world")

    assert body_of(files.find("/world/story/", PLAIN)) == b"<p>new</p>"


def test_a_link_to_a_folder_pointed_elsewhere_is_followed_anew(
    files: ReaderFiles,
) -> None:
    for edition in ("monday", "tuesday"):
        write_file(files.root / edition / "index.html", edition.encode())
    (files.root / "today").symlink_to("monday")
    files.find("/today/", PLAIN)

    (files.root / ".today.new").symlink_to("tuesday")
    (files.root / ".today.new").rename(files.root / "today")

    assert body_of(files.find("/today/", PLAIN)) == b"tuesday"


def test_the_404_page_is_kept_and_refreshed(files: ReaderFiles) -> None:
    write_file(files.root / "404.html", b"<p>Not here</p>")
    first = files.find_not_found(PLAIN)

    write_file(files.root / "404.html", b"<p>Still not here</p>")
    second = files.find_not_found(PLAIN)

    assert first is not None
    assert second is not None
    assert (first.status, second.status) == (404, 404)
    assert second.body == b"<p>Still not here</p>"
    assert "Content-Encoding" not in dict(second.headers)


def test_paths_that_are_not_files_say_what_they_are(files: ReaderFiles) -> None:
    (files.root / "world").mkdir()

    assert files.find("/world", PLAIN) is FOLDER
    assert files.find("/world/missing/", PLAIN) is MISSING
    assert files.find("/../etc/passwd", PLAIN) is REFUSED
    assert files.find("/index.html.gz", PLAIN) is MISSING


def test_memory_stays_within_its_budget(files: ReaderFiles) -> None:
    files.budget_bytes = 5 * (2 * len(STORY) + 2048)
    for n in range(20):
        write_file(files.root / f"s{n}" / "index.html", STORY)
        files.find(f"/s{n}/", PLAIN)

    assert files._kept_bytes <= files.budget_bytes
    assert 0 < len(files._kept) <= 5
    assert body_of(files.find("/s0/", PLAIN)) == STORY  # read again when needed


def test_a_large_file_is_sent_from_disk_and_not_kept(
    files: ReaderFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_cache, "MAX_KEPT_FILE_BYTES", 1000)
    (files.root / "report.pdf").write_bytes(b"%PDF" + b"x" * 5000)

    found = files.find("/report.pdf", PLAIN)

    assert isinstance(found, Answer)
    assert (found.body, found.content_length) == (None, 5004)
    assert found.fd is not None
    found.release()
    assert not files._kept


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_past_the_watch_limit_the_cache_starts_afresh_and_stays_correct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_cache, "MAX_WATCHED_FOLDERS", 4)
    files = ReaderFiles(tmp_path)
    descriptor = files.watch_fd()  # an event loop reads it: it must stay the same
    for n in range(6):
        write_file(tmp_path / f"s{n}" / "index.html", f"story {n}".encode())
        files.find(f"/s{n}/", PLAIN)

    write_file(tmp_path / "s5" / "index.html", b"story 5, corrected")

    assert body_of(files.find("/s5/", PLAIN)) == b"story 5, corrected"
    assert files._watcher is not None
    assert len(files._watcher.folders) <= 4
    assert files.watch_fd() == descriptor
    files.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_a_change_inotify_cannot_see_is_noticed_at_the_next_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a network file system no event comes: a stat a second catches up."""
    files = ReaderFiles(tmp_path)
    write_file(tmp_path / "index.html", b"<p>one</p>")
    monkeypatch.setattr(server_cache, "RECHECK_SECONDS", 3600.0)
    files.find("/", PLAIN)
    assert files._watcher is not None
    files._watcher.reset()  # the watches see nothing any more

    write_file(tmp_path / "index.html", b"<p>two</p>")
    before_the_check = files.find("/", PLAIN)
    monkeypatch.setattr(server_cache, "RECHECK_SECONDS", 0.0)
    after_the_check = files.find("/", PLAIN)

    assert body_of(before_the_check) == b"<p>one</p>"
    assert body_of(after_the_check) == b"<p>two</p>"
    files.close()
