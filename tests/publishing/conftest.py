"""Fixtures for the publisher's tests: publish through Wagtail and run what commits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.output import is_variant
from newsdesk.stories.models import StoryPage
from tests.conftest import Publish as Publish  # re-exported for the tests here
from tests.conftest import Unpublish as Unpublish

OLD = 1_000_000_000  # a time long ago (2001), given to files to see if they change


def output_files(root: Path | None = None, *, variants: bool = False) -> set[str]:
    """Return every file under the output folder, relative to it (no .gz/.br unless asked)."""
    root = root or Path(settings.NEWSDESK_OUTPUT_DIR)
    return {
        str(Path(folder, name).relative_to(root))
        for folder, _, names in os.walk(root)
        for name in names
        if variants or not is_variant(Path(name))
    }


def date_files(story: StoryPage, *, pages: int = 1) -> set[str]:
    """Return the date archive files a live story is on: index, month, day pages."""
    assert story.first_published_at is not None
    day = timezone.localtime(story.first_published_at).date()
    files = {"archive/index.html", f"archive/{day:%Y/%m}/index.html"}
    files |= {f"archive/{day:%Y/%m/%d}/index.html"}
    files |= {f"archive/{day:%Y/%m/%d}/{n}/index.html" for n in range(2, pages + 1)}
    return files


def read(reader_file: str) -> str:
    """Return a file of the output folder as text."""
    return (Path(settings.NEWSDESK_OUTPUT_DIR) / reader_file).read_text("utf-8")


def age_all_files() -> dict[str, tuple[int, bytes]]:
    """Set every output file's times long ago; return their times and contents."""
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    state = {}
    for name in output_files(root):
        path = root / name
        os.utime(path, (OLD, OLD))
        state[name] = (path.stat().st_mtime_ns, path.read_bytes())
    return state


def unchanged_since(state: dict[str, tuple[int, bytes]]) -> set[str]:
    """Return the files still as ``age_all_files`` left them."""
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    return {
        name
        for name, (mtime, content) in state.items()
        if (root / name).exists()
        and (root / name).stat().st_mtime_ns == mtime
        and (root / name).read_bytes() == content
    }


@pytest.fixture
def small_pages(settings: SettingsWrapper) -> None:
    """Two stories on a section front and on each archive page."""
    settings.NEWSDESK_FRONT_SIZE = 2
    settings.NEWSDESK_ARCHIVE_PAGE_SIZE = 2
