"""The reads behind the reader site: live stories, reader paths, page contexts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.stories.models import HomePage, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    byline_text,
    home_context,
    public_path,
    section_archive_context,
    section_context,
    section_map,
    site_info,
    story_context,
    story_list_live,
)

from .factories import make_person, make_section

StoryFactory = Callable[..., StoryPage]


def _set_published(story: StoryPage, when: datetime) -> None:
    StoryPage.objects.filter(pk=story.pk).update(
        first_published_at=when, last_published_at=when
    )


def test_public_path_drops_the_home_part_of_the_url_path(
    home: HomePage, section: SectionPage, story_factory: StoryFactory
) -> None:
    story = story_factory(slug="floods-reach-kabul")

    assert public_path(home) == "/"
    assert public_path(section) == "/world/"
    assert public_path(story) == "/world/floods-reach-kabul/"


def test_story_list_live_is_newest_first_and_leaves_out_drafts(
    story_factory: StoryFactory,
) -> None:
    older = story_factory(live=True)
    newer = story_factory(live=True)
    story_factory(live=False)
    _set_published(older, datetime(2024, 1, 1, tzinfo=UTC))
    _set_published(newer, datetime(2024, 1, 2, tzinfo=UTC))

    assert list(story_list_live()) == [newer, older]


def test_story_list_live_breaks_a_tie_in_time_by_the_newest_id(
    story_factory: StoryFactory,
) -> None:
    first, second = story_factory(live=True), story_factory(live=True)
    same = datetime(2024, 1, 1, tzinfo=UTC)
    _set_published(first, same)
    _set_published(second, same)

    assert list(story_list_live()) == [second, first]


def test_story_list_live_keeps_to_one_section(
    home: HomePage, story_factory: StoryFactory
) -> None:
    sport = make_section(home, title="Sport")
    story_factory(live=True)
    in_sport = story_factory(live=True, section=sport)

    assert list(story_list_live(section=sport)) == [in_sport]


def test_story_list_live_reads_bylines_without_a_query_per_story(
    story_factory: StoryFactory, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(4):
        story_factory(live=True, authors=[make_person(), make_person()])

    with django_assert_num_queries(2):
        names = [
            [credit.person.name for credit in story.authors.all()]
            for story in story_list_live()
        ]

    assert len(names) == 4
    assert all(len(byline) == 2 for byline in names)


def test_byline_text_reads_as_a_sentence() -> None:
    assert byline_text([]) == ""
    assert byline_text(["Ann"]) == "Ann"
    assert byline_text(["Ann", "Bo"]) == "Ann and Bo"
    assert byline_text(["Ann", "Bo", "Cy"]) == "Ann, Bo and Cy"


def test_story_context_describes_the_story_as_a_news_article(
    story_factory: StoryFactory,
) -> None:
    story = story_factory(
        live=True,
        title="Floods reach Kabul",
        slug="floods",
        dateline="KABUL",
        authors=[make_person(name="Farida Noori"), make_person(name="Ali Reza")],
    )

    context = story_context(story)

    article = json.loads(context["json_ld"])
    assert article["@type"] == "NewsArticle"
    assert article["headline"] == "Floods reach Kabul"
    assert [a["name"] for a in article["author"]] == ["Farida Noori", "Ali Reza"]
    assert article["url"] == "https://news.example/world/floods/"
    assert article["articleSection"] == "World"
    assert article["dateline"] == "KABUL"
    assert article["publisher"] == {
        "@type": "Organization",
        "name": "Newsdesk",
        "url": "https://news.example/",
    }
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", article["datePublished"]
    )
    assert context["byline"] == "Farida Noori and Ali Reza"
    assert context["canonical_url"] == "https://news.example/world/floods/"


def test_story_context_json_cannot_close_its_script_element(
    story_factory: StoryFactory,
) -> None:
    story = story_factory(live=True, title="</script><script>alert(1)</script> & co")

    text = str(story_context(story)["json_ld"])

    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert json.loads(text)["headline"] == "</script><script>alert(1)</script> & co"


def test_story_context_sets_the_direction_of_a_dari_story(
    story_factory: StoryFactory,
) -> None:
    story = story_factory(live=True, language=StoryPage.Language.DARI)

    context = story_context(story)

    assert (context["lang"], context["dir"]) == ("prs", "rtl")


def test_story_context_of_a_draft_has_no_publication_time(
    story_factory: StoryFactory,
) -> None:
    context = story_context(story_factory(live=False))

    assert context["published"] is None
    assert "datePublished" not in json.loads(context["json_ld"])


def test_story_context_links_only_web_sources(story_factory: StoryFactory) -> None:
    good = story_factory(
        source_credit="Wikinews", source_url="https://en.wikinews.org/x"
    )
    bad = story_factory(source_credit="Evil")
    # Bulk imports skip model validation, so a bad address can reach the database.
    StoryPage.objects.filter(pk=bad.pk).update(source_url="javascript:alert(1)")
    bad.refresh_from_db()

    assert story_context(good)["source_url"] == "https://en.wikinews.org/x"
    assert story_context(bad)["source_url"] == ""


def test_home_context_lists_the_latest_overall_and_per_section(
    home: HomePage, story_factory: StoryFactory
) -> None:
    sport = make_section(home, title="Sport")
    world_story = story_factory(live=True, title="Floods")
    sport_story = story_factory(live=True, title="Final", section=sport)
    story_factory(live=False, title="Draft")

    context = home_context(home)

    assert [t.headline for t in context["latest"]] == ["Final", "Floods"]
    fronts = {f["section"].title: f["stories"] for f in context["section_fronts"]}
    assert [t.pk for t in fronts["World"]] == [world_story.pk]
    assert [t.pk for t in fronts["Sport"]] == [sport_story.pk]
    assert [link.path for link in context["site"].nav] == ["/world/", "/sport/"]


@pytest.fixture
def small_pages(settings: SettingsWrapper) -> None:
    settings.NEWSDESK_FRONT_SIZE = 2
    settings.NEWSDESK_ARCHIVE_PAGE_SIZE = 2


@pytest.mark.usefixtures("small_pages")
def test_section_context_shows_the_newest_and_links_archive_pages_newest_first(
    section: SectionPage, story_factory: StoryFactory
) -> None:
    stories = [story_factory(live=True) for _ in range(5)]

    context = section_context(section)

    assert [t.pk for t in context["stories"]] == [stories[4].pk, stories[3].pk]
    assert [(a.number, a.path) for a in context["archive_pages"]] == [
        (3, "/world/archive/3/"),
        (2, "/world/archive/2/"),
        (1, "/world/archive/1/"),
    ]


@pytest.mark.usefixtures("small_pages")
def test_a_front_links_its_newest_archive_pages_and_the_first_after_a_gap(
    section: SectionPage, story_factory: StoryFactory
) -> None:
    for _ in range(2 * 11 + 1):  # twelve archive pages of two
        story_factory(live=True)

    context = section_context(section)

    listed = [(a.number, a.after_gap) for a in context["archive_pages"]]
    assert listed == [(n, False) for n in range(12, 4, -1)] + [(1, True)]
    html = render_to_string("reader/archive_list.html", context)
    assert '<li>… <a href="/world/archive/1/">Page 1</a></li>' in html
    assert "/world/archive/4/" not in html


@pytest.mark.usefixtures("small_pages")
def test_section_archive_pages_are_numbered_from_the_oldest_story(
    section: SectionPage, story_factory: StoryFactory
) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    stories = [story_factory(live=True) for _ in range(5)]
    for n, story in enumerate(stories):
        _set_published(story, start + timedelta(days=n))

    first = section_archive_context(section, number=1)
    last = section_archive_context(section, number=3)

    assert [t.pk for t in first["stories"]] == [stories[1].pk, stories[0].pk]
    assert (first["older"], first["newer"].path) == (None, "/world/archive/2/")
    assert [t.pk for t in last["stories"]] == [stories[4].pk]
    assert (last["older"].path, last["newer"]) == ("/world/archive/2/", None)


def test_story_context_of_a_listed_story_needs_no_query(
    story_factory: StoryFactory, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    story_factory(live=True, authors=[make_person(name="Farida Noori")])
    # as a full rebuild reads them: tags, corrections and updates prefetched, the stories to
    # read next and the lead image worked out for all stories at once
    (story,) = story_list_live().prefetch_related("tags", "corrections", "updates")
    site, sections = site_info(), section_map()

    with django_assert_num_queries(0):
        context = story_context(
            story, site=site, sections=sections, related=[], lead_image=None
        )

    assert context["byline"] == "Farida Noori"
    assert context["section_link"].path == "/world/"
