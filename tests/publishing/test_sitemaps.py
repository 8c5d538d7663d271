"""robots.txt, the sitemap index, story, fronts and news sitemaps: valid and current."""

from __future__ import annotations

import functools
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
from django.utils.module_loading import import_string
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing import sitemaps
from newsdesk.publishing.services import (
    site_publish_story,
    site_rebuild,
    site_unpublish_story,
)
from newsdesk.publishing.sitemaps import (
    NEWS_NS,
    SITEMAP_NS,
    news_sitemap_refresh,
    sitemaps_write_for_story,
    w3c_datetime,
)
from newsdesk.stories.models import HomePage, SectionPage, StoryPage
from tests.stories.factories import make_section

from .conftest import OLD, Publish, Unpublish, age_all_files, read, unchanged_since

STANDARDS = Path(settings.BASE_DIR).parent / "shared" / "standards" / "sitemaps"
NS = {"sm": SITEMAP_NS, "news": NEWS_NS}
JANUARY = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
FEBRUARY = datetime(2024, 2, 10, 12, 0, tzinfo=UTC)

StoryFactory = Callable[..., StoryPage]


# --- validation against the official schemas -----------------------------------------


@functools.cache
def _urlset_schema() -> etree.XMLSchema:
    """The sitemap schema with Google's news extension (sitemap.xsd checks it strictly)."""
    imports = {
        SITEMAP_NS: STANDARDS / "sitemap.xsd",
        NEWS_NS: STANDARDS / "google" / "sitemap-news.xsd",
    }
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(
            f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>'
            for ns, path in imports.items()
        )
        + "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(driver))


@functools.cache
def _index_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(STANDARDS / "siteindex.xsd")))


def schema_errors(document: bytes) -> str:
    """Return why a sitemap or sitemap index is invalid, or "" if it is valid."""
    tree = etree.fromstring(document)
    is_index = tree.tag == f"{{{SITEMAP_NS}}}sitemapindex"
    schema = _index_schema() if is_index else _urlset_schema()
    return "" if schema.validate(tree) else str(schema.error_log)


def site_file(name: str) -> Path:
    return Path(settings.NEWSDESK_OUTPUT_DIR) / name


def sitemap_files() -> list[Path]:
    """Return the index and every sitemap the output folder holds."""
    folder = site_file("sitemaps")
    return [site_file("sitemap.xml"), *sorted(folder.glob("*.xml"))]


def locs(name: str) -> list[str]:
    """Return the addresses a sitemap or an index lists, in order."""
    tree = etree.fromstring(site_file(name).read_bytes())
    return [str(loc) for loc in tree.xpath("//sm:loc/text()", namespaces=NS)]


def news_of(name: str) -> dict[str, dict[str, str]]:
    """Return the news tags holding text under each address of a news sitemap."""
    tree = etree.fromstring(site_file(name).read_bytes())
    found = {}
    for url in tree.xpath("sm:url", namespaces=NS):
        found[url.findtext("sm:loc", namespaces=NS)] = {
            etree.QName(tag).localname: tag.text
            for tag in url.iterfind(".//news:*", NS)
            if len(tag) == 0
        }
    return found


def at(when: datetime, publish: Publish, **kwargs: object) -> StoryPage:
    """Publish a story as if it were ``when``."""
    with time_machine.travel(when, tick=False):
        return publish(**kwargs)


def test_every_sitemap_is_valid_against_the_official_schemas(
    publish: Publish, home: HomePage
) -> None:
    # given: stories of two months, one of them in the last two days, in two sections
    make_section(home, title="Sport")
    at(JANUARY, publish, slug="old", title="Snow & ice <closes> passes")
    with time_machine.travel(FEBRUARY, tick=False):
        publish(slug="new", language=StoryPage.Language.DARI)
        publish(slug="newer", language=StoryPage.Language.PASHTO)

        # when: written one publish at a time, then by a rebuild
        incremental = {path: path.read_bytes() for path in sitemap_files()}
        site_rebuild()

    # then
    assert len(incremental) == 5  # index, fronts, news and two months
    for path in sitemap_files():
        assert schema_errors(path.read_bytes()) == "", path
        assert path.read_bytes() == incremental[path], path


