"""The home page leads with the stories the editors chose; story pages show their
corrections; every reader page offers the search box."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import lxml.html  # type: ignore[import-untyped]  # lxml ships no type hints

from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import Correction, HomePage, HomeTopStory, StoryPage

from .conftest import Publish, Unpublish, output_files, read

ChooseTop = Callable[[Sequence[StoryPage]], None]


def _section_headlines(page: str, labelled_by: str) -> list[str] | None:
    """Return the headlines in the home page section labelled ``labelled_by``."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="{labelled_by}">(.*?)</section>', page, re.S
    )
    if match is None:
        return None
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', match.group(1))


def _top(page: str) -> list[str] | None:
    return _section_headlines(page, "top")


def _latest(page: str) -> list[str] | None:
    return _section_headlines(page, "latest")


def _choose_top(home: HomePage, stories: Sequence[StoryPage], capture: Any) -> None:
    """Pick the home page's top stories in this order and publish it, as an editor."""
    home = HomePage.objects.get(pk=home.pk)
    home.top_stories = [
        HomeTopStory(story=story, sort_order=n) for n, story in enumerate(stories)
    ]
    with capture(execute=True):
        home.save_revision().publish()


def _publish_four(publish: Publish) -> list[StoryPage]:
    return [publish(title=f"Story {n}", slug=f"s{n}") for n in range(4)]


def test_top_stories_come_first_in_the_editors_order_and_not_again_under_latest(
    publish: Publish, home: HomePage, django_capture_on_commit_callbacks: Any
) -> None:
    stories = _publish_four(publish)

    _choose_top(home, [stories[2], stories[0]], django_capture_on_commit_callbacks)

    page = read("index.html")
    assert _top(page) == ["Story 2", "Story 0"]
    assert _latest(page) == ["Story 3", "Story 1"]
    assert page.index('id="top"') < page.index('id="latest"')


def test_a_top_story_taken_off_the_site_drops_out(
    publish: Publish,
    unpublish: Unpublish,
    home: HomePage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    stories = _publish_four(publish)
    _choose_top(home, [stories[2], stories[0]], django_capture_on_commit_callbacks)

    unpublish(stories[2])

    assert _top(read("index.html")) == ["Story 0"]
    assert _latest(read("index.html")) == ["Story 3", "Story 1"]

    unpublish(stories[0])

    assert _top(read("index.html")) is None
    assert _latest(read("index.html")) == ["Story 3", "Story 1"]


def test_without_top_stories_the_home_page_leads_with_the_latest(
    publish: Publish,
) -> None:
    _publish_four(publish)

    page = read("index.html")

    assert _top(page) is None
    assert _latest(page) == ["Story 3", "Story 2", "Story 1", "Story 0"]


def _correct(story: StoryPage, capture: Any, *, when: datetime, note: str) -> None:
    """Add a correction to a live story's latest revision and publish it."""
    latest = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    latest.corrections.add(Correction(published_at=when, note=note))
    with capture(execute=True):
        latest.save_revision().publish()


def test_a_correction_is_shown_with_its_date_on_the_story_page(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    story = publish(slug="floods")
    assert 'id="corrections"' not in read("world/floods/index.html")

    # when: a correction, then one dated earlier (entered late)
    _correct(
        story,
        django_capture_on_commit_callbacks,
        when=datetime(2026, 3, 15, 9, 30, tzinfo=UTC),
        note="An earlier version misspelt <b>Ahmadi</b>.",
    )
    one = read("world/floods/index.html")
    _correct(
        story,
        django_capture_on_commit_callbacks,
        when=datetime(2026, 3, 14, 18, 5, tzinfo=UTC),
        note="The river rose by two metres, not three.",
    )
    two = read("world/floods/index.html")

    # then
    assert '<h2 id="corrections">Correction</h2>' in one
    assert (
        '<li><time datetime="2026-03-15T09:30:00+00:00">15 March 2026, 09:30 UTC</time>'
        ": An earlier version misspelt &lt;b&gt;Ahmadi&lt;/b&gt;.</li>"
    ) in one
    assert '<h2 id="corrections">Corrections</h2>' in two
    notes = re.findall(r"<li><time[^>]*>([^<]+)</time>: ([^<]+)</li>", two)
    assert notes == [
        ("14 March 2026, 18:05 UTC", "The river rose by two metres, not three."),
        (
            "15 March 2026, 09:30 UTC",
            "An earlier version misspelt &lt;b&gt;Ahmadi&lt;/b&gt;.",
        ),
    ]


def test_every_reader_page_has_the_search_box(
    story_factory: Callable[..., StoryPage], django_capture_on_commit_callbacks: Any
) -> None:
    # given: a tagged story, so there are story, section, author, tag and date pages
    story = story_factory(live=False, slug="floods")
    story.tags.add("Floods")
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()

    # when
    site_rebuild(workers=1)

    # then
    pages = sorted(name for name in output_files() if name.endswith(".html"))
    assert {
        "index.html",
        "404.html",
        "world/index.html",
        "world/archive/1/index.html",
        "world/floods/index.html",
        "tags/floods/index.html",
        "archive/index.html",
    } <= set(pages)
    assert any(name.startswith("authors/") for name in pages)
    for name in pages:
        forms = lxml.html.fromstring(read(name)).xpath('//form[@role="search"]')
        assert len(forms) == 1, name
        form = forms[0]
        assert (form.get("action"), form.get("method")) == ("/search/", "get"), name
        assert form.xpath('.//input[@type="search"]/@name') == ["q"], name
        assert form.xpath(".//label/text()") == ["Search stories"], name
