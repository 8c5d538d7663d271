"""Every tag on a live story has a page listing its stories, with archive pages
numbered from the oldest, kept current as stories are published, retagged and taken
down."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import StoryPage

from .conftest import Unpublish, age_all_files, output_files, read, unchanged_since

PublishTagged = Callable[..., StoryPage]
Retag = Callable[[StoryPage, Callable[[StoryPage], None]], None]

FLOODS = "tags/floods/"


def _tag_files(prefix: str) -> set[str]:
    return {name for name in output_files() if name.startswith(prefix)}


FEED_NAMES = ("rss.xml", "atom.xml", "feed.json")


def _feeds(folder: str) -> set[str]:
    """Return the feed files of the list whose front page is in ``folder``."""
    return {f"{folder}{name}" for name in FEED_NAMES}


def _headlines(page: str) -> list[str]:
    return re.findall(r'<h[23]><a href="[^"]+">([^<]+)</a></h[23]>', page)


def _exists(reader_file: str) -> bool:
    return Path(settings.NEWSDESK_OUTPUT_DIR, reader_file).exists()


@pytest.fixture
def publish_tagged(
    story_factory: Callable[..., StoryPage], django_capture_on_commit_callbacks: Any
) -> PublishTagged:
    """Publish a new story with tags through Wagtail and run the publisher."""

    def make(*, tags: Sequence[str], **kwargs: Any) -> StoryPage:
        story = story_factory(live=False, **kwargs)
        story.tags.add(*tags)
        with django_capture_on_commit_callbacks(execute=True):
            story.save_revision().publish()
        story.refresh_from_db()
        return story

    return make


@pytest.fixture
def retag(django_capture_on_commit_callbacks: Any) -> Retag:
    """Edit a live story's latest revision as the page editor does, then publish it."""

    def edit(story: StoryPage, change: Callable[[StoryPage], None]) -> None:
        latest = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
        change(latest)
        with django_capture_on_commit_callbacks(execute=True):
            latest.save_revision().publish()

    return edit


def test_tag_page_lists_the_tag_s_stories_newest_first(
    publish_tagged: PublishTagged,
) -> None:
    publish_tagged(title="Rain in Herat", slug="rain", tags=["Floods & rain"])
    publish_tagged(title="Untagged story", slug="other", tags=[])
    publish_tagged(
        title="Floods reach Kabul", slug="floods", tags=["Floods & rain", "Kabul"]
    )

    page = read("tags/floods-rain/index.html")

    assert '<h1><span class="kicker">Tag</span> Floods &amp; rain</h1>' in page
    assert _headlines(page) == ["Floods reach Kabul", "Rain in Herat"]
    assert '<a href="/tags/floods-rain/archive/1/">Page 1</a>' in page
    assert '<link rel="canonical" href="https://news.example/tags/floods-rain/">' in (
        page
    )
    story = read("world/floods/index.html")
    assert (
        '<a href="/tags/floods-rain/" rel="tag">Floods &amp; rain</a>, '
        '<a href="/tags/kabul/" rel="tag">Kabul</a>'
    ) in story
    assert '<meta property="article:tag" content="Floods &amp; rain">' in story
    assert _headlines(read("tags/kabul/index.html")) == ["Floods reach Kabul"]


@pytest.mark.usefixtures("small_pages")
def test_tag_archive_pages_are_numbered_from_the_oldest(
    publish_tagged: PublishTagged,
) -> None:
    for n in range(3):
        publish_tagged(title=f"Story {n}", slug=f"s{n}", tags=["Floods"])

    page_1 = read(f"{FLOODS}archive/1/index.html")
    page_2 = read(f"{FLOODS}archive/2/index.html")

    assert "<h1>Floods: archive page 1 of 2</h1>" in page_1
    assert _headlines(page_1) == ["Story 1", "Story 0"]
    assert _headlines(page_2) == ["Story 2"]
    assert '<a href="/tags/floods/archive/2/" rel="next">' in page_1
    assert '<a href="/tags/floods/archive/1/" rel="prev">' in page_2
    assert _headlines(read(f"{FLOODS}index.html")) == ["Story 2", "Story 1"]


@pytest.mark.usefixtures("small_pages")
def test_a_new_story_rewrites_only_the_tag_s_front_and_the_archive_page_it_falls_on(
    publish_tagged: PublishTagged,
) -> None:
    # given: Floods pages 1 (two stories) and 2 (one story), and another tag's pages
    for n in range(3):
        publish_tagged(title=f"Story {n}", slug=f"s{n}", tags=["Floods"])
    publish_tagged(slug="other", tags=["Kabul"])
    before = age_all_files()

    # when
    publish_tagged(title="Story 3", slug="s3", tags=["Floods"])

    # then
    unchanged = unchanged_since(before)
    assert _tag_files(FLOODS) - unchanged == {
        f"{FLOODS}index.html",
        f"{FLOODS}archive/2/index.html",
        *_feeds(FLOODS),
    }
    assert _tag_files("tags/kabul/") <= unchanged
    assert _headlines(read(f"{FLOODS}archive/2/index.html")) == ["Story 3", "Story 2"]


