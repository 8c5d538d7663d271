"""Named reads of stories, sections and the home page, shaped for the reader site.

The reader templates get everything they show from the ``*_context`` functions here,
both when the publisher writes a file and when Wagtail renders a preview, so the two
are the same HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Length, Substr, TruncMonth
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.encoding import iri_to_uri
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from wagtail.models import Page

from .models import (
    RTL_LANGUAGES,
    HomePage,
    Person,
    SectionPage,
    StoryAuthor,
    StoryPage,
)

FEED_PATH = "/rss.xml"
AUTHORS_PATH = "/authors/"
HOME_LATEST = 12
HOME_PER_SECTION = 4
DESCRIPTION_WORDS = 40


@dataclass(frozen=True)
class Moment:
    """A point in time as the reader sees it: ISO 8601 for machines, words for people."""

    iso: str
    display: str


@dataclass(frozen=True)
class SectionLink:
    """A section's name and reader path."""

    title: str
    path: str


@dataclass(frozen=True)
class AuthorLink:
    """A name in a byline and the reader path of that person's page."""

    name: str
    path: str


@dataclass(frozen=True)
class Teaser:
    """What a list of stories shows about one story."""

    pk: int
    headline: str
    path: str
    standfirst: str
    byline: str
    authors: tuple[AuthorLink, ...]
    published: Moment | None
    section: SectionLink | None
    language: str
    text_direction: str


@dataclass(frozen=True)
class SiteInfo:
    """What every reader page shows: the site's name, address, language and sections."""

    name: str
    url: str
    language: str
    text_direction: str
    feed_path: str
    nav: tuple[SectionLink, ...]


@dataclass(frozen=True)
class ArchivePage:
    """One numbered archive page of a list of stories (number 1 holds the oldest)."""

    number: int
    path: str


def public_path(page: Page) -> str:
    """Return a page's reader path: its url_path without the home page's own part."""
    # url_path is "/home/world/slug/": the first part is the site root (the home page).
    parts = [part for part in page.url_path.split("/") if part][1:]
    return "/" + "".join(f"{part}/" for part in parts)


def absolute_url(path: str) -> str:
    """Return the public address of a reader path on this site."""
    return settings.NEWSDESK_SITE_URL + iri_to_uri(path)


def archive_path(front_path: str, number: int) -> str:
    """Return the reader path of a numbered archive page of a section or author."""
    return f"{front_path}archive/{number}/"


def author_path(person: Person) -> str:
    """Return the reader path of a person's author page."""
    return f"{AUTHORS_PATH}{person.slug}/"


def moment(value: datetime | None) -> Moment | None:
    """Return a time in the site's time zone, for a ``<time>`` element."""
    if value is None:
        return None
    local = timezone.localtime(value)
    month = MONTHS[local.month]
    return Moment(
        iso=local.isoformat(timespec="seconds"),
        display=f"{local.day} {month} {local.year}, {local:%H:%M} {local.tzname()}",
    )


def byline_text(names: Iterable[str]) -> str:
    """Return names joined as a byline reads: "A", "A and B", "A, B and C"."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


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


def _page_context(
    *, site: SiteInfo, path: str, title: str, description: str
) -> dict[str, Any]:
    return {
        "site": site,
        "path": path,
        "canonical_url": absolute_url(path),
        "page_title": title,
        "description": description,
        "lang": site.language,
        "dir": site.text_direction,
        "current_section_path": "",
    }


def home_context(home: HomePage, *, site: SiteInfo | None = None) -> dict[str, Any]:
    """Return what the home page shows: the latest stories and each section's."""
    live_sections = list(section_list_live())
    site = site or site_info(sections=live_sections)
    sections = section_map()
    fronts = []
    for section in live_sections:
        stories = teasers(
            story_list_live(section=section)[:HOME_PER_SECTION], sections=sections
        )
        fronts.append(
            {
                "section": SectionLink(section.title, public_path(section)),
                "stories": stories,
            }
        )
    context = _page_context(
        site=site,
        path="/",
        title=site.name,
        description=f"The latest news from {site.name}.",
    )
    context.update(
        {
            "home": home,
            "latest": teasers(story_list_live()[:HOME_LATEST], sections=sections),
            "section_fronts": fronts,
        }
    )
    return context


def _section_base(
    section: SectionPage, *, site: SiteInfo, path: str, title: str
) -> dict[str, Any]:
    section_path = public_path(section)
    context = _page_context(
        site=site,
        path=path,
        title=title,
        description=section.description or f"{section.title} news from {site.name}.",
    )
    context["section"] = section
    context["section_link"] = SectionLink(section.title, section_path)
    context["current_section_path"] = section_path
    return context