def test_the_schema_check_rejects_a_broken_sitemap(publish: Publish) -> None:
    publish(slug="floods")
    news = site_file("sitemaps/news.xml").read_bytes()
    index = site_file("sitemap.xml").read_bytes()

    assert schema_errors(news) == ""
    assert "language" in schema_errors(
        news.replace(b"<news:language>en<", b"<news:language>English<")
    )
    assert schema_errors(
        news.replace(b"<loc>", b"<place>").replace(b"</loc>", b"</place>")
    )
    assert "lastmod" in schema_errors(index.replace(b"<lastmod>", b"<lastmod>soon "))


def test_files_are_utf8_xml_in_the_sitemap_namespaces(publish: Publish) -> None:
    publish(slug="floods")

    for path in sitemap_files():
        content = path.read_bytes()
        assert content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    assert etree.fromstring(site_file("sitemap.xml").read_bytes()).tag == (
        f"{{{SITEMAP_NS}}}sitemapindex"
    )
    news = etree.fromstring(site_file("sitemaps/news.xml").read_bytes())
    assert news.nsmap == {None: SITEMAP_NS, "news": NEWS_NS}


# --- robots.txt ------------------------------------------------------------------------


def test_robots_txt_lets_crawlers_in_but_not_the_newsroom_and_names_the_index(
    publish: Publish,
) -> None:
    publish(slug="floods")

    assert read("robots.txt") == (
        "User-agent: *\n"
        "Disallow: /newsroom/\n"
        "\n"
        "Sitemap: https://news.example/sitemap.xml\n"
    )


def test_a_publish_leaves_an_existing_robots_txt_alone_and_a_rebuild_restores_it(
    publish: Publish,
) -> None:
    robots = site_file("robots.txt")
    robots.parent.mkdir(parents=True)
    robots.write_text("User-agent: *\nDisallow: /\n")

    publish(slug="floods")

    assert robots.read_text() == "User-agent: *\nDisallow: /\n"
    site_rebuild()
    assert "Sitemap: https://news.example/sitemap.xml" in robots.read_text()


# --- story sitemaps by month -------------------------------------------------------------


def test_publishing_lists_the_story_in_its_month_with_its_last_change(
    publish: Publish,
) -> None:
    story = at(JANUARY, publish, slug="floods")

    assert locs("sitemaps/stories-2024-01.xml") == [
        "https://news.example/world/floods/"
    ]
    assert "<lastmod>2024-01-15T09:30:00+00:00</lastmod>" in read(
        "sitemaps/stories-2024-01.xml"
    )
    # when: corrected a month later, it stays in January with a new lastmod
    with time_machine.travel(FEBRUARY, tick=False):
        StoryPage.objects.get(pk=story.pk).save_revision().publish()
        site_publish_story(story=story)

    assert locs("sitemaps/stories-2024-01.xml") == [
        "https://news.example/world/floods/"
    ]
    assert "<lastmod>2024-02-10T12:00:00+00:00</lastmod>" in read(
        "sitemaps/stories-2024-01.xml"
    )
    assert not site_file("sitemaps/stories-2024-02.xml").exists()


