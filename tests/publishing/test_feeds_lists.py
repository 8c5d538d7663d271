"""Every list has its feeds: the site, each section, author and tag, in RSS, Atom and
JSON Feed, beside the list's front page. A publish rewrites the feeds of the lists
it rewrites; a story taken off the site (unpublished, killed) leaves every one of
them; a story not live yet (scheduled, embargoed) is in none. Every page links the
site's feeds, and a list's pages link its own."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.publishing.feeds import (
    FEED_FORMATS,
    FeedRenderer,
    author_feed_list,
    feed_story_lists,
    section_feed_list,
    site_feed_list,
    tag_feed_list,
)
from newsdesk.publishing.server_headers import content_type_for
from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import HomePage, SectionPage, StoryAuthor, StoryPage
from newsdesk.stories.scheduling import scheduled_publishing_run
from newsdesk.stories.selectors import section_map, site_info
from newsdesk.stories.services import story_kill
from tests.conftest import PublishAt
from tests.stories.factories import make_person, make_section

from .conftest import (
    OLD,
    Unpublish,
    age_all_files,
    output_files,
    read,
    unchanged_since,
)
from .test_feeds import check_file, links

NAMES = [fmt.file_name for fmt in FEED_FORMATS]


def feed_files(folder: str = "") -> set[str]:
    """Return the three feed files of a list whose front page is in ``folder``."""
    return {f"{folder}{name}" for name in NAMES}


def entries_everywhere(folder: str = "") -> list[str]:
    """Return a list's entries' addresses, the same in all three formats, checked."""
    found = [links(check_file(f"{folder}{name}")) for name in NAMES]
    assert found[0] == found[1] == found[2]
    return found[0]


def _url(story: StoryPage) -> str:
    parent = story.get_parent()
    assert parent is not None
    return f"https://news.example/{parent.slug}/{story.slug}/"


@pytest.fixture
def sport(home: HomePage) -> SectionPage:
    return make_section(home, title="Sport", slug="sport")


def test_a_publish_writes_the_feeds_of_the_site_and_of_the_story_s_lists(
    publish_at: PublishAt,
) -> None:
    publish_at(
        minutes=1,
        slug="floods",
        tags=["Kabul", "Floods"],
        authors=[make_person(name="Farida Noori"), make_person(name="Ali Reza")],
    )

    feeds = {name for name in output_files() if Path(name).name in NAMES}
    assert feeds == (
        feed_files()
        | feed_files("world/")
        | feed_files("authors/farida-noori/")
        | feed_files("authors/ali-reza/")
        | feed_files("tags/kabul/")
        | feed_files("tags/floods/")
    )


def test_each_list_s_feeds_hold_exactly_its_stories_newest_first(
    publish_at: PublishAt, sport: SectionPage
) -> None:
    # given: stories across two sections, three people and two tags
    farida, ali, nadia = (make_person(name=n) for n in ("Farida", "Ali", "Nadia"))
    s1 = publish_at(minutes=1, slug="s1", authors=[farida], tags=["Kabul"])
    s2 = publish_at(minutes=2, slug="s2", authors=[ali], section=sport)
    s3 = publish_at(minutes=3, slug="s3", authors=[farida, ali], tags=["Kabul", "Vote"])
    s4 = publish_at(minutes=4, slug="s4", authors=[nadia], section=sport, tags=["Vote"])

    # then
    assert entries_everywhere() == [_url(s) for s in (s4, s3, s2, s1)]
    assert entries_everywhere("world/") == [_url(s3), _url(s1)]
    assert entries_everywhere("sport/") == [_url(s4), _url(s2)]
    assert entries_everywhere("authors/farida/") == [_url(s3), _url(s1)]
    assert entries_everywhere("authors/ali/") == [_url(s3), _url(s2)]
    assert entries_everywhere("authors/nadia/") == [_url(s4)]
    assert entries_everywhere("tags/kabul/") == [_url(s3), _url(s1)]
    assert entries_everywhere("tags/vote/") == [_url(s4), _url(s3)]


def test_the_site_s_feeds_hold_the_feed_size_and_a_list_s_its_front_s(
    publish_at: PublishAt, settings: SettingsWrapper
) -> None:
    settings.NEWSDESK_FEED_SIZE = 3
    settings.NEWSDESK_FRONT_SIZE = 2
    stories = [
        publish_at(minutes=n, slug=f"s{n}", tags=["Kabul"], authors=[make_person()])
        for n in range(4)
    ]
    newest_first = [_url(story) for story in reversed(stories)]

    assert entries_everywhere() == newest_first[:3]
    assert entries_everywhere("world/") == newest_first[:2]
    assert entries_everywhere("tags/kabul/") == newest_first[:2]


def test_republishing_a_story_rewrites_only_the_feeds_it_is_in(
    publish_at: PublishAt,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: three stories by one writer with one tag; feeds of two
    settings.NEWSDESK_FEED_SIZE = 2
    settings.NEWSDESK_FRONT_SIZE = 2
    farida = make_person(name="Farida")
    old, _, newest = (
        publish_at(minutes=n, slug=f"s{n}", tags=["Kabul"], authors=[farida])
        for n in range(3)
    )
    before = age_all_files()

    # when: the oldest, in no feed, is corrected
    with django_capture_on_commit_callbacks(execute=True):
        old.corrections.create(note="It rained on Monday.")
        old.save_revision().publish()

    # then: no feed changed; the newest corrected changes them all
    feeds = {name for name in before if Path(name).name in NAMES}
    assert feeds <= unchanged_since(before)
    with django_capture_on_commit_callbacks(execute=True):
        newest.corrections.create(note="It rained on Tuesday.")
        newest.save_revision().publish()
    assert not feeds & unchanged_since(before)
    for name in feeds:
        assert "It rained on Tuesday." in read(name)
        assert "It rained on Monday." not in read(name)


# --- taken off the site, or not on it yet -------------------------------------------


def _story_everywhere(publish_at: PublishAt) -> tuple[StoryPage, StoryPage]:
    """Publish a story into a section, an author's and a tag's lists beside another
    story of the section's; return (the other, the story)."""
    kept = publish_at(minutes=1, slug="kept", authors=[make_person(name="Ali")])
    story = publish_at(
        minutes=2,
        slug="floods",
        tags=["Kabul"],
        authors=[make_person(name="Farida Noori")],
    )
    assert _url(story) in entries_everywhere("tags/kabul/")
    return kept, story