def _front_stories(
    live: QuerySet[StoryPage], stories: Sequence[StoryPage] | None
) -> tuple[list[StoryPage], int]:
    """Return the newest stories a front shows, and how many there are in all."""
    size = settings.NEWSDESK_FRONT_SIZE
    if stories is None:
        return list(live[:size]), live.count()
    return list(stories[:size]), len(stories)


def _archive_list(front_path: str, total: int) -> list[ArchivePage]:
    """Return a front's archive pages, the newest (highest number) first."""
    return [
        ArchivePage(number, archive_path(front_path, number))
        for number in range(archive_page_count(total=total), 0, -1)
    ]


def _archive_page(
    front_path: str,
    *,
    number: int,
    oldest_first: QuerySet[StoryPage],
    stories: Sequence[StoryPage] | None,
) -> tuple[list[StoryPage], dict[str, Any]]:
    """Return the stories on archive page ``number`` (newest first) and its links."""
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    start, stop = (number - 1) * size, number * size
    if stories is None:
        total = oldest_first.count()
        page_stories = list(oldest_first[start:stop])
    else:
        total = len(stories)
        page_stories = list(stories[start:stop])
    last = archive_page_count(total=total)
    page_stories.reverse()  # newest first within the page, as on the front
    links = {
        "number": number,
        "last_number": last,
        "older": (
            ArchivePage(number - 1, archive_path(front_path, number - 1))
            if number > 1
            else None
        ),
        "newer": (
            ArchivePage(number + 1, archive_path(front_path, number + 1))
            if number < last
            else None
        ),
    }
    return page_stories, links


def section_context(
    section: SectionPage,
    *,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
) -> dict[str, Any]:
    """Return what a section front shows: its newest stories and its archive pages.

    ``stories``, if given, are all the section's live stories newest first (as
    ``story_list_live(section=...)`` returns them), saving the queries.
    """
    site = site or site_info()
    section_path = public_path(section)
    newest, total = _front_stories(story_list_live(section=section), stories)
    context = _section_base(
        section, site=site, path=section_path, title=f"{section.title} — {site.name}"
    )
    context["stories"] = teasers(newest, sections={section.path: section})
    context["archive_pages"] = _archive_list(section_path, total)
    context["archive_intro"] = (
        f"Every {section.title} story, page 1 holding the oldest."
    )
    return context


def section_archive_context(
    section: SectionPage,
    *,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
) -> dict[str, Any]:
    """Return what archive page ``number`` of a section shows (1 = oldest stories).

    ``stories``, if given, are all the section's live stories oldest first (as
    ``story_list_live_oldest_first()`` returns them), saving the queries.
    """
    section_path = public_path(section)
    page_stories, links = _archive_page(
        section_path,
        number=number,
        oldest_first=story_list_live_oldest_first(section=section),
        stories=stories,
    )
    site = site or site_info()
    context = _section_base(
        section,
        site=site,
        path=archive_path(section_path, number),
        title=f"{section.title} archive, page {number} — {site.name}",
    )
    context.update(links)
    context["stories"] = teasers(page_stories, sections={section.path: section})
    context["front_name"] = section.title
    context["front_link"] = SectionLink(f"{section.title} front page", section_path)
    context["show_section"] = False
    return context


def _author_base(
    person: Person, *, site: SiteInfo, path: str, title: str
) -> dict[str, Any]:
    bio = " ".join(person.bio.split())
    context = _page_context(
        site=site,
        path=path,
        title=title,
        description=Truncator(bio).words(DESCRIPTION_WORDS, truncate="…")
        or f"Stories by {person.name} on {site.name}.",
    )
    context["person"] = person
    return context


def author_context(
    person: Person,
    *,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what a person's author page shows: their newest stories and archive.

    ``stories``, if given, are all the person's live stories newest first (as
    ``story_list_live(author=...)`` returns them), saving the queries.
    """
    site = site or site_info()
    path = author_path(person)
    newest, total = _front_stories(story_list_live(author=person), stories)
    context = _author_base(
        person, site=site, path=path, title=f"{person.name} — {site.name}"
    )
    context["stories"] = teasers(newest, sections=sections)
    context["archive_pages"] = _archive_list(path, total)
    context["archive_intro"] = (
        f"Every story by {person.name}, page 1 holding the oldest."
    )
    return context


def author_archive_context(
    person: Person,
    *,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what archive page ``number`` of a person's stories shows (1 = oldest).

    ``stories``, if given, are all the person's live stories oldest first (as
    ``story_list_live_oldest_first(author=...)`` returns them), saving the queries.
    """
    path = author_path(person)
    page_stories, links = _archive_page(
        path,
        number=number,
        oldest_first=story_list_live_oldest_first(author=person),
        stories=stories,
    )
    site = site or site_info()
    context = _author_base(
        person,
        site=site,
        path=archive_path(path, number),
        title=f"Stories by {person.name}, page {number} — {site.name}",
    )
    context.update(links)
    context["stories"] = teasers(page_stories, sections=sections)
    context["front_name"] = person.name
    context["front_link"] = SectionLink(f"Newest stories by {person.name}", path)
    context["show_section"] = True
    return context


