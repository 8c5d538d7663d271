"""Named reads of live stories, sections and people, and the teasers lists show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.html import strip_tags
from django.utils.text import Truncator
from wagtail.models import Page

from ..models import (
    RTL_LANGUAGES,
    HomePage,
    Person,
    SectionPage,
    StoryAuthor,
    StoryPage,
)
from .common import (
    DESCRIPTION_WORDS,
    FEED_PATH,
    AuthorLink,
    SectionLink,
    SiteInfo,
    Teaser,
    author_path,
    byline_text,
    moment,
    public_path,
)


def _authors_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "authors",
        queryset=StoryAuthor.objects.select_related("person").order_by(
            "sort_order", "pk"
        ),
    )


def _live_stories(
    *, section: SectionPage | None, author: Person | None
) -> QuerySet[StoryPage]:
    live = StoryPage.objects.live()
    if section is not None:
        live = live.child_of(section)
    stories: QuerySet[StoryPage] = live
    if author is not None:
        # A subquery, not a join: a person named twice in a byline is one story.
        credited = StoryAuthor.objects.filter(person=author).values("story_id")
        stories = stories.filter(pk__in=credited)
    return stories


def story_list_live(
    *, section: SectionPage | None = None, author: Person | None = None
) -> QuerySet[StoryPage]:
    """Return live stories, newest first, with their byline's people prefetched.

    ``section`` and ``author`` narrow the list to a section's or a person's stories.
    A story's section is its tree parent: look it up in ``section_map()`` with
    ``section_of()`` instead of a query per story.
    """
    return (
        _live_stories(section=section, author=author)
        .order_by(F("first_published_at").desc(nulls_last=True), "-id")
        .prefetch_related(_authors_prefetch())
    )


def story_list_live_oldest_first(
    *, section: SectionPage | None = None, author: Person | None = None
) -> QuerySet[StoryPage]:
    """Return a section's or person's live stories oldest first, as archives number."""
    return (
        _live_stories(section=section, author=author)
        .order_by(F("first_published_at").asc(nulls_first=True), "id")
        .prefetch_related(_authors_prefetch())
    )


def story_count_older(
    *,
    story: StoryPage,
    section: SectionPage | None = None,
    author: Person | None = None,
) -> int:
    """Return how many live stories of a section or person come before a story."""
    older = _live_stories(section=section, author=author)
    when = story.first_published_at
    if when is None:
        return older.filter(first_published_at__isnull=True, id__lt=story.pk).count()
    return older.filter(
        Q(first_published_at__isnull=True)
        | Q(first_published_at__lt=when)
        | Q(first_published_at=when, id__lt=story.pk)
    ).count()


def section_list_live() -> QuerySet[SectionPage]:
    """Return the live sections in their tree order (the order of the site's nav)."""
    sections: QuerySet[SectionPage] = SectionPage.objects.live().order_by("path")
    return sections


def section_map() -> dict[str, SectionPage]:
    """Return every section keyed by its tree path, for ``section_of()``."""
    return {section.path: section for section in SectionPage.objects.all()}


def section_of(
    page: Page, sections: Mapping[str, SectionPage] | None = None
) -> SectionPage | None:
    """Return the section a story sits in (its tree parent), without a query if mapped."""
    if not page.path:
        return None
    parent_path = page.path[: -page.steplen]
    if sections is not None:
        return sections.get(parent_path)
    section: SectionPage | None = SectionPage.objects.filter(path=parent_path).first()
    return section


def home_get() -> HomePage | None:
    """Return the site's home page."""
    home: HomePage | None = HomePage.objects.first()
    return home


def archive_page_count(*, total: int) -> int:
    """Return how many archive pages a list of ``total`` live stories has."""
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    return (total + size - 1) // size


def site_info(*, sections: Iterable[SectionPage] | None = None) -> SiteInfo:
    """Return what every reader page shows about the site."""
    if sections is None:
        sections = section_list_live()
    language = settings.NEWSDESK_SITE_LANGUAGE
    return SiteInfo(
        name=settings.NEWSDESK_SITE_NAME,
        url=settings.NEWSDESK_SITE_URL,
        language=language,
        text_direction="rtl" if language in RTL_LANGUAGES else "ltr",
        feed_path=FEED_PATH,
        nav=tuple(SectionLink(s.title, public_path(s)) for s in sections),
    )


def byline_people(story: StoryPage) -> list[Person]:
    """Return the people in a story's byline, in order."""
    # Sorted here as well: a preview's authors come from the revision, unordered.
    credits = sorted(story.authors.all(), key=lambda a: (a.sort_order or 0, a.pk or 0))
    return [credit.person for credit in credits]


def author_names(story: StoryPage) -> list[str]:
    """Return the names in a story's byline, in order."""
    return [person.name for person in byline_people(story)]


def author_links(people: Iterable[Person]) -> tuple[AuthorLink, ...]:
    """Return the names and author page paths of people in a byline."""
    return tuple(AuthorLink(person.name, author_path(person)) for person in people)


def person_list_with_live_stories() -> QuerySet[Person]:
    """Return the people named in a live story's byline (those with a page), by name."""
    people: QuerySet[Person] = (
        Person.objects.filter(credits__story__live=True).distinct().order_by("name")
    )
    return people


def story_last_modified_by_author() -> dict[str, datetime]:
    """Return when a live story of each person last changed, by the person's slug."""
    rows = (
        StoryAuthor.objects.filter(story__live=True)
        .values("person__slug")
        .annotate(
            last_modified=Max(
                Coalesce("story__last_published_at", "story__first_published_at")
            )
        )
        .order_by("person__slug")
    )
    return {
        row["person__slug"]: row["last_modified"]
        for row in rows
        if row["last_modified"] is not None
    }


def story_summary(story: StoryPage) -> str:
    """Return the standfirst, or the start of the body as plain text."""
    if story.standfirst.strip():
        return " ".join(story.standfirst.split())
    text = " ".join(strip_tags(story.body).split())
    return Truncator(text).words(DESCRIPTION_WORDS, truncate="…")


def _section_link(section: SectionPage | None) -> SectionLink | None:
    # A section taken off the site has no page to link to.
    if section is None or not section.live:
        return None
    return SectionLink(section.title, public_path(section))


def teaser(
    story: StoryPage, *, sections: Mapping[str, SectionPage] | None = None
) -> Teaser:
    """Return what a list shows about a story."""
    people = byline_people(story)
    return Teaser(
        pk=story.pk,
        headline=story.title,
        path=public_path(story),
        standfirst=story.standfirst,
        byline=byline_text(person.name for person in people),
        authors=author_links(people),
        published=moment(story.first_published_at),
        section=_section_link(section_of(story, sections)),
        language=story.language,
        text_direction=story.text_direction,
    )


def teasers(
    stories: Iterable[StoryPage], *, sections: Mapping[str, SectionPage] | None = None
) -> list[Teaser]:
    """Return teasers for stories, looking their sections up in one query."""
    if sections is None:
        sections = section_map()
    return [teaser(story, sections=sections) for story in stories]