def _assert_gone_from_every_feed(kept: StoryPage, story: StoryPage) -> None:
    for folder in ("", "world/"):
        assert entries_everywhere(folder) == [_url(kept)]
    # its author and tag have no live story left: their pages and feeds go
    files = output_files()
    assert not files & (feed_files("authors/farida-noori/") | feed_files("tags/kabul/"))
    assert "authors/farida-noori/index.html" not in files
    for name in files:
        if Path(name).name in NAMES:
            assert "floods" not in read(name)


def test_an_unpublished_story_leaves_every_feed(
    publish_at: PublishAt, unpublish: Unpublish
) -> None:
    kept, story = _story_everywhere(publish_at)

    unpublish(story)

    _assert_gone_from_every_feed(kept, story)


def test_a_killed_story_leaves_every_feed(
    publish_at: PublishAt, django_capture_on_commit_callbacks: Any
) -> None:
    kept, story = _story_everywhere(publish_at)
    chief = User.objects.create_superuser(
        username="chief", password="a-long-test-password"
    )

    with django_capture_on_commit_callbacks(execute=True):
        story_kill(story=story, by=chief, reason="We could not stand by it.")

    _assert_gone_from_every_feed(kept, story)


def test_the_last_story_leaving_a_section_leaves_its_feeds_empty_and_valid(
    publish_at: PublishAt, unpublish: Unpublish
) -> None:
    story = publish_at(minutes=1, slug="floods")

    unpublish(story)

    assert entries_everywhere() == []
    assert entries_everywhere("world/") == []


NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def test_a_scheduled_story_is_in_no_feed_until_it_goes_live(
    story_factory: Callable[..., StoryPage],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a live story, and one set to go live at noon (as an embargo does)
    with (
        time_machine.travel(NOON - timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        live = story_factory(live=True, slug="live")
        held = story_factory(live=False, slug="held")
        held.tags.add("Kabul")
        held.go_live_at = NOON
        held.save_revision().publish()
    held.refresh_from_db()
    assert not held.live

    # then: before noon no feed has it
    assert entries_everywhere() == [_url(live)]
    assert entries_everywhere("world/") == [_url(live)]
    assert not output_files() & feed_files("tags/kabul/")

    # when: the worker publishes it at noon, it joins the feeds
    with (
        time_machine.travel(NOON + timedelta(seconds=30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        scheduled_publishing_run()
    assert entries_everywhere() == [_url(held), _url(live)]
    assert entries_everywhere("tags/kabul/") == [_url(held)]


# --- bylines, tags and sections that change ------------------------------------------


def test_a_person_dropped_from_the_byline_loses_the_story_from_their_feeds(
    publish_at: PublishAt, django_capture_on_commit_callbacks: Any
) -> None:
    farida, ali = make_person(name="Farida"), make_person(name="Ali")
    publish_at(minutes=1, slug="other", authors=[farida])
    story = publish_at(minutes=2, slug="floods", authors=[farida])

    # when: Ali replaces Farida in the byline
    draft = StoryPage.objects.get(pk=story.pk)
    draft.authors.all().delete()
    StoryAuthor.objects.create(story=draft, person=ali, sort_order=0)
    with django_capture_on_commit_callbacks(execute=True):
        draft.save_revision().publish()

    assert _url(story) not in entries_everywhere("authors/farida/")
    assert entries_everywhere("authors/ali/") == [_url(story)]


def test_a_story_moved_to_another_section_moves_between_their_feeds(
    publish_at: PublishAt, sport: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish_at(minutes=1, slug="floods")

    with django_capture_on_commit_callbacks(execute=True):
        story.move(sport, pos="last-child")

    moved = StoryPage.objects.get(pk=story.pk)
    assert entries_everywhere("world/") == []
    assert entries_everywhere("sport/") == [_url(moved)]
    assert entries_everywhere() == [_url(moved)]


def test_a_section_s_feeds_come_and_go_with_the_section(
    home: HomePage, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sport = make_section(home, title="Sport", slug="sport")

    assert entries_everywhere("sport/") == []

    with django_capture_on_commit_callbacks(execute=True):
        sport.unpublish()

    assert not output_files() & feed_files("sport/")


# --- the full rebuild ------------------------------------------------------------------


def test_a_rebuild_writes_the_same_feeds_as_the_publishes_did(
    publish_at: PublishAt, sport: SectionPage
) -> None:
    farida = make_person(name="Farida")
    publish_at(minutes=1, slug="s1", authors=[farida], tags=["Kabul"])
    publish_at(minutes=2, slug="s2", section=sport, tags=["Vote", "Kabul"])
    publish_at(minutes=3, slug="s3", authors=[farida])
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    published = {
        name: (root / name).read_bytes()
        for name in output_files()
        if Path(name).name in NAMES
    }
    assert len(published) == 3 * 7  # site, 2 sections, 2 people, 2 tags
    for name in published:
        os.remove(root / name)

    site_rebuild()

    rebuilt = {
        name: (root / name).read_bytes()
        for name in output_files()
        if Path(name).name in NAMES
    }
    assert rebuilt == published


def test_a_rebuild_removes_the_feeds_of_lists_that_are_gone(
    publish_at: PublishAt,
) -> None:
    publish_at(minutes=1, slug="floods", authors=[make_person(name="Farida")])
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    # an old author address (a pen name taken since) and a tag no story has now
    for name in feed_files("authors/old-name/") | feed_files("tags/gone/"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("old", "utf-8")
        os.utime(root / name, (OLD, OLD))

    site_rebuild()

    files = output_files()
    assert not files & (feed_files("authors/old-name/") | feed_files("tags/gone/"))
    assert feed_files("authors/farida/") <= files


# --- cost -----------------------------------------------------------------------------------


def test_a_list_s_feeds_cost_the_same_queries_however_many_stories_they_hold(
    publish_at: PublishAt,
) -> None:
    farida = make_person(name="Farida")

    def queries_for_feeds() -> int:
        site = site_info()
        story = StoryPage.objects.live().get(slug="s1")
        feeds = [
            site_feed_list(site),
            section_feed_list(SectionPage.objects.get(slug="world"), site),
            author_feed_list(farida, site),
            *(tag_feed_list(tag, site) for tag in story.tags.all()),
        ]
        with CaptureQueriesContext(connection) as queries:
            found = feed_story_lists(feeds)
            renderer = FeedRenderer(
                site=site, sections=section_map(), parts=found.parts
            )
            for feed, stories in zip(feeds, found.lists, strict=True):
                for fmt in FEED_FORMATS:
                    renderer.render(feed, stories, fmt)
        return len(queries)

    def publish_one(n: int, *, links_to: StoryPage | None = None) -> StoryPage:
        story = publish_at(
            minutes=n,
            slug=f"s{n}",
            authors=[farida],
            tags=["Kabul"],
            standfirst="",
            body=(
                f'<p>Story {n} <a linktype="page" id="{links_to.pk}">links</a>.</p>'
                if links_to
                else f"<p>Story {n}.</p>"
            ),
        )
        story.corrections.create(note=f"Correction {n}.")
        return story

    # given: two stories, one linking to the other, both corrected
    first = publish_one(1)
    publish_one(2, links_to=first)
    queries_for_feeds()  # Wagtail caches the site's root paths on first use
    few = queries_for_feeds()

    # when: there are four times as many
    for n in range(3, 9):
        publish_one(n, links_to=first)

    # then: their feeds cost the same number of queries
    assert queries_for_feeds() == few


# --- discovery and serving -------------------------------------------------------------


SITE_LINKS = (
    '<link rel="alternate" type="application/rss+xml" title="Newsdesk" '
    'href="/rss.xml">\n'
    '<link rel="alternate" type="application/atom+xml" title="Newsdesk (Atom)" '
    'href="/atom.xml">\n'
    '<link rel="alternate" type="application/feed+json" title="Newsdesk (JSON Feed)" '
    'href="/feed.json">'
)


def _list_links(folder: str, title: str) -> str:
    return (
        f'<link rel="alternate" type="application/rss+xml" title="{title}" '
        f'href="/{folder}rss.xml">\n'
        f'<link rel="alternate" type="application/atom+xml" title="{title} (Atom)" '
        f'href="/{folder}atom.xml">\n'
        f'<link rel="alternate" type="application/feed+json" '
        f'title="{title} (JSON Feed)" href="/{folder}feed.json">'
    )


def test_every_page_links_the_site_s_feeds_and_a_list_s_pages_its_own(
    publish_at: PublishAt,
) -> None:
    story = publish_at(
        minutes=1, slug="floods", tags=["Kabul"], authors=[make_person(name="Farida")]
    )
    site_rebuild()
    own = {
        "world/index.html": _list_links("world/", "World — Newsdesk"),
        "world/archive/1/index.html": _list_links("world/", "World — Newsdesk"),
        "authors/farida/index.html": _list_links(
            "authors/farida/", "Farida — Newsdesk"
        ),
        "authors/farida/archive/1/index.html": _list_links(
            "authors/farida/", "Farida — Newsdesk"
        ),
        "tags/kabul/index.html": _list_links("tags/kabul/", "Kabul — Newsdesk"),
        "tags/kabul/archive/1/index.html": _list_links(
            "tags/kabul/", "Kabul — Newsdesk"
        ),
    }
    pages = [name for name in output_files() if name.endswith(".html")]
    assert {"index.html", "404.html", "world/floods/index.html"} <= set(pages)

    for name in pages:
        head = read(name).split("</head>", 1)[0]
        assert SITE_LINKS in head, name
        list_links = head.count('<link rel="alternate"')
        if name in own:
            assert own[name] in head
            assert list_links == 6, name
        else:
            assert list_links == 3, name
    assert story.slug in read("world/floods/index.html")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("rss.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json; charset=utf-8"),
        ("world/atom.xml", "application/atom+xml; charset=utf-8"),
        ("authors/farida/feed.json", "application/feed+json; charset=utf-8"),
        ("tags/kabul/rss.xml", "application/rss+xml; charset=utf-8"),
    ],
)
def test_the_server_sends_each_feed_with_its_content_type(
    name: str, content_type: str
) -> None:
    assert content_type_for(Path(name)) == content_type