@pytest.mark.usefixtures("small_pages")
def test_unpublishing_shifts_the_tag_archive_from_the_story_s_page_on(
    publish_tagged: PublishTagged, unpublish: Unpublish
) -> None:
    # given: Floods pages [s0 s1] [s2 s3] [s4]
    stories = [
        publish_tagged(title=f"Story {n}", slug=f"s{n}", tags=["Floods"])
        for n in range(5)
    ]
    before = age_all_files()

    # when: s2 goes, s3 and s4 move up a place
    unpublish(stories[2])

    # then
    assert f"{FLOODS}archive/1/index.html" in unchanged_since(before)
    assert _headlines(read(f"{FLOODS}archive/2/index.html")) == ["Story 4", "Story 3"]
    assert not _exists(f"{FLOODS}archive/3")
    assert "Story 2" not in read(f"{FLOODS}index.html")


def test_unpublishing_a_tag_s_last_story_removes_its_pages(
    publish_tagged: PublishTagged, unpublish: Unpublish
) -> None:
    story = publish_tagged(title="Floods reach Kabul", tags=["Floods", "Kabul"])
    publish_tagged(title="Kabul council meets", tags=["Kabul"])

    unpublish(story)

    assert _tag_files(FLOODS) == set()
    assert not _exists(FLOODS)
    assert _headlines(read("tags/kabul/index.html")) == ["Kabul council meets"]
    assert "/tags/floods/" not in read("sitemaps/fronts.xml")


def test_dropping_a_tag_on_republish_rewrites_the_old_tag_s_pages_without_the_story(
    publish_tagged: PublishTagged, retag: Retag
) -> None:
    # given: two stories tagged Floods
    story = publish_tagged(
        title="Floods reach Kabul", slug="floods", tags=["Floods", "Kabul"]
    )
    publish_tagged(title="Rain in Herat", slug="rain", tags=["Floods"])

    # when: an editor takes Floods off the first and publishes it again
    retag(story, lambda latest: latest.tags.remove("Floods"))

    # then
    assert _headlines(read(f"{FLOODS}index.html")) == ["Rain in Herat"]
    assert _headlines(read(f"{FLOODS}archive/1/index.html")) == ["Rain in Herat"]
    assert _headlines(read("tags/kabul/index.html")) == ["Floods reach Kabul"]
    assert 'href="/tags/floods/"' not in read("world/floods/index.html")


def test_dropping_a_tag_s_only_story_on_republish_removes_the_tag_s_pages(
    publish_tagged: PublishTagged, retag: Retag
) -> None:
    story = publish_tagged(slug="floods", tags=["Floods", "Kabul"])

    retag(story, lambda latest: latest.tags.remove("Floods"))

    assert _tag_files(FLOODS) == set()
    assert "/tags/floods/" not in read("sitemaps/fronts.xml")
    assert _tag_files("tags/kabul/") == {
        "tags/kabul/index.html",
        "tags/kabul/archive/1/index.html",
        *_feeds("tags/kabul/"),
    }


def test_a_dari_tag_has_a_page_under_its_own_script(
    publish_tagged: PublishTagged,
) -> None:
    publish_tagged(
        title="سیلاب در کابل",
        slug="seilab",
        language=StoryPage.Language.DARI,
        tags=["سیلاب کابل"],
    )

    slug = "سیلاب-کابل"
    page = read(f"tags/{slug}/index.html")
    assert "سیلاب کابل" in page
    assert _headlines(page) == ["سیلاب در کابل"]
    assert _exists(f"tags/{slug}/archive/1/index.html")
    assert f'<a href="/tags/{slug}/" rel="tag">سیلاب کابل</a>' in read(
        "world/seilab/index.html"
    )
    assert f"<loc>https://news.example/tags/{quote(slug)}/</loc>" in read(
        "sitemaps/fronts.xml"
    )


def test_the_fronts_sitemap_lists_the_tag_pages(
    publish_tagged: PublishTagged, unpublish: Unpublish
) -> None:
    story = publish_tagged(slug="floods", tags=["Floods"])

    assert "<loc>https://news.example/tags/floods/</loc>" in read("sitemaps/fronts.xml")

    unpublish(story)

    assert "/tags/floods/" not in read("sitemaps/fronts.xml")


@pytest.mark.usefixtures("small_pages")
def test_rebuild_writes_the_tag_pages_the_publishes_wrote(
    publish_tagged: PublishTagged,
) -> None:
    for n in range(3):
        publish_tagged(title=f"Story {n}", slug=f"s{n}", tags=["Floods", f"Day {n}"])
    published = {name: read(name) for name in _tag_files("tags/")}

    site_rebuild(workers=1)

    assert {name: read(name) for name in _tag_files("tags/")} == published
    assert set(published) == {
        f"{FLOODS}index.html",
        f"{FLOODS}archive/1/index.html",
        f"{FLOODS}archive/2/index.html",
        *_feeds(FLOODS),
        *(
            f"tags/day-{n}/{page}"
            for n in range(3)
            for page in ("index.html", "archive/1/index.html", *FEED_NAMES)
        ),
    }


def test_a_tag_with_no_letters_or_digits_does_not_take_the_tags_folder_s_own_page(
    publish_tagged: PublishTagged,
) -> None:
    # given: a tag an editor typed with punctuation only
    publish_tagged(slug="floods", tags=["???"])

    # then: its link, if the story shows one, leads to a page of its own
    story = read("world/floods/index.html")
    links = re.findall(r'<a href="([^"]*)" rel="tag">', story)
    for link in links:
        assert re.fullmatch(r"/tags/[^/]+/", link), link
        assert _exists(f"{link.strip('/')}/index.html"), link
    assert not _exists("tags/index.html")
