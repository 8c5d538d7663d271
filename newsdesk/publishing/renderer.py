"""Render reader pages to bytes with the same templates and context Wagtail previews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.template.loader import render_to_string

from newsdesk.stories.models import HomePage, Person, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    SiteInfo,
    author_archive_context,
    author_context,
    home_context,
    not_found_context,
    section_archive_context,
    section_context,
    story_context,
)

HOME_TEMPLATE = "stories/home_page.html"
SECTION_TEMPLATE = "stories/section_page.html"
ARCHIVE_TEMPLATE = "reader/archive.html"
AUTHOR_TEMPLATE = "stories/person_page.html"
STORY_TEMPLATE = "stories/story_page.html"
NOT_FOUND_TEMPLATE = "reader/404.html"


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
) -> bytes:
    """Return a section front's HTML (``stories``: all its live ones, newest first)."""
    context = section_context(section, site=site, stories=stories)
    return _render(SECTION_TEMPLATE, section, context)


def render_section_archive(
    *,
    section: SectionPage,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
) -> bytes:
    """Return the HTML of archive page ``number`` (1 = oldest; ``stories`` oldest first)."""
    context = section_archive_context(
        section, number=number, site=site, stories=stories
    )
    return _render(ARCHIVE_TEMPLATE, section, context)


def render_author_front(
    *,
    person: Person,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return a person's author page HTML (``stories``: all theirs, newest first)."""
    context = author_context(person, site=site, stories=stories, sections=sections)
    return _render(AUTHOR_TEMPLATE, None, context)


def render_author_archive(
    *,
    person: Person,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return a person's archive page ``number`` (1 = oldest; ``stories`` likewise)."""
    context = author_archive_context(
        person, number=number, site=site, stories=stories, sections=sections
    )
    return _render(ARCHIVE_TEMPLATE, None, context)


def render_story(
    *,
    story: StoryPage,
    site: SiteInfo | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> bytes:
    """Return a story page's HTML."""
    context = story_context(story, site=site, sections=sections)
    return _render(STORY_TEMPLATE, story, context)


def render_not_found(*, site: SiteInfo | None = None) -> bytes:
    """Return the "page not found" page's HTML."""
    return _render(NOT_FOUND_TEMPLATE, None, not_found_context(site=site))
