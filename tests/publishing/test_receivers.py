"""The publisher follows Wagtail: files change only once the database commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.redirects import is_redirect_file
from newsdesk.publishing.sitemaps import month_sitemap_path, month_start
from newsdesk.stories.models import HomePage, SectionPage, StoryPage
from tests.stories.factories import make_person, make_section

from .conftest import Publish, date_files, output_files, read

FEED_NAMES = ("rss.xml", "atom.xml", "feed.json")


def _feeds(folder: str = "") -> set[str]:
    """Return the feed files of the list whose front page is in ``folder`` (the
    site's by default)."""
    return {f"{folder}{name}" for name in FEED_NAMES}


def test_nothing_is_written_before_the_publish_commits(
    story_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        story_factory(live=True, slug="floods")

    assert callbacks
    assert output_files() == set()


def test_publishing_a_section_writes_home_and_its_front(
    home: HomePage, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_section(home, title="Sport")

    assert output_files() == {
        "index.html",
        "favicon.svg",
        "sport/index.html",
        "robots.txt",
        "sitemap.xml",
        "sitemaps/fronts.xml",
        *_feeds("sport/"),
    }
    assert '<a href="/sport/">Sport</a>' in read("index.html")


def test_publishing_the_home_page_rewrites_it(
    home: HomePage, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision().publish()

    assert output_files() == {
        "index.html",
        "favicon.svg",
        "robots.txt",
        "sitemap.xml",
        "sitemaps/fronts.xml",
    }


def test_unpublishing_a_section_removes_its_front_and_archive(
    publish: Publish, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(slug="floods", authors=[make_person(name="Farida Noori")])

    with django_capture_on_commit_callbacks(execute=True):
        section.unpublish()  # its stories stay live unless unpublished with it

    assert output_files() == {
        "index.html",
        "favicon.svg",
        "world/floods/index.html",
        "authors/farida-noori/index.html",
        "authors/farida-noori/archive/1/index.html",
        "robots.txt",
        "sitemap.xml",
        "sitemaps/fronts.xml",
        "sitemaps/news.xml",
        month_sitemap_path(month_start(story.first_published_at))[1:],
    } | date_files(story) | _feeds() | _feeds("authors/farida-noori/")
    assert '<a href="/world/">' not in read("index.html")


def test_a_new_slug_moves_the_story_s_page(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(title="Floods", slug="floods")
    draft = StoryPage.objects.get(pk=story.pk)
    draft.slug = "floods-in-kabul"

    with django_capture_on_commit_callbacks(execute=True):
        draft.save_revision().publish()

    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    assert is_redirect_file(root / "world/floods/index.html")  # sends readers on
    assert (root / "world/floods-in-kabul/index.html").exists()
    assert '<a href="/world/floods-in-kabul/">Floods</a>' in read("index.html")


def test_deleting_a_live_story_takes_its_page_down(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(title="Floods", slug="floods")

    with django_capture_on_commit_callbacks(execute=True):
        StoryPage.objects.get(pk=story.pk).delete()

    assert "world/floods/index.html" not in output_files()
    assert "Floods" not in read("index.html")
    assert "Floods" not in read("rss.xml")
    # Its only author has no live story left, so their page goes too.
    assert not [name for name in output_files() if name.startswith("authors/")]


def test_a_publisher_failure_is_logged_and_the_publish_stands(
    story_factory: Any,
    django_capture_on_commit_callbacks: Any,
    settings: SettingsWrapper,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = tmp_path / "templates" / "stories"
    broken.mkdir(parents=True)
    (broken / "story_page.html").write_text("{% url 'no-such-view' %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]

    with django_capture_on_commit_callbacks(execute=True):
        story = story_factory(live=True, slug="floods")

    assert StoryPage.objects.get(pk=story.pk).live
    assert "world/floods/index.html" not in output_files()
    assert "newsdesk build_site" in caplog.text
