"""The date archive: an index of months, each month's days, each day's stories on
pages numbered from the oldest, by the site's time zone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import StoryPage

from .conftest import (
    Publish,
    Unpublish,
    age_all_files,
    output_files,
    read,
    unchanged_since,
)

DAY = "archive/2026/03/14/"


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run what follows as if the clock read ``moment`` (and went on from there)."""
    with time_machine.travel(moment, tick=True):
        yield


def _archive_files() -> set[str]:
    return {name for name in output_files() if name.startswith("archive/")}


def _headlines(page: str) -> list[str]:
    return re.findall(r'<h[23]><a href="[^"]+">([^<]+)</a></h[23]>', page)


def _links(page: str) -> list[tuple[str, str]]:
    """Return the (path, text) of the links in the list items of a page's content."""
    main = page[page.index("<main") : page.index("</main>")]
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', main)


def _exists(reader_file: str) -> bool:
    return Path(settings.NEWSDESK_OUTPUT_DIR, reader_file).exists()


def _publish_on_the_14th(
    publish: Publish, count: int, first: int = 0
) -> list[StoryPage]:
    with at(datetime(2026, 3, 14, 9, first, tzinfo=UTC)):
        return [
            publish(title=f"Story {n}", slug=f"s{n}")
            for n in range(first, first + count)
        ]


def test_publishing_writes_the_story_s_day_its_month_and_the_archive_index(
    publish: Publish,
) -> None:
    with at(datetime(2026, 2, 2, 8, 0, tzinfo=UTC)):
        publish(title="Snow closes the Salang pass", slug="snow")
    with at(datetime(2026, 3, 16, 9, 0, tzinfo=UTC)):
        publish(title="Floods reach Kabul", slug="floods")
    with at(datetime(2026, 3, 14, 10, 0, tzinfo=UTC)):
        publish(title="Rain in Herat", slug="rain")

    assert _archive_files() == {
        "archive/index.html",
        "archive/2026/02/index.html",
        "archive/2026/02/02/index.html",
        "archive/2026/03/index.html",
        "archive/2026/03/14/index.html",
        "archive/2026/03/16/index.html",
    }
    index = read("archive/index.html")
    assert "<h1>Archive by date</h1>" in index
    assert '<h2 id="year-2026">2026</h2>' in index
    assert _links(index) == [
        ("/archive/2026/03/", "March 2026"),
        ("/archive/2026/02/", "February 2026"),
    ]
    assert '<a href="/archive/2026/03/">March 2026</a> (2)' in index
    month = read("archive/2026/03/index.html")
    assert "<h1>March 2026</h1>" in month
    assert _links(month) == [
        ("/archive/2026/03/14/", "14 March 2026"),
        ("/archive/2026/03/16/", "16 March 2026"),
    ]
    assert '<a href="/archive/2026/03/14/">14 March 2026</a>: 1 story' in month
    day = read(f"{DAY}index.html")
    assert "<h1>14 March 2026</h1>" in day
    assert _headlines(day) == ["Rain in Herat"]
    assert '<a href="/archive/2026/03/">More from March 2026</a>' in day
    assert '<a href="/archive/">Every story, by date</a>' in read("index.html")
    assert '<a href="/archive/">Archive by date</a>' in read("world/rain/index.html")


@pytest.mark.usefixtures("small_pages")
def test_a_day_s_pages_are_numbered_from_the_oldest_and_a_new_story_changes_the_last(
    publish: Publish,
) -> None:
    # given: 14 March's pages [s0 s1] [s2]
    _publish_on_the_14th(publish, 3)
    before = age_all_files()

    # when
    _publish_on_the_14th(publish, 1, first=3)

    # then: page 1 stays as it was; s3 joins s2 on page 2
    assert _archive_files() - unchanged_since(before) == {
        "archive/index.html",
        "archive/2026/03/index.html",
        f"{DAY}2/index.html",
    }
    page_1, page_2 = read(f"{DAY}index.html"), read(f"{DAY}2/index.html")
    assert "<h1>14 March 2026: page 1 of 2</h1>" in page_1
    assert _headlines(page_1) == ["Story 0", "Story 1"]
    assert _headlines(page_2) == ["Story 2", "Story 3"]
    assert f'<a href="/{DAY}2/" rel="next">' in page_1
    assert f'<a href="/{DAY}" rel="prev">' in page_2
    assert "14 March 2026</a>: 4 stories" in read("archive/2026/03/index.html")


