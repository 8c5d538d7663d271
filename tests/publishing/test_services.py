"""Publishing writes the story and what lists it; unpublishing takes it back out."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import NoReverseMatch
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.services import (
    site_publish_story,
    site_rebuild,
    site_unpublish_story,
)
from newsdesk.publishing.sitemaps import month_sitemap_path, month_start
from newsdesk.stories.models import HomePage, Person, SectionPage, StoryPage
from newsdesk.stories.selectors import public_path
from tests.stories.factories import make_person

from .conftest import (
    Publish,
    Unpublish,
    age_all_files,
    date_files,
    output_files,
    read,
    unchanged_since,
)

FEED_NAMES = ("rss.xml", "atom.xml", "feed.json")


def _feeds(folder: str = "") -> set[str]:
    """Return the feed files of the list whose front page is in ``folder`` (the
    site's by default)."""
    return {f"{folder}{name}" for name in FEED_NAMES}


def _json_ld(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, "no JSON-LD in the page"
    data: dict[str, object] = json.loads(match.group(1))
    return data


def _meta(page: str, prop: str) -> str:
    match = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', page)
    assert match, f"no {prop} in the page"
    return html.unescape(match.group(1))


def test_publishing_a_story_writes_its_page_home_section_archive_and_feed(
    publish: Publish,
) -> None:
    story = publish(slug="floods", authors=[make_person(name="Farida Noori")])

    assert output_files() == {
        "world/floods/index.html",
        "index.html",
        "favicon.svg",
        "world/index.html",
        "world/archive/1/index.html",
        "authors/farida-noori/index.html",
        "authors/farida-noori/archive/1/index.html",
        "robots.txt",
        "sitemap.xml",
        "sitemaps/fronts.xml",
        "sitemaps/news.xml",
        month_sitemap_path(month_start(story.first_published_at))[1:],
    } | date_files(story) | _feeds() | _feeds("world/") | _feeds(
        "authors/farida-noori/"
    )


def test_site_publish_story_returns_the_files_it_wrote(publish: Publish) -> None:
    story = publish(slug="floods", authors=[make_person(name="Farida Noori")])
    root = Path(settings.NEWSDESK_OUTPUT_DIR)

    written = site_publish_story(story=story)

    assert sorted(written) == sorted(
        [
            root / "world/floods/index.html",
            root / "index.html",
            root / "world/index.html",
            root / "world/archive/1/index.html",
            root / "authors/farida-noori/index.html",
            root / "authors/farida-noori/archive/1/index.html",
            *(root / name for name in date_files(story)),
            *(
                root / name
                for name in _feeds()
                | _feeds("world/")
                | _feeds("authors/farida-noori/")
            ),
        ]
    )


def test_publishing_a_draft_writes_nothing(
    story_factory: Callable[..., StoryPage],
) -> None:
    draft = story_factory(live=False)

    assert site_publish_story(story=draft) == []
    assert output_files() == set()


def test_story_page_shows_the_story_with_its_byline_times_and_source(
    publish: Publish,
) -> None:
    publish(
        title="Floods reach Kabul",
        slug="floods",
        standfirst="The river rose overnight.",
        dateline="KABUL",
        body="<p>Residents moved uphill.</p>",
        authors=[make_person(name="Farida Noori"), make_person(name="Ali Reza")],
        source_credit="From Wikinews, CC BY 2.5",
        source_url="https://en.wikinews.org/wiki/Floods",
    )

    page = read("world/floods/index.html")

    assert page.startswith("<!doctype html>")
    assert '<html lang="en" dir="ltr">' in page
    assert "<h1>Floods reach Kabul</h1>" in page
    assert "The river rose overnight." in page
    assert (
        '<p class="byline">By <a href="/authors/farida-noori/" rel="author">'
        'Farida Noori</a> and <a href="/authors/ali-reza/" rel="author">Ali Reza</a>'
        "</p>"
    ) in page
    assert '<span class="dateline">KABUL</span>' in page
    assert "<p>Residents moved uphill.</p>" in page
    times = re.findall(r'<time datetime="([^"]+)">', page)
    assert len(times) == 2
    assert all(re.search(r"[+-]\d\d:\d\d$", t) for t in times)
    assert '<a href="/world/">World</a>' in page
    assert (
        '<a href="https://en.wikinews.org/wiki/Floods" rel="noreferrer">'
        "From Wikinews, CC BY 2.5</a>"
    ) in page
    assert '<link rel="canonical" href="https://news.example/world/floods/">' in page


def test_story_page_carries_news_article_json_ld_and_opengraph(
    publish: Publish,
) -> None:
    publish(
        title="Floods reach Kabul",
        slug="floods",
        authors=[make_person(name="Farida Noori")],
    )

    page = read("world/floods/index.html")

    article = _json_ld(page)
    assert article["@type"] == "NewsArticle"
    assert article["headline"] == "Floods reach Kabul"
    assert article["author"] == [
        {
            "@type": "Person",
            "name": "Farida Noori",
            "url": "https://news.example/authors/farida-noori/",
        }
    ]
    assert article["mainEntityOfPage"] == {
        "@type": "WebPage",
        "@id": "https://news.example/world/floods/",
    }
    assert _meta(page, "og:type") == "article"
    assert _meta(page, "og:title") == "Floods reach Kabul"
    assert _meta(page, "og:url") == "https://news.example/world/floods/"
    assert _meta(page, "og:site_name") == "Newsdesk"
    assert _meta(page, "article:section") == "World"
    assert _meta(page, "article:published_time") == article["datePublished"]
    assert _meta(page, "article:modified_time") == article["dateModified"]


def test_an_organisation_in_the_byline_is_an_organization_in_json_ld(
    publish: Publish,
) -> None:
    publish(
        slug="wire",
        authors=[
            make_person(name="Wikinews contributors", kind=Person.Kind.ORGANISATION),
            make_person(name="Ali Reza"),
        ],
    )

    article = _json_ld(read("world/wire/index.html"))

    assert article["author"] == [
        {
            "@type": "Organization",
            "name": "Wikinews contributors",
            "url": "https://news.example/authors/wikinews-contributors/",
        },
        {
            "@type": "Person",
            "name": "Ali Reza",
            "url": "https://news.example/authors/ali-reza/",
        },
    ]


def test_story_page_escapes_markup_in_the_headline(publish: Publish) -> None:
    publish(title="<script>alert('x')</script> & more", slug="xss")

    page = read("world/xss/index.html")

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert _json_ld(page)["headline"] == "<script>alert('x')</script> & more"


def test_reader_pages_need_no_script_and_nothing_from_elsewhere(
    publish: Publish,
) -> None:
    publish(slug="floods")
    site_rebuild()

    for name in [
        "index.html",
        "world/index.html",
        "world/floods/index.html",
        "404.html",
    ]:
        page = read(name)
        assert "<script" not in page.replace('<script type="application/ld+json">', "")
        assert not re.search(r'\ssrc="', page)
        assert not re.search(r'<link rel="(?:stylesheet|preload)"', page)
        # the one other request a page makes: its icon, from the same origin, so a
        # browser does not ask for /favicon.ico and get a 404
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page
        css = re.search(r"<style>(.*?)</style>", page, re.S)
        assert css
        assert len(css.group(1)) < 6000
        assert not re.search(r"\b(?:left|right)\b", css.group(1))
        assert '<a class="skip" href="#main"' in page
        assert '<main id="main"' in page


def test_a_dari_story_is_written_right_to_left(publish: Publish) -> None:
    publish(slug="dari", language=StoryPage.Language.DARI)

    page = read("world/dari/index.html")

    assert '<html lang="prs" dir="rtl">' in page
    assert '<header class="masthead" lang="en" dir="ltr">' in page


def test_home_lists_the_story_and_links_the_feed(publish: Publish) -> None:
    publish(title="Floods reach Kabul", slug="floods")

    home = read("index.html")

    assert '<a href="/world/floods/">Floods reach Kabul</a>' in home
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Newsdesk" '
        'href="/rss.xml">'
    ) in home
    assert '<a href="/world/">World</a>' in home


def test_section_front_lists_the_story(publish: Publish) -> None:
    publish(title="Floods reach Kabul", slug="floods")

    front = read("world/index.html")

    assert "<h1>World</h1>" in front
    assert '<a href="/world/floods/">Floods reach Kabul</a>' in front
    assert '<a href="/world/archive/1/">Page 1</a>' in front


def test_unpublishing_removes_the_story_from_every_page(
    publish: Publish, unpublish: Unpublish
) -> None:
    kept = publish(title="Election results", slug="election")
    story = publish(title="Floods reach Kabul", slug="floods")

    unpublish(story)

    assert not Path(settings.NEWSDESK_OUTPUT_DIR, "world/floods").exists()
    for name in ["index.html", "world/index.html", "world/archive/1/index.html"]:
        assert "Floods reach Kabul" not in read(name)
        assert "Election results" in read(name)
    assert "Floods reach Kabul" not in read("rss.xml")
    assert Path(settings.NEWSDESK_OUTPUT_DIR, public_path(kept)[1:]).is_dir()


def test_unpublishing_the_last_story_leaves_an_empty_section(
    publish: Publish, unpublish: Unpublish
) -> None:
    story = publish(slug="floods")

    unpublish(story)

    # the date archive's index stays, listing no month
    assert output_files() == {
        "index.html",
        "favicon.svg",
        "world/index.html",
        "robots.txt",
        "sitemap.xml",
        "sitemaps/fronts.xml",
        "archive/index.html",
        *_feeds(),
        *_feeds("world/"),  # a live section keeps its (empty) feeds
    }
    assert "No stories yet." in read("world/index.html")


def test_site_unpublish_story_does_nothing_to_a_story_published_again(
    publish: Publish,
) -> None:
    story = publish(slug="floods")

    assert site_unpublish_story(story=story, path="/world/floods/") == []
    assert "world/floods/index.html" in output_files()


@pytest.mark.usefixtures("small_pages")
def test_a_new_story_rewrites_only_the_last_archive_page(publish: Publish) -> None:
    # given: pages 1 (two stories) and 2 (one story)
    for n in range(3):
        publish(title=f"Story {n}", slug=f"s{n}")
    before = age_all_files()

    # when
    publish(title="Story 3", slug="s3")

    # then: page 1 did not change; page 2 holds the new story
    assert "world/archive/1/index.html" in unchanged_since(before)
    assert "world/s0/index.html" in unchanged_since(before)
    assert "Story 3" in read("world/archive/2/index.html")
    assert not Path(settings.NEWSDESK_OUTPUT_DIR, "world/archive/3").exists()


@pytest.mark.usefixtures("small_pages")
def test_a_story_opening_a_new_archive_page_links_it_from_the_one_before(
    publish: Publish,
) -> None:
    for n in range(4):
        publish(title=f"Story {n}", slug=f"s{n}")
    before = age_all_files()

    story = publish(title="Story 4", slug="s4")
    author = f"authors/{story.authors.get().person.slug}/"
    day = timezone.localtime(story.first_published_at).date()

    assert "world/archive/1/index.html" in unchanged_since(before)
    assert '<a href="/world/archive/3/" rel="next">' in read(
        "world/archive/2/index.html"
    )
    assert "Story 4" in read("world/archive/3/index.html")
    assert sorted(
        str(p.relative_to(settings.NEWSDESK_OUTPUT_DIR))
        for p in site_publish_story(story=story)
    ) == sorted(
        [
            "world/s4/index.html",
            "index.html",
            "world/index.html",
            "world/archive/3/index.html",
            "world/archive/2/index.html",
            f"{author}index.html",
            f"{author}archive/1/index.html",
            *_feeds(),
            *_feeds("world/"),
            *_feeds(author),
            # the day's pages 2 and 3 (two stories a page), its month and the index
            *(date_files(story, pages=3) - date_files(story, pages=1)),
            *(date_files(story) - {f"archive/{day:%Y/%m/%d}/index.html"}),
        ]
    )


@pytest.mark.usefixtures("small_pages")
def test_unpublishing_shifts_the_archive_from_the_story_s_page_on(
    publish: Publish, unpublish: Unpublish
) -> None:
    # given: pages [s0 s1] [s2 s3] [s4]
    stories = [publish(title=f"Story {n}", slug=f"s{n}") for n in range(5)]
    before = age_all_files()

    # when: s2 goes, s3 and s4 move up a place
    unpublish(stories[2])

    # then
    assert "world/archive/1/index.html" in unchanged_since(before)
    page_2 = read("world/archive/2/index.html")
    assert "Story 3" in page_2
    assert "Story 4" in page_2
    assert "Story 2" not in page_2
    assert not Path(settings.NEWSDESK_OUTPUT_DIR, "world/archive/3").exists()
    assert '<a href="/world/archive/3/">' not in read("world/index.html")


def test_publishing_leaves_no_temporary_files(publish: Publish) -> None:
    publish(slug="a")
    publish(slug="b")

    assert not [name for name in output_files() if name.endswith(".tmp")]


def test_a_failed_render_leaves_the_published_page_as_it_was(
    publish: Publish, settings: SettingsWrapper, tmp_path: Path
) -> None:
    # given: a published story, then a story template that cannot render
    story = publish(title="Floods reach Kabul", slug="floods")
    before = read("world/floods/index.html")
    broken = tmp_path / "templates" / "stories"
    broken.mkdir(parents=True)
    (broken / "story_page.html").write_text("{% url 'no-such-view' %}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]},
    ]
    StoryPage.objects.filter(pk=story.pk).update(title="A new headline")

    # when
    with pytest.raises(NoReverseMatch, match="no-such-view"):
        site_publish_story(story=story)

    # then
    assert read("world/floods/index.html") == before
    assert not [name for name in output_files() if name.endswith(".tmp")]


def test_a_story_in_an_unpublished_section_leaves_the_section_pages_alone(
    publish: Publish, section: SectionPage
) -> None:
    story = publish(slug="floods")
    SectionPage.objects.filter(pk=section.pk).update(live=False)
    before = age_all_files()

    written = site_publish_story(story=story)

    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    assert root / "world/index.html" not in written
    assert "world/index.html" in unchanged_since(before)


def test_the_newsroom_preview_renders_the_published_html(
    publish: Publish, rf: RequestFactory
) -> None:
    story = publish(
        title="Floods reach Kabul",
        slug="floods",
        authors=[make_person(name="Farida Noori")],
    )
    live = StoryPage.objects.get(pk=story.pk)

    response = live.serve_preview(rf.get("/"), live.default_preview_mode)

    assert response.render().content.decode() == read("world/floods/index.html")


def test_the_preview_of_a_draft_shows_its_unpublished_changes(
    publish: Publish, rf: RequestFactory
) -> None:
    story = publish(title="Floods reach Kabul", slug="floods")
    draft = StoryPage.objects.get(pk=story.pk)
    draft.title = "Floods reach Kabul and Herat"
    draft = draft.save_revision().as_object()

    page = draft.serve_preview(rf.get("/"), draft.default_preview_mode)

    html_text = page.render().content.decode()
    assert "<h1>Floods reach Kabul and Herat</h1>" in html_text
    assert "<h1>Floods reach Kabul</h1>" in read("world/floods/index.html")


def test_the_preview_of_home_and_section_renders_the_published_html(
    publish: Publish, home: HomePage, section: SectionPage, rf: RequestFactory
) -> None:
    publish(title="Floods reach Kabul", slug="floods")

    home_html = home.serve_preview(rf.get("/"), home.default_preview_mode)
    front = SectionPage.objects.get(pk=section.pk)
    front_html = front.serve_preview(rf.get("/"), front.default_preview_mode)

    assert home_html.render().content.decode() == read("index.html")
    assert front_html.render().content.decode() == read("world/index.html")