def test_a_new_slug_moves_the_story_s_address_in_its_month(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    story = at(JANUARY, publish, slug="floods")
    draft = StoryPage.objects.get(pk=story.pk)
    draft.slug = "floods-in-kabul"

    with (
        time_machine.travel(FEBRUARY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        draft.save_revision().publish()

    assert locs("sitemaps/stories-2024-01.xml") == [
        "https://news.example/world/floods-in-kabul/"
    ]


def test_a_month_lists_its_stories_oldest_first_and_no_others(
    publish: Publish,
) -> None:
    at(JANUARY, publish, slug="first")
    at(JANUARY + timedelta(days=3), publish, slug="second")
    at(FEBRUARY, publish, slug="later")

    assert locs("sitemaps/stories-2024-01.xml") == [
        "https://news.example/world/first/",
        "https://news.example/world/second/",
    ]
    assert locs("sitemaps/stories-2024-02.xml") == ["https://news.example/world/later/"]


def test_months_are_utc_months(publish: Publish, settings: SettingsWrapper) -> None:
    settings.TIME_ZONE = "Asia/Kabul"
    # 23:30 UTC on 31 January is already 1 February in Kabul (UTC+4:30).
    at(datetime(2024, 1, 31, 23, 30, tzinfo=UTC), publish, slug="late")

    assert locs("sitemaps/stories-2024-01.xml") == ["https://news.example/world/late/"]


def test_the_index_lists_every_sitemap_with_its_last_change(publish: Publish) -> None:
    at(JANUARY, publish, slug="old")
    at(FEBRUARY, publish, slug="new")

    index = read("sitemap.xml")

    assert locs("sitemap.xml") == [
        "https://news.example/sitemaps/fronts.xml",
        "https://news.example/sitemaps/news.xml",
        "https://news.example/sitemaps/stories-2024-01.xml",
        "https://news.example/sitemaps/stories-2024-02.xml",
    ]
    assert (
        "<loc>https://news.example/sitemaps/stories-2024-01.xml</loc>"
        "<lastmod>2024-01-15T09:30:00+00:00</lastmod>"
    ) in index
    assert index.count("<lastmod>") == 4


def test_publishing_rewrites_only_the_sitemaps_the_story_is_on(
    publish: Publish,
) -> None:
    # given: January and February, then all files aged
    at(JANUARY, publish, slug="old")
    at(FEBRUARY, publish, slug="new")
    before = age_all_files()

    # when: another February story
    with time_machine.travel(FEBRUARY + timedelta(hours=1), tick=False):
        story = publish(slug="newer")

    # then: January and robots.txt are as they were; February, news and index not
    unchanged = unchanged_since(before)
    assert "sitemaps/stories-2024-01.xml" in unchanged
    assert "robots.txt" in unchanged
    for name in [
        "sitemaps/stories-2024-02.xml",
        "sitemaps/news.xml",
        "sitemap.xml",
    ]:
        assert name not in unchanged, name
    # a publish that changes no sitemap writes none
    with time_machine.travel(FEBRUARY + timedelta(hours=1), tick=False):
        assert sitemaps_write_for_story(story=story) == []


def test_sitemap_writes_take_the_same_queries_however_many_stories(
    story_factory: StoryFactory,
) -> None:
    def queries_for(count: int) -> int:
        with time_machine.travel(JANUARY, tick=False):
            stories = [story_factory(live=True) for _ in range(count)]
        sitemaps_write_for_story(story=stories[0])  # the first fills the summaries
        with CaptureQueriesContext(connection) as captured:
            sitemaps_write_for_story(story=stories[0])
        return len(captured.captured_queries)

    few = queries_for(2)
    many = queries_for(10)

    assert few == many
    # among them: the month's summary, every listing's summary, the author and tag
    # slugs, and the information pages
    assert few <= 12


# --- unpublishing -------------------------------------------------------------------------


def test_unpublishing_takes_the_story_out_of_its_month_and_the_news(
    publish: Publish, unpublish: Unpublish
) -> None:
    with time_machine.travel(JANUARY, tick=False):
        kept = publish(slug="kept")
        gone = publish(slug="gone")

        unpublish(gone)

    assert locs("sitemaps/stories-2024-01.xml") == ["https://news.example/world/kept/"]
    assert list(news_of("sitemaps/news.xml")) == ["https://news.example/world/kept/"]
    assert kept.live


def test_unpublishing_the_last_story_of_a_month_removes_its_file_and_index_entry(
    publish: Publish, unpublish: Unpublish
) -> None:
    january = at(JANUARY, publish, slug="old")
    at(FEBRUARY, publish, slug="new")

    with time_machine.travel(FEBRUARY, tick=False):
        unpublish(january)

    assert not site_file("sitemaps/stories-2024-01.xml").exists()
    assert "https://news.example/sitemaps/stories-2024-01.xml" not in locs(
        "sitemap.xml"
    )
    assert "https://news.example/sitemaps/stories-2024-02.xml" in locs("sitemap.xml")
    assert schema_errors(site_file("sitemap.xml").read_bytes()) == ""


def test_deleting_a_live_story_takes_it_out_of_the_sitemaps(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    story = at(JANUARY, publish, slug="old")
    at(FEBRUARY, publish, slug="new")

    with (
        time_machine.travel(FEBRUARY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        StoryPage.objects.get(pk=story.pk).delete()

    assert not site_file("sitemaps/stories-2024-01.xml").exists()


def test_site_unpublish_story_leaves_the_sitemaps_of_a_story_published_again(
    publish: Publish,
) -> None:
    story = at(JANUARY, publish, slug="floods")
    before = age_all_files()

    assert site_unpublish_story(story=story, path="/world/floods/") == []
    assert "sitemaps/stories-2024-01.xml" in unchanged_since(before)


# --- drafts ------------------------------------------------------------------------------


def test_a_draft_is_in_no_sitemap(
    publish: Publish, story_factory: StoryFactory
) -> None:
    with time_machine.travel(JANUARY, tick=False):
        story_factory(live=False, slug="draft")
        publish(slug="floods")
        site_rebuild()

        everything = "".join(path.read_text() for path in sitemap_files())

    assert "/world/floods/" in everything
    assert "draft" not in everything


def test_publishing_a_draft_writes_no_sitemap(story_factory: StoryFactory) -> None:
    draft = story_factory(live=False, slug="draft")

    assert site_publish_story(story=draft) == []
    assert not site_file("sitemap.xml").exists()


# --- the news sitemap ------------------------------------------------------------------


def test_the_news_sitemap_carries_title_language_and_publication_time(
    publish: Publish,
) -> None:
    with time_machine.travel(JANUARY, tick=False):
        publish(slug="floods", title="Floods reach <Kabul> & Herat")
        publish(slug="dari", title="سیلاب", language=StoryPage.Language.DARI)

    assert news_of("sitemaps/news.xml") == {
        "https://news.example/world/dari/": {
            "name": "Newsdesk",
            "language": "prs",
            "publication_date": "2024-01-15T09:30:00+00:00",
            "title": "سیلاب",
        },
        "https://news.example/world/floods/": {
            "name": "Newsdesk",
            "language": "en",
            "publication_date": "2024-01-15T09:30:00+00:00",
            "title": "Floods reach <Kabul> & Herat",
        },
    }


def test_a_story_older_than_two_days_is_not_in_the_news_sitemap(
    publish: Publish,
) -> None:
    at(JANUARY, publish, slug="old")

    at(JANUARY + timedelta(days=2, minutes=1), publish, slug="new")

    assert list(news_of("sitemaps/news.xml")) == ["https://news.example/world/new/"]
    assert locs("sitemaps/stories-2024-01.xml") == [
        "https://news.example/world/old/",
        "https://news.example/world/new/",
    ]


def test_the_refresh_drops_stories_that_turned_old_and_then_the_news_sitemap(
    publish: Publish,
) -> None:
    at(JANUARY, publish, slug="old")
    at(JANUARY + timedelta(days=1), publish, slug="newer")

    with time_machine.travel(JANUARY + timedelta(days=2, hours=1), tick=False):
        # Only the news sitemap: the index carries its newest story's change.
        assert news_sitemap_refresh() == 1
        assert news_sitemap_refresh() == 0
    assert list(news_of("sitemaps/news.xml")) == ["https://news.example/world/newer/"]

    with time_machine.travel(JANUARY + timedelta(days=4), tick=False):
        news_sitemap_refresh()

    # A sitemap must list something: with no news it is gone, and out of the index.
    assert not site_file("sitemaps/news.xml").exists()
    assert "https://news.example/sitemaps/news.xml" not in locs("sitemap.xml")
    assert schema_errors(site_file("sitemap.xml").read_bytes()) == ""


def test_the_news_refresh_runs_as_a_periodic_job() -> None:
    jobs = dict(settings.NEWSDESK_PERIODIC_JOBS)

    path = "newsdesk.publishing.sitemaps.news_sitemap_refresh"
    assert jobs[path] <= 3600
    assert import_string(path) is news_sitemap_refresh


# --- fronts ---------------------------------------------------------------------------


def test_the_fronts_sitemap_follows_sections_published_and_unpublished(
    home: HomePage,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sport = make_section(home, title="Sport")

    assert locs("sitemaps/fronts.xml") == [
        "https://news.example/",
        "https://news.example/world/",
        "https://news.example/sport/",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        sport.unpublish()

    assert locs("sitemaps/fronts.xml") == [
        "https://news.example/",
        "https://news.example/world/",
    ]


def test_a_front_changes_when_a_story_on_it_is_published(publish: Publish) -> None:
    # Later than the section and home page were published (now, in the fixtures).
    tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)

    at(tomorrow, publish, slug="floods")

    fronts = read("sitemaps/fronts.xml")
    lastmod = w3c_datetime(tomorrow)
    assert f"<loc>https://news.example/world/</loc><lastmod>{lastmod}</lastmod>" in (
        fronts
    )
    assert f"<loc>https://news.example/</loc><lastmod>{lastmod}</lastmod>" in fronts


# --- rebuild and limits ----------------------------------------------------------------


def test_rebuild_removes_sitemaps_of_months_no_longer_on_the_site(
    publish: Publish,
) -> None:
    at(JANUARY, publish, slug="floods")
    stale = site_file("sitemaps/stories-2001-09.xml")
    stale.write_text("stale")
    stale_part = site_file("sitemaps/stories-2024-01-2.xml")
    stale_part.write_text("stale")
    other = site_file("sitemaps/notes.txt")
    other.write_text("not ours")
    for path in (stale, stale_part, other):
        os.utime(path, (OLD, OLD))

    site_rebuild()

    assert not stale.exists()
    assert not stale_part.exists()
    assert other.exists()
    assert site_file("sitemaps/stories-2024-01.xml").exists()


def test_a_month_past_the_url_limit_is_split_into_parts(
    publish: Publish, unpublish: Unpublish, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitemaps, "URLS_PER_FILE", 2)
    with time_machine.travel(JANUARY, tick=False):
        stories = [publish(slug=f"s{n}") for n in range(3)]

    assert locs("sitemaps/stories-2024-01.xml") == [
        "https://news.example/world/s0/",
        "https://news.example/world/s1/",
    ]
    assert locs("sitemaps/stories-2024-01-2.xml") == ["https://news.example/world/s2/"]
    assert locs("sitemap.xml")[-2:] == [
        "https://news.example/sitemaps/stories-2024-01.xml",
        "https://news.example/sitemaps/stories-2024-01-2.xml",
    ]
    rebuilt_first = site_file("sitemaps/stories-2024-01.xml").read_bytes()
    site_rebuild()
    assert site_file("sitemaps/stories-2024-01.xml").read_bytes() == rebuilt_first

    with time_machine.travel(JANUARY, tick=False):
        unpublish(stories[0])

    assert locs("sitemaps/stories-2024-01.xml") == [
        "https://news.example/world/s1/",
        "https://news.example/world/s2/",
    ]
    assert not site_file("sitemaps/stories-2024-01-2.xml").exists()
    assert "https://news.example/sitemaps/stories-2024-01-2.xml" not in locs(
        "sitemap.xml"
    )
