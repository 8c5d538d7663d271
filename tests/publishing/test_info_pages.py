"""Information pages (about, contribute) are written when published and linked from
the footer of every page of the site."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.stories.models import HomePage, InfoPage

from .conftest import Publish, output_files, read

PublishInfo = Callable[..., InfoPage]


def _pages() -> list[str]:
    return sorted(name for name in output_files() if name.endswith(".html"))


def _footer(page: str) -> str:
    match = re.search(r'<footer class="site-footer".*?</footer>', page, re.S)
    assert match, "no site footer in the page"
    return match.group(0)


@pytest.fixture
def publish_info(
    home: HomePage, django_capture_on_commit_callbacks: Any
) -> PublishInfo:
    """Add an information page under the home page and publish it through Wagtail;
    run the publisher and the rebuild it asks for (tasks run at once in tests)."""

    def make(*, title: str, slug: str, **fields: Any) -> InfoPage:
        page = InfoPage(title=title, slug=slug, live=False, **fields)
        home.add_child(instance=page)
        with django_capture_on_commit_callbacks(execute=True):
            page.save_revision().publish()
        page.refresh_from_db()
        return page

    return make


def test_publishing_an_information_page_writes_it(publish_info: PublishInfo) -> None:
    publish_info(
        title="About us",
        slug="about",
        standfirst="An independent agency since 2004.",
        body="<p>We report from all 34 provinces.</p>",
    )

    page = read("about/index.html")

    assert "<h1>About us</h1>" in page
    assert '<p class="standfirst">An independent agency since 2004.</p>' in page
    assert "<p>We report from all 34 provinces.</p>" in page
    assert '<link rel="canonical" href="https://news.example/about/">' in page
    assert "mailto:" not in page
    assert '<a href="/about/" aria-current="page">About us</a>' in _footer(page)


def test_every_page_s_footer_links_the_information_pages(
    publish: Publish, publish_info: PublishInfo
) -> None:
    # given: a site with a story on it
    publish(slug="floods")

    # when
    publish_info(title="About us", slug="about")
    publish_info(title="Contribute", slug="contribute")

    # then: the rebuild the publish asked for has put the links on every page
    pages = _pages()
    assert {"index.html", "world/index.html", "world/floods/index.html"} <= set(pages)
    assert "404.html" in pages
    for name in pages:
        footer = _footer(read(name))
        assert '<a href="/about/"' in footer, name
        assert '<a href="/contribute/"' in footer, name


def test_the_contribute_page_gives_the_submissions_address_as_a_mailto_link(
    publish_info: PublishInfo, settings: SettingsWrapper
) -> None:
    settings.NEWSDESK_SUBMISSIONS_ADDRESS = "stories@news.example"

    publish_info(title="Contribute", slug="contribute", show_submissions_address=True)

    assert ('<a href="mailto:stories@news.example">stories@news.example</a>') in read(
        "contribute/index.html"
    )


def test_unpublishing_an_information_page_removes_it_and_its_footer_links(
    publish: Publish,
    publish_info: PublishInfo,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish(slug="floods")
    about = publish_info(title="About us", slug="about")
    publish_info(title="Contribute", slug="contribute")

    with django_capture_on_commit_callbacks(execute=True):
        about.unpublish()

    assert not Path(settings.NEWSDESK_OUTPUT_DIR, "about").exists()
    for name in _pages():
        footer = _footer(read(name))
        assert 'href="/about/"' not in footer, name
        assert '<a href="/contribute/"' in footer, name
    assert "https://news.example/about/" not in read("sitemaps/fronts.xml")


def test_a_new_slug_moves_the_information_page_and_its_links(
    publish_info: PublishInfo, django_capture_on_commit_callbacks: Any
) -> None:
    about = publish_info(title="About us", slug="about")

    latest = about.get_latest_revision_as_object()
    latest.slug = "about-us"
    with django_capture_on_commit_callbacks(execute=True):
        latest.save_revision().publish()

    assert not Path(settings.NEWSDESK_OUTPUT_DIR, "about").exists()
    assert '<a href="/about-us/"' in _footer(read("index.html"))
    assert "<h1>About us</h1>" in read("about-us/index.html")


def test_the_fronts_sitemap_lists_the_information_pages(
    publish_info: PublishInfo,
) -> None:
    publish_info(title="About us", slug="about")
    publish_info(title="Contribute", slug="contribute")

    fronts = read("sitemaps/fronts.xml")

    assert "<loc>https://news.example/about/</loc>" in fronts
    assert "<loc>https://news.example/contribute/</loc>" in fronts