@pytest.mark.usefixtures("small_pages")
def test_a_story_opening_a_new_day_page_links_it_from_the_one_before(
    publish: Publish,
) -> None:
    _publish_on_the_14th(publish, 2)
    before = age_all_files()

    _publish_on_the_14th(publish, 1, first=2)

    assert {f"{DAY}index.html", f"{DAY}2/index.html"} <= (
        _archive_files() - unchanged_since(before)
    )
    assert f'<a href="/{DAY}2/" rel="next">' in read(f"{DAY}index.html")
    assert _headlines(read(f"{DAY}2/index.html")) == ["Story 2"]


def test_a_story_published_near_midnight_is_on_the_site_time_zone_s_day(
    publish: Publish, settings: SettingsWrapper
) -> None:
    # given: a site in Kabul (UTC+4:30)
    settings.TIME_ZONE = settings.NEWSDESK_TIME_ZONE = "Asia/Kabul"

    # when: two stories an hour apart on 31 March UTC: 23:30 and 00:30 in Kabul
    with at(datetime(2026, 3, 31, 19, 0, tzinfo=UTC)):
        publish(title="Late council vote", slug="vote")
    with at(datetime(2026, 3, 31, 20, 0, tzinfo=UTC)):
        publish(title="Night floods", slug="night")

    # then: they are on Kabul's days, in Kabul's months
    assert _headlines(read("archive/2026/03/31/index.html")) == ["Late council vote"]
    assert _headlines(read("archive/2026/04/01/index.html")) == ["Night floods"]
    assert "<h1>1 April 2026</h1>" in read("archive/2026/04/01/index.html")
    assert _links(read("archive/index.html")) == [
        ("/archive/2026/04/", "April 2026"),
        ("/archive/2026/03/", "March 2026"),
    ]
    assert '<time datetime="2026-04-01T00:30' in read("world/night/index.html")


def test_unpublishing_the_only_story_of_a_month_removes_its_month_and_day_pages(
    publish: Publish, unpublish: Unpublish
) -> None:
    with at(datetime(2026, 2, 2, 8, 0, tzinfo=UTC)):
        february = publish(title="Snow closes the Salang pass", slug="snow")
    with at(datetime(2026, 3, 14, 10, 0, tzinfo=UTC)):
        march = publish(title="Rain in Herat", slug="rain")

    unpublish(february)

    assert not _exists("archive/2026/02/index.html")
    assert not _exists("archive/2026/02/02/index.html")
    assert _links(read("archive/index.html")) == [("/archive/2026/03/", "March 2026")]
    assert _headlines(read(f"{DAY}index.html")) == ["Rain in Herat"]

    unpublish(march)

    assert _archive_files() == {"archive/index.html"}
    assert "No stories yet." in read("archive/index.html")


@pytest.mark.usefixtures("small_pages")
def test_unpublishing_moves_the_later_stories_of_the_day_up_a_place(
    publish: Publish, unpublish: Unpublish
) -> None:
    # given: 14 March's pages [s0 s1] [s2]
    stories = _publish_on_the_14th(publish, 3)

    # when
    unpublish(stories[0])

    # then: [s1 s2], and no page 2
    assert _headlines(read(f"{DAY}index.html")) == ["Story 1", "Story 2"]
    assert not _exists(f"{DAY}2/index.html")
    assert "14 March 2026</a>: 2 stories" in read("archive/2026/03/index.html")


@pytest.mark.usefixtures("small_pages")
def test_rebuild_writes_the_date_pages_the_publishes_wrote(publish: Publish) -> None:
    _publish_on_the_14th(publish, 3)
    with at(datetime(2026, 4, 1, 12, 0, tzinfo=UTC)):
        publish(title="April story", slug="april")
    published = {name: read(name) for name in _archive_files()}

    site_rebuild(workers=1)

    assert {name: read(name) for name in _archive_files()} == published
    assert set(published) == {
        "archive/index.html",
        "archive/2026/03/index.html",
        f"{DAY}index.html",
        f"{DAY}2/index.html",
        "archive/2026/04/index.html",
        "archive/2026/04/01/index.html",
    }