def _json_for_script(data: Mapping[str, Any]) -> SafeString:
    text = json.dumps(data, ensure_ascii=False, indent=None)
    # Inside <script> the HTML parser ends the element at "</": escape what could.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 (JSON with <, > and & escaped above)


def _safe_source_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


def story_context(
    story: StoryPage,
    *,
    site: SiteInfo | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what a story page shows, its OpenGraph tags and NewsArticle JSON-LD.

    Pass ``site`` and ``sections`` (and a story from ``story_list_live()``) to render
    many stories without a query each.
    """
    site = site or site_info()
    section = section_of(story, sections)
    path = public_path(story)
    url = absolute_url(path)
    people = byline_people(story)
    names = [person.name for person in people]
    published = moment(story.first_published_at)
    updated = moment(story.last_published_at or story.first_published_at)
    summary = story_summary(story)
    section_link = _section_link(section)
    # The people of a live story's byline have a page (it lists the story); those of
    # a draft that was never published may not yet.
    authors = author_links(people) if story.live else ()
    credits: list[dict[str, str]] = [
        {
            "@type": "Organization"
            if person.kind == Person.Kind.ORGANISATION
            else "Person",
            "name": person.name,
        }
        for person in people
    ]
    for credit, link in zip(credits, authors, strict=False):
        credit["url"] = absolute_url(link.path)

    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": summary,
        "author": credits,
        "publisher": {
            "@type": "Organization",
            "name": site.name,
            "url": site.url + "/",
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "inLanguage": story.language,
    }
    if published:
        article["datePublished"] = published.iso
    if updated:
        article["dateModified"] = updated.iso
    if section_link:
        article["articleSection"] = section_link.title
    if story.dateline:
        article["dateline"] = story.dateline

    context = _page_context(
        site=site, path=path, title=f"{story.title} — {site.name}", description=summary
    )
    context.update(
        {
            "story": story,
            "section_link": section_link,
            "current_section_path": section_link.path if section_link else "",
            "lang": story.language,
            "dir": story.text_direction,
            "byline": byline_text(names),
            "authors": authors,
            "published": published,
            "updated": updated,
            "source_url": _safe_source_url(story.source_url),
            "json_ld": _json_for_script(article),
        }
    )
    return context


def not_found_context(*, site: SiteInfo | None = None) -> dict[str, Any]:
    """Return what the "page not found" page shows."""
    site = site or site_info()
    context = _page_context(
        site=site,
        path="/404.html",
        title=f"Page not found — {site.name}",
        description="",
    )
    context["canonical_url"] = ""
    return context


# --- sitemaps ------------------------------------------------------------------------

SITEMAP_FIELDS = (
    "title",
    "url_path",
    "language",
    "first_published_at",
    "last_published_at",
)


@dataclass(frozen=True)
class StoryMonth:
    """A month (UTC) of live stories: its first moment, how many, their last change."""

    start: datetime
    count: int
    last_modified: datetime


def story_list_for_sitemap(
    *, published_from: datetime, published_before: datetime | None = None
) -> QuerySet[StoryPage]:
    """Return live stories first published in a span, oldest first, sitemap fields only."""
    stories: QuerySet[StoryPage] = StoryPage.objects.live().filter(
        first_published_at__gte=published_from
    )
    if published_before is not None:
        stories = stories.filter(first_published_at__lt=published_before)
    return stories.order_by("first_published_at", "id").only(*SITEMAP_FIELDS)


def story_month_list() -> list[StoryMonth]:
    """Return every month (UTC) with live stories first published in it, oldest first."""
    rows = (
        StoryPage.objects.live()
        .filter(first_published_at__isnull=False)
        .annotate(month=TruncMonth("first_published_at", tzinfo=UTC))
        .values("month")
        .annotate(
            count=Count("id"),
            last_modified=Max(Coalesce("last_published_at", "first_published_at")),
        )
        .order_by("month")
    )
    return [
        StoryMonth(
            start=row["month"], count=row["count"], last_modified=row["last_modified"]
        )
        for row in rows
    ]


def story_last_modified_by_section() -> dict[str, datetime]:
    """Return when a live story of each section last changed, by section tree path."""
    rows = (
        StoryPage.objects.live()
        .annotate(parent=Substr("path", 1, Length("path") - StoryPage.steplen))
        .values("parent")
        .annotate(
            last_modified=Max(Coalesce("last_published_at", "first_published_at"))
        )
        .order_by()
    )
    return {
        row["parent"]: row["last_modified"]
        for row in rows
        if row["last_modified"] is not None
    }
