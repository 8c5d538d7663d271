"""Every person named on a live story has an author page, linked from their bylines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.publishing import renderer
from newsdesk.publishing.services import site_rebuild, site_unpublish_story
from newsdesk.stories.models import Person, StoryAuthor, StoryListing, StoryPage
from newsdesk.stories.selectors import public_path
from tests.stories.factories import make_person

from .conftest import (
    Publish,
    Unpublish,
    age_all_files,
    output_files,
    read,
    unchanged_since,
)

FARIDA = "authors/farida-noori/"


def _author_files(prefix: str) -> set[str]:
    return {name for name in output_files() if name.startswith(prefix)}


FEED_NAMES = ("rss.xml", "atom.xml", "feed.json")


def _feeds(folder: str) -> set[str]:
    """Return the feed files of the list whose front page is in ``folder``."""
    return {f"{folder}{name}" for name in FEED_NAMES}


def _headlines(page: str) -> list[str]:
    return re.findall(r'<h[23]><a href="[^"]+">([^<]+)</a></h[23]>', page)


@pytest.fixture
def farida(db: None) -> Person:
    return make_person(
        name="Farida Noori", bio="Farida reports on floods & the weather."
    )


def test_author_page_shows_the_person_and_their_stories_newest_first(
    publish: Publish, farida: Person
) -> None:
    publish(title="Rain in Herat", slug="rain", authors=[farida])
    publish(title="Someone else's story", slug="other")
    publish(title="Floods reach Kabul", slug="floods", authors=[farida])

    page = read(f"{FARIDA}index.html")

    assert "<h1>Farida Noori</h1>" in page
    assert "Farida reports on floods &amp; the weather." in page
    assert _headlines(page) == ["Floods reach Kabul", "Rain in Herat"]
    assert '<a href="/world/floods/">Floods reach Kabul</a>' in page
    assert '<a href="/world/">World</a>' in page  # the section of each story
    assert '<a href="/authors/farida-noori/archive/1/">Page 1</a>' in page
    assert (
        '<link rel="canonical" href="https://news.example/authors/farida-noori/">'
    ) in page


def test_a_person_without_a_live_story_has_no_page(
    publish: Publish, story_factory: Callable[..., StoryPage], farida: Person
) -> None:
    story_factory(live=False, slug="draft", authors=[farida])
    make_person(name="Ali Reza")
    publish(slug="floods")

    assert not Path(settings.NEWSDESK_OUTPUT_DIR, FARIDA).exists()
    assert not Path(settings.NEWSDESK_OUTPUT_DIR, "authors/ali-reza").exists()


def test_teasers_link_each_name_of_the_byline_to_its_author_page(
    publish: Publish, farida: Person
) -> None:
    publish(
        title="Floods reach Kabul",
        slug="floods",
        authors=[farida, make_person(name="Ali Reza"), make_person(name="Sara Ahmadi")],
    )

    byline = (
        '<a href="/authors/farida-noori/" rel="author">Farida Noori</a>, '
        '<a href="/authors/ali-reza/" rel="author">Ali Reza</a> and '
        '<a href="/authors/sara-ahmadi/" rel="author">Sara Ahmadi</a>'
    )
    for name in ["index.html", "world/index.html", "world/archive/1/index.html"]:
        assert byline in read(name), name
    assert byline in read(f"{FARIDA}index.html")
    assert f"By {byline}</p>" in read("world/floods/index.html")


def test_story_page_json_ld_gives_each_author_page_address(
    publish: Publish, farida: Person
) -> None:
    publish(slug="floods", authors=[farida])

    page = read("world/floods/index.html")

    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page)
    assert match
    assert json.loads(match.group(1))["author"] == [
        {
            "@type": "Person",
            "name": "Farida Noori",
            "url": "https://news.example/authors/farida-noori/",
        }
    ]


def test_story_page_carries_a_twitter_summary_card(publish: Publish) -> None:
    publish(
        title="Floods reach Kabul & Herat",
        slug="floods",
        standfirst="The river rose overnight.",
    )

    page = read("world/floods/index.html")

    assert '<meta name="twitter:card" content="summary">' in page
    assert '<meta name="twitter:title" content="Floods reach Kabul &amp; Herat">' in (
        page
    )
    assert (
        '<meta name="twitter:description" content="The river rose overnight.">'
    ) in page


@pytest.mark.usefixtures("small_pages")
def test_author_archive_pages_are_numbered_from_the_oldest(
    publish: Publish, farida: Person
) -> None:
    for n in range(3):
        publish(title=f"Story {n}", slug=f"s{n}", authors=[farida])

    page_1 = read(f"{FARIDA}archive/1/index.html")
    page_2 = read(f"{FARIDA}archive/2/index.html")
    front = read(f"{FARIDA}index.html")

    assert "<h1>Farida Noori: archive page 1 of 2</h1>" in page_1
    assert _headlines(page_1) == ["Story 1", "Story 0"]
    assert _headlines(page_2) == ["Story 2"]
    assert '<a href="/authors/farida-noori/archive/2/" rel="next">' in page_1
    assert '<a href="/authors/farida-noori/archive/1/" rel="prev">' in page_2
    assert _headlines(front) == ["Story 2", "Story 1"]  # two on the front


@pytest.mark.usefixtures("small_pages")
def test_a_new_story_rewrites_only_the_author_s_front_and_last_archive_page(
    publish: Publish, farida: Person
) -> None:
    # given: Farida's pages 1 (two stories) and 2 (one story), and another author's
    for n in range(3):
        publish(title=f"Story {n}", slug=f"s{n}", authors=[farida])
    publish(slug="other", authors=[make_person(name="Ali Reza")])
    before = age_all_files()

    # when
    publish(title="Story 3", slug="s3", authors=[farida])

    # then
    unchanged = unchanged_since(before)
    assert _author_files(FARIDA) - unchanged == {
        f"{FARIDA}index.html",
        f"{FARIDA}archive/2/index.html",
        *_feeds(FARIDA),
    }
    assert _author_files("authors/ali-reza/") <= unchanged
    assert _headlines(read(f"{FARIDA}archive/2/index.html")) == ["Story 3", "Story 2"]


@pytest.mark.usefixtures("small_pages")
def test_a_story_opening_an_author_archive_page_links_it_from_the_one_before(
    publish: Publish, farida: Person
) -> None:
    for n in range(4):
        publish(title=f"Story {n}", slug=f"s{n}", authors=[farida])
    before = age_all_files()

    publish(title="Story 4", slug="s4", authors=[farida])

    assert _author_files(FARIDA) - unchanged_since(before) == {
        f"{FARIDA}index.html",
        f"{FARIDA}archive/2/index.html",
        f"{FARIDA}archive/3/index.html",
        *_feeds(FARIDA),
    }
    assert '<a href="/authors/farida-noori/archive/3/" rel="next">' in read(
        f"{FARIDA}archive/2/index.html"
    )


@pytest.mark.usefixtures("small_pages")
def test_unpublishing_shifts_the_author_archive_from_the_story_s_page_on(
    publish: Publish, unpublish: Unpublish, farida: Person
) -> None:
    # given: Farida's pages [s0 s1] [s2 s3] [s4]
    stories = [
        publish(title=f"Story {n}", slug=f"s{n}", authors=[farida]) for n in range(5)
    ]
    before = age_all_files()

    # when: s2 goes, s3 and s4 move up a place
    unpublish(stories[2])

    # then
    assert f"{FARIDA}archive/1/index.html" in unchanged_since(before)
    assert _headlines(read(f"{FARIDA}archive/2/index.html")) == ["Story 4", "Story 3"]
    assert not Path(settings.NEWSDESK_OUTPUT_DIR, FARIDA, "archive/3").exists()
    assert "Story 2" not in read(f"{FARIDA}index.html")


def test_unpublishing_an_author_s_last_story_removes_their_page(
    publish: Publish, unpublish: Unpublish, farida: Person
) -> None:
    ali = make_person(name="Ali Reza")
    story = publish(slug="floods", authors=[farida, ali])
    publish(slug="rain", authors=[ali])

    unpublish(story)

    assert not Path(settings.NEWSDESK_OUTPUT_DIR, FARIDA).exists()
    assert _author_files("authors/ali-reza/") == {
        "authors/ali-reza/index.html",
        "authors/ali-reza/archive/1/index.html",
        *_feeds("authors/ali-reza/"),
    }
    assert "/world/floods/" not in read("authors/ali-reza/index.html")


def test_unpublishing_a_deleted_story_takes_the_byline_it_had(
    publish: Publish, farida: Person
) -> None:
    # given: the story's byline and listing rows are gone, as when it is deleted
    story = publish(slug="floods", authors=[farida])
    path = public_path(story)
    StoryPage.objects.filter(pk=story.pk).update(live=False)
    StoryAuthor.objects.filter(story=story).delete()
    StoryListing.objects.filter(story=story).delete()

    # when
    site_unpublish_story(story=story, path=path, authors=[farida])

    # then
    assert not Path(settings.NEWSDESK_OUTPUT_DIR, FARIDA).exists()


@pytest.mark.usefixtures("small_pages")
def test_rebuild_writes_the_author_pages_the_publishes_wrote(
    publish: Publish, farida: Person
) -> None:
    for n in range(3):
        publish(title=f"Story {n}", slug=f"s{n}", authors=[farida])
    published = {name: read(name) for name in _author_files("authors/")}

    site_rebuild(workers=1)

    assert {name: read(name) for name in _author_files("authors/")} == published
    assert set(published) == {
        f"{FARIDA}index.html",
        f"{FARIDA}archive/1/index.html",
        f"{FARIDA}archive/2/index.html",
        *_feeds(FARIDA),
        *(
            f"authors/{credit.person.slug}/{page}"
            for credit in StoryAuthor.objects.exclude(person=farida)
            for page in ("index.html", "archive/1/index.html", *FEED_NAMES)
        ),
    }


def test_rebuild_removes_the_page_of_an_author_with_no_live_story(
    publish: Publish, farida: Person
) -> None:
    story = publish(slug="floods", authors=[farida])
    publish(slug="rain")
    StoryPage.objects.filter(pk=story.pk).update(live=False)

    site_rebuild(workers=1)

    assert not Path(settings.NEWSDESK_OUTPUT_DIR, FARIDA).exists()
    assert "world/rain/index.html" in output_files()


def test_rendering_an_author_page_takes_the_same_queries_however_many_stories(
    publish: Publish,
) -> None:
    def queries_for(count: int) -> int:
        person = make_person()
        for _ in range(count):
            publish(authors=[person, make_person()])
        with CaptureQueriesContext(connection) as captured:
            renderer.render_author_front(person=person)
            renderer.render_author_archive(person=person, number=1)
        return len(captured.captured_queries)

    assert queries_for(2) == queries_for(6)


def test_the_fronts_sitemap_lists_the_author_pages(
    publish: Publish, unpublish: Unpublish, farida: Person
) -> None:
    story = publish(slug="floods", authors=[farida])

    assert "<loc>https://news.example/authors/farida-noori/</loc>" in read(
        "sitemaps/fronts.xml"
    )

    unpublish(story)

    assert "authors/farida-noori" not in read("sitemaps/fronts.xml")
