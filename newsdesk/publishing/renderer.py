"""Render reader pages to bytes with the same templates and context Wagtail previews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from django.template.loader import render_to_string
from taggit.models import Tag

from newsdesk.stories.models import HomePage, InfoPage, Person, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    DayCount,
    LeadImage,
    MonthCount,
    SiteInfo,
    author_archive_context,
    author_context,
    corrections_context,
    date_archive_context,
    day_archive_context,
    home_context,
    info_context,
    month_archive_context,
    not_found_context,
    section_archive_context,
    section_context,
    story_context,
    tag_archive_context,
    tag_context,
)

HOME_TEMPLATE = "stories/home_page.html"
CORRECTIONS_TEMPLATE = "reader/corrections.html"
SECTION_TEMPLATE = "stories/section_page.html"
ARCHIVE_TEMPLATE = "reader/archive.html"
AUTHOR_TEMPLATE = "stories/person_page.html"
STORY_TEMPLATE = "stories/story_page.html"
NOT_FOUND_TEMPLATE = "reader/404.html"
TAG_TEMPLATE = "reader/tag.html"
INFO_TEMPLATE = "stories/info_page.html"
DATE_INDEX_TEMPLATE = "reader/date_index.html"
MONTH_TEMPLATE = "reader/date_month.html"
DAY_TEMPLATE = "reader/date_day.html"


def _render(template: str, page: Any, context: dict[str, Any]) -> bytes:
    # "page" and "self" are the names Wagtail's own page rendering provides.
    context = {"page": page, "self": page, **context}
    return render_to_string(template, context).encode("utf-8")


def render_home(*, home: HomePage, site: SiteInfo | None = None) -> bytes:
    """Return the home page's HTML."""
    return _render(HOME_TEMPLATE, home, home_context(home, site=site))


def render_section_front(
    *,
    section: SectionPage,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
) -> bytes:
    """Return a section front's HTML (``stories``: all its live ones, newest first)."""
    context = section_context(section, site=site, stories=stories, total=total)
    return _render(SECTION_TEMPLATE, section, context)


def render_section_archive(
    *,
    section: SectionPage,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
) -> bytes:
    """Return the HTML of archive page ``number`` (1 = oldest; ``stories`` oldest first)."""
    context = section_archive_context(
        section, number=number, site=site, stories=stories, total=total
    )
    return _render(ARCHIVE_TEMPLATE, section, context)


def render_author_front(
    *,
    person: Person,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return a person's author page HTML (``stories``: all theirs, newest first)."""
    context = author_context(
        person, site=site, stories=stories, sections=sections, total=total
    )
    return _render(AUTHOR_TEMPLATE, None, context)


def render_author_archive(
    *,
    person: Person,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return a person's archive page ``number`` (1 = oldest; ``stories`` likewise)."""
    context = author_archive_context(
        person,
        number=number,
        site=site,
        stories=stories,
        sections=sections,
        total=total,
    )
    return _render(ARCHIVE_TEMPLATE, None, context)


def render_story(
    *,
    story: StoryPage,
    site: SiteInfo | None = None,
    sections: Mapping[str, SectionPage] | None = None,
    related: Sequence[StoryPage] | None = None,
    lead_image: LeadImage | Literal[False] | None = False,
) -> bytes:
    """Return a story page's HTML (``related`` and ``lead_image``, if given, save
    their queries: see ``story_context``)."""
    context = story_context(
        story, site=site, sections=sections, related=related, lead_image=lead_image
    )
    return _render(STORY_TEMPLATE, story, context)


def render_favicon() -> bytes:
    """Return the site's icon (SVG)."""
    return render_to_string("reader/favicon.svg").encode("utf-8")


def render_not_found(*, site: SiteInfo | None = None) -> bytes:
    """Return the "page not found" page's HTML."""
    return _render(NOT_FOUND_TEMPLATE, None, not_found_context(site=site))


def render_tag_front(
    *,
    tag: Tag,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return a tag's page HTML (``stories``: all its live ones, newest first)."""
    context = tag_context(
        tag, site=site, stories=stories, sections=sections, total=total
    )
    return _render(TAG_TEMPLATE, None, context)


def render_tag_archive(
    *,
    tag: Tag,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return a tag's archive page ``number`` (1 = oldest; ``stories`` likewise)."""
    context = tag_archive_context(
        tag, number=number, site=site, stories=stories, sections=sections, total=total
    )
    return _render(ARCHIVE_TEMPLATE, None, context)


def render_corrections(*, site: SiteInfo | None = None, number: int = 1) -> bytes:
    """Return a page of the corrections: every correction to a live story, newest
    first, a page at a time."""
    return _render(
        CORRECTIONS_TEMPLATE, None, corrections_context(site=site, number=number)
    )


def render_info_page(*, page: InfoPage, site: SiteInfo | None = None) -> bytes:
    """Return an information page's HTML (about, contribute ...)."""
    return _render(INFO_TEMPLATE, page, info_context(page, site=site))


def render_date_index(*, site: SiteInfo, months: Sequence[MonthCount]) -> bytes:
    """Return the date archive's index: every month with stories (newest first)."""
    return _render(
        DATE_INDEX_TEMPLATE, None, date_archive_context(site=site, months=months)
    )


def render_month(
    *, year: int, month: int, site: SiteInfo, days: Sequence[DayCount] | None = None
) -> bytes:
    """Return a month's date archive page: its days with stories."""
    context = month_archive_context(year, month, site=site, days=days)
    return _render(MONTH_TEMPLATE, None, context)


def render_day(
    *,
    day: date,
    number: int,
    site: SiteInfo,
    stories: Sequence[StoryPage] | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return page ``number`` of a day's stories (``stories``: the day's, oldest first)."""
    context = day_archive_context(
        day, number=number, site=site, stories=stories, sections=sections
    )
    return _render(DAY_TEMPLATE, None, context)
