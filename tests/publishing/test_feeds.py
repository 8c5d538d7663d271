"""The RSS feed: valid RSS 2.0 with the latest live stories in full."""

from __future__ import annotations

from typing import Any

import feedparser
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.feeds import render_feed
from tests.stories.factories import make_person

from .conftest import Publish, Unpublish, read


def _parse(text: str | bytes) -> Any:
    feed = feedparser.parse(text)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def test_feed_parses_and_carries_the_story_in_full(publish: Publish) -> None:
    publish(
        title="Floods reach <Kabul> & more",
        slug="floods",
        standfirst="The river rose.",
        body='<p>Residents moved <a href="/world/">uphill</a>.</p>',
        authors=[make_person(name="Farida Noori"), make_person(name="Ali Reza")],
    )

    feed = _parse(read("rss.xml"))

    assert feed.version == "rss20"
    assert feed.feed.title == "Newsdesk"
    assert feed.feed.link == "https://news.example/"
    (entry,) = feed.entries
    assert entry.title == "Floods reach <Kabul> & more"
    assert entry.link == "https://news.example/world/floods/"
    assert entry.id == "https://news.example/world/floods/"
    assert entry.summary == "The river rose."
    assert [a["name"] for a in entry.authors] == ["Farida Noori", "Ali Reza"]
    assert [t["term"] for t in entry.tags] == ["World"]
    assert entry.published_parsed is not None
    assert 'Residents moved <a href="https://news.example/world/">uphill</a>.' in (
        entry.content[0].value
    )


def test_feed_holds_the_newest_stories_up_to_its_size(
    publish: Publish, settings: SettingsWrapper
) -> None:
    settings.NEWSDESK_FEED_SIZE = 2
    for n in range(3):
        publish(title=f"Story {n}")

    feed = _parse(render_feed())

    assert [e.title for e in feed.entries] == ["Story 2", "Story 1"]


def test_an_unpublished_story_leaves_the_feed(
    publish: Publish, unpublish: Unpublish
) -> None:
    story = publish(title="Floods reach Kabul")

    unpublish(story)

    assert _parse(read("rss.xml")).entries == []


def test_an_empty_feed_is_still_valid(db: None) -> None:
    assert _parse(render_feed()).entries == []
