"""Values every reader page shares: paths, moments, byline text and the site."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dates import MONTHS
from django.utils.encoding import iri_to_uri
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from taggit.models import Tag
from wagtail.models import Page

from ..models import (
    Person,
)

FEED_PATH = "/rss.xml"
AUTHORS_PATH = "/authors/"
TAGS_PATH = "/tags/"
DATE_ARCHIVE_PATH = "/archive/"
SEARCH_PATH = "/search/"
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

    @property
    def byline_html(self) -> SafeString:
        return byline_html(self.authors, self.byline)


@dataclass(frozen=True)
class SiteInfo:
    """What every reader page shows: the site's name, address, language and sections."""

    name: str
    url: str
    language: str
    text_direction: str
    feed_path: str
    nav: tuple[SectionLink, ...]
    # The information pages (about, contribute ...) linked from every page's footer.
    pages: tuple[SectionLink, ...] = ()
    search_path: str = SEARCH_PATH
    date_archive_path: str = DATE_ARCHIVE_PATH


@dataclass(frozen=True)
class ArchivePage:
    """One numbered archive page of a list of stories (number 1 holds the oldest)."""

    number: int
    path: str
    # Pages between this and the one listed before it are left out.
    after_gap: bool = False


def public_path(page: Page) -> str:
    """Return a page's reader path: its url_path without the home page's own part."""
    return reader_path(page.url_path)


def reader_path(url_path: str) -> str:
    """Return the reader path of a Wagtail url_path ("/home/world/slug/")."""
    # The first part is the site root (the home page).
    parts = [part for part in url_path.split("/") if part][1:]
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


def tag_path(tag: Tag) -> str:
    """Return the reader path of a tag's page."""
    # A tag of only punctuation or emoji gets an empty slug from taggit; it must not
    # take the address of /tags/ itself.
    return f"{TAGS_PATH}{tag.slug or f'tag-{tag.pk}'}/"


def day_path(day: date) -> str:
    """Return the reader path of the date archive page of a day."""
    return f"{DATE_ARCHIVE_PATH}{day:%Y/%m/%d}/"


def month_path(year: int, month: int) -> str:
    """Return the reader path of the date archive page of a month."""
    return f"{DATE_ARCHIVE_PATH}{year:04d}/{month:02d}/"


def local_day(value: datetime) -> date:
    """Return the day a moment falls on in the site's time zone."""
    return timezone.localtime(value).date()


@lru_cache(maxsize=16)
def _month_names(language: str) -> tuple[str, ...]:
    with translation.override(language):
        return ("", *(str(MONTHS[number]) for number in range(1, 13)))


def month_name(month: int) -> str:
    """Return a month's name (1 = January) in the active language.

    Django's names are lazy translations, resolved anew each time one is shown;
    resolved once per language here, because the date archive's index shows every
    month the archive has (1,376 of them at 55,000 stories).
    """
    return _month_names(translation.get_language() or settings.LANGUAGE_CODE)[month]


def moment(value: datetime | None) -> Moment | None:
    """Return a time in the site's time zone, for a ``<time>`` element."""
    if value is None:
        return None
    local = timezone.localtime(value)
    month = month_name(local.month)
    return Moment(
        iso=local.isoformat(timespec="seconds"),
        display=f"{local.day} {month} {local.year}, {local:%H:%M} {local.tzname()}",
    )


def byline_html(authors: Sequence[AuthorLink], byline: str) -> SafeString:
    """Return a byline as HTML, each name linked to the person's author page.

    Built here rather than by a template include: a page lists dozens of bylines,
    and an include per byline was most of a full rebuild's time.
    """
    if not authors:
        return conditional_escape(byline)
    links = [
        format_html('<a href="{}" rel="author">{}</a>', author.path, author.name)
        for author in authors
    ]
    return mark_safe(byline_text(links))  # noqa: S308 (every piece escaped above)


def byline_text(names: Iterable[str]) -> str:
    """Return names joined as a byline reads: "A", "A and B", "A, B and C"."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
