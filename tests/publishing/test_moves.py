"""A live story moved to another section, or given a new slug, leaves no stale page:
its old address is taken off (Wagtail's redirect answers it), the lists it was on and
the lists it joins are rewritten, and stories offering it as "Read next" follow."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from wagtail.contrib.redirects.models import Redirect

from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import HomePage, SectionPage, StoryListing, StoryPage
from tests.conftest import PublishAt
from tests.stories.factories import make_section

from .conftest import age_all_files, output_files, read, unchanged_since


@pytest.fixture
def business(home: HomePage) -> SectionPage:
    return make_section(home, title="Business", slug="business")


def _move(
    story: StoryPage, section: SectionPage, capture: Any, *, pos: str = "last-child"
) -> StoryPage:
    with capture(execute=True):
        story.move(section, pos=pos)
    return StoryPage.objects.get(pk=story.pk)


def _redirects_to(reader_file: str) -> str | None:
    """Return where a redirect file sends readers (None: not a redirect)."""
    match = re.search(
        r'http-equiv="refresh" content="0; url=([^"]+)"', read(reader_file)
    )
    return match.group(1) if match else None


def _front_links(reader_file: str) -> list[str]:
    main = read(reader_file).split('<ul class="teasers">', 1)[-1]
    return re.findall(r'<h2><a href="([^"]+)">', main)


def test_a_story_moved_to_another_section_moves_its_page_and_lists(
    publish_at: PublishAt,
    business: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: two World stories on the site
    publish_at(minutes=1, title="Council meets", slug="council")
    story = publish_at(minutes=2, title="Markets fall", slug="markets")
    assert _front_links("world/index.html") == ["/world/markets/", "/world/council/"]

    # when: an editor moves one to Business
    moved = _move(story, business, django_capture_on_commit_callbacks)

    # then: it lives at its new address, on its new section's pages; the old one
    # sends readers on
    assert _redirects_to("world/markets/index.html") == "/business/markets/"
    assert "Markets fall" in read("business/markets/index.html")
    assert _front_links("world/index.html") == ["/world/council/"]
    assert "/world/markets/" not in read("world/archive/1/index.html")
    assert _front_links("business/index.html") == ["/business/markets/"]
    assert "/business/markets/" in read("business/archive/1/index.html")
    assert "/business/markets/" in read("index.html")
    assert "/world/markets/" not in read("index.html")
    sitemap = read("sitemaps/stories-2026-03.xml")
    assert "/business/markets/" in sitemap
    assert "/world/markets/" not in sitemap
    assert "/business/markets/" in read("rss.xml")
    assert set(
        StoryListing.objects.filter(
            story=moved, kind=StoryListing.Kind.SECTION
        ).values_list("owner_id", flat=True)
    ) == {business.pk}


def test_a_moved_story_s_old_address_sends_readers_to_the_new_one(
    publish_at: PublishAt,
    business: SectionPage,
    django_capture_on_commit_callbacks: Any,
    client: Client,
) -> None:
    story = publish_at(minutes=1, title="Markets fall", slug="markets")

    _move(story, business, django_capture_on_commit_callbacks)

    # A file at the old address, for any server, CDN or mirror of the folder ...
    old = read("world/markets/index.html")
    assert '<meta http-equiv="refresh" content="0; url=/business/markets/">' in old
    assert '<link rel="canonical" href="https://news.example/business/markets/">' in old
    assert "Markets fall" not in old
    # ... and the app, when a request reaches it, answers with a permanent redirect
    response = client.get("/world/markets/")
    assert response.status_code == 301
    assert response["Location"].endswith("/business/markets/")


def test_a_redirect_follows_its_story_and_goes_when_the_story_does(
    publish_at: PublishAt,
    business: SectionPage,
    home: HomePage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    story = publish_at(minutes=1, title="Markets fall", slug="markets")
    moved = _move(story, business, django_capture_on_commit_callbacks)
    sport = make_section(home, title="Sport", slug="sport")

    moved = _move(moved, sport, django_capture_on_commit_callbacks)

    assert _redirects_to("world/markets/index.html") == "/sport/markets/"
    assert _redirects_to("business/markets/index.html") == "/sport/markets/"

    with django_capture_on_commit_callbacks(execute=True):
        moved.unpublish()

    files = output_files()
    assert "world/markets/index.html" not in files
    assert "business/markets/index.html" not in files


def test_an_editor_s_redirect_gets_a_file_and_loses_it_when_deleted(
    publish_at: PublishAt, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish_at(minutes=1, title="Markets fall", slug="markets")

    with django_capture_on_commit_callbacks(execute=True):
        redirect = Redirect.objects.create(old_path="/markets", redirect_page=story)
    assert _redirects_to("markets/index.html") == "/world/markets/"

    with django_capture_on_commit_callbacks(execute=True):
        redirect.delete()
    assert "markets/index.html" not in output_files()


def test_a_redirect_never_replaces_a_page(
    publish_at: PublishAt, django_capture_on_commit_callbacks: Any
) -> None:
    council = publish_at(minutes=1, title="Council meets", slug="council")
    markets = publish_at(minutes=2, title="Markets fall", slug="markets")

    with django_capture_on_commit_callbacks(execute=True):
        Redirect.objects.create(old_path="/world/council", redirect_page=markets)

    assert "Council meets" in read("world/council/index.html")
    site_rebuild(workers=1)
    assert "Council meets" in read("world/council/index.html")
    assert council.live


def test_a_rebuild_writes_the_redirects(
    publish_at: PublishAt,
    business: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    story = publish_at(minutes=1, title="Markets fall", slug="markets")
    _move(story, business, django_capture_on_commit_callbacks)
    shutil.rmtree(settings.NEWSDESK_OUTPUT_DIR)

    site_rebuild(workers=1)

    assert _redirects_to("world/markets/index.html") == "/business/markets/"


def test_stories_offering_a_moved_story_to_read_next_link_its_new_address(
    publish_at: PublishAt,
    business: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    story = publish_at(minutes=1, title="Rain in Herat", slug="rain", tags=["Floods"])
    publish_at(minutes=2, title="River rises", slug="river", tags=["Floods"])
    assert "/world/rain/" in read("world/river/index.html")

    _move(story, business, django_capture_on_commit_callbacks)

    river = read("world/river/index.html")
    assert "/world/rain/" not in river
    assert "/business/rain/" in river
    pages = sorted(name for name in output_files() if name.endswith(".html"))
    assert [name for name in pages if "/world/rain/" in read(name)] == []


def test_a_new_slug_takes_the_old_address_off_everywhere(
    publish_at: PublishAt, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish_at(minutes=1, title="Rain in Herat", slug="rain", tags=["Floods"])
    publish_at(minutes=2, title="River rises", slug="river", tags=["Floods"])

    latest = story.get_latest_revision_as_object()
    latest.slug = "heavy-rain"
    with django_capture_on_commit_callbacks(execute=True):
        latest.save_revision().publish()

    files = output_files()
    assert _redirects_to("world/rain/index.html") == "/world/heavy-rain/"
    assert "Rain in Herat" in read("world/heavy-rain/index.html")
    pages = sorted(name for name in files if name.endswith(".html"))
    assert [name for name in pages if "/world/rain/" in read(name)] == []
    assert "/world/heavy-rain/" in read("world/river/index.html")


def test_reordering_a_story_within_its_section_changes_no_file(
    publish_at: PublishAt, django_capture_on_commit_callbacks: Any
) -> None:
    first = publish_at(minutes=1, slug="first")
    second = publish_at(minutes=2, slug="second")
    state = age_all_files()

    _move(second, first, django_capture_on_commit_callbacks, pos="left")

    assert unchanged_since(state) == set(state)


def test_moving_a_section_rebuilds_the_site_at_its_new_address(
    publish_at: PublishAt,
    home: HomePage,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a World story
    publish_at(minutes=1, title="Council meets", slug="council")
    latest = section.get_latest_revision_as_object()
    latest.slug = "world-news"

    # when: the section's slug changes (tasks run at once in tests)
    with django_capture_on_commit_callbacks(execute=True):
        latest.save_revision().publish()

    # then: every page follows it
    files = output_files()
    assert "world-news/council/index.html" in files
    assert "world-news/index.html" in files
    assert not [name for name in files if name.startswith("world/")]
    assert 'href="/world-news/"' in read("index.html")
