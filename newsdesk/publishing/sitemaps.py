"""Tell crawlers what the reader site holds: robots.txt, sitemaps and a news sitemap.

The files, by reader path:

- ``/robots.txt``: crawlers may go everywhere but the newsroom; names the index.
- ``/sitemap.xml``: the sitemap index, every sitemap below with its ``lastmod``.
- ``/sitemaps/fronts.xml``: the home page, the live section fronts and the author
  pages (of the people named on a live story).
- ``/sitemaps/news.xml``: a Google News sitemap of the stories first published in
  the last two days.
- ``/sitemaps/stories-YYYY-MM.xml``: the live stories first published in that month,
  oldest first (``stories-YYYY-MM-2.xml`` and on past ``URLS_PER_FILE``).

Story sitemaps are stable like the archive pages: a story stays in the file of the
month it was first published in, so publishing, correcting or unpublishing it
rewrites that month's file, the news and fronts sitemaps and the index, never another
month. Months are UTC months, so a story's file does not move when the site's time
zone setting changes. A file whose content did not change is not rewritten.

A ``lastmod`` in the index is the latest change among what that sitemap lists, so a
rebuild writes the same index as the publishes before it did; a sitemap that only
lost an entry (an unpublished story) keeps its ``lastmod``.

The sitemap schema requires at least one ``<url>`` in a sitemap and one ``<sitemap>``
in an index, so a file with nothing to list is removed and left out of the index
rather than written empty.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from newsdesk.stories.models import StoryPage
from newsdesk.stories.selectors import (
    AUTHORS_PATH,
    TAGS_PATH,
    absolute_url,
    home_get,
    info_page_list_live,
    person_slugs,
    public_path,
    section_list_live,
    story_list_for_sitemap,
    tag_slugs,
)

from .output import (
    output_path,
    output_root,
    remove_file,
    remove_if_stale,
    same_content,
    write_file,
    write_file_soon,
)
from .summaries import Kind, Tally, changed_at, later, summary_lists, summary_set

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"

ROBOTS_PATH = "/robots.txt"
INDEX_PATH = "/sitemap.xml"
SITEMAP_FOLDER = "sitemaps"
FRONTS_PATH = f"/{SITEMAP_FOLDER}/fronts.xml"
NEWS_PATH = f"/{SITEMAP_FOLDER}/news.xml"
NEWSROOM_PATH = "/newsroom/"

# Google News reads articles of the last two days, at most 1,000 in one sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_MAX_URLS = 1000
# The protocol allows 50,000 URLs and 50 MB per file; with 20,000 a file stays under
# 50 MB even if every address were as long as the protocol allows (2,048 characters,
# which long percent-encoded Dari or Pashto slugs can come near).
URLS_PER_FILE = 20_000

_MONTH_FILE = re.compile(r"stories-(\d{4})-(\d{2})(?:-(\d+))?\.xml")
# Characters XML 1.0 cannot carry; the XML writer refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

Render = Callable[[], bytes]
# The listing summaries the shared sitemaps are made from.
_SUMMARIES = (Kind.SECTION, Kind.AUTHOR, Kind.TAG, Kind.SITEMAP_MONTH)


@dataclass(frozen=True)
class NewsArticle:
    """What a Google News sitemap says about a story besides its address."""

    title: str
    language: str
    published: datetime


@dataclass(frozen=True)
class StoryMonth:
    """A month (UTC) of live stories: its first moment, how many, their last change."""

    start: datetime
    count: int
    last_modified: datetime | None


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` of a sitemap or one ``<sitemap>`` of an index."""

    loc: str
    lastmod: datetime | None = None
    news: NewsArticle | None = None


# --- rendering -----------------------------------------------------------------------


def w3c_datetime(value: datetime) -> str:
    """Return a time in the W3C datetime format sitemaps use, in UTC."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


# Sitemaps are built as text rather than through an XML writer: the index and a
# month's file are rewritten on every publish, and the index lists every month of
# the archive (1,376 at 55,000 stories: 39 ms through the writer, 3 ms as text).
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def _text(value: str) -> str:
    """Return text for an XML element: escaped, without the characters XML forbids."""
    return escape(_xml_text(value))


def _location(entry: SitemapEntry) -> str:
    lastmod = (
        f"<lastmod>{w3c_datetime(entry.lastmod)}</lastmod>"
        if entry.lastmod is not None
        else ""
    )
    return f"<loc>{_text(entry.loc)}</loc>{lastmod}"


def _news(news: NewsArticle) -> str:
    return (
        "<news:news><news:publication>"
        f"<news:name>{_text(settings.NEWSDESK_SITE_NAME)}</news:name>"
        f"<news:language>{_text(news.language)}</news:language>"
        "</news:publication>"
        f"<news:publication_date>{w3c_datetime(news.published)}"
        "</news:publication_date>"
        f"<news:title>{_text(news.title)}</news:title>"
        "</news:news>"
    )


def render_urlset(entries: Sequence[SitemapEntry]) -> bytes:
    """Return a sitemap of the entries, with Google News tags on those that have them."""
    namespaces = f' xmlns="{SITEMAP_NS}"'
    if any(entry.news for entry in entries):
        namespaces += f' xmlns:news="{NEWS_NS}"'
    lines = [f"{_XML_DECLARATION}<urlset{namespaces}>\n"]
    for entry in entries:
        news = _news(entry.news) if entry.news is not None else ""
        lines.append(f"<url>{_location(entry)}{news}</url>\n")
    lines.append("</urlset>\n")
    return "".join(lines).encode("utf-8")


def render_sitemap_index(entries: Iterable[SitemapEntry]) -> bytes:
    """Return a sitemap index of the sitemaps given."""
    lines = [f'{_XML_DECLARATION}<sitemapindex xmlns="{SITEMAP_NS}">\n']
    lines += [f"<sitemap>{_location(entry)}</sitemap>\n" for entry in entries]
    lines.append("</sitemapindex>\n")
    return "".join(lines).encode("utf-8")


def render_robots() -> bytes:
    """Return robots.txt: everything but the newsroom may be crawled; the index."""
    return (
        "User-agent: *\n"
        f"Disallow: {NEWSROOM_PATH}\n"
        "\n"
        f"Sitemap: {settings.NEWSDESK_SITE_URL}{INDEX_PATH}\n"
    ).encode()


# --- what the sitemaps list ----------------------------------------------------------


def month_start(value: datetime) -> datetime:
    """Return the first moment of the UTC month a time falls in."""
    utc = value.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def month_sitemap_path(start: datetime, part: int = 1) -> str:
    """Return the reader path of a month's story sitemap (part 2 on: past the limit)."""
    suffix = "" if part == 1 else f"-{part}"
    return f"/{SITEMAP_FOLDER}/stories-{start:%Y-%m}{suffix}.xml"


def _part_count(count: int) -> int:
    return math.ceil(count / URLS_PER_FILE)


def _story_entry(story: StoryPage, *, news: bool = False) -> SitemapEntry:
    return SitemapEntry(
        loc=absolute_url(public_path(story)),
        lastmod=story.last_published_at or story.first_published_at,
        news=(
            NewsArticle(
                title=story.title,
                language=story.language,
                published=story.first_published_at,
            )
            if news and story.first_published_at is not None
            else None
        ),
    )


def _month_key(start: datetime) -> str:
    return f"{start:%Y-%m}"


def _story_months(summaries: Mapping[str, Tally]) -> list[StoryMonth]:
    """Return every month with live stories, oldest first, from their summaries."""
    months = []
    for key, tally in summaries.items():
        year, month = key.split("-")
        start = datetime(int(year), int(month), 1, tzinfo=UTC)
        months.append(StoryMonth(start, tally.count, tally.last_modified))
    return sorted(months, key=lambda month: month.start)


def _month_stories(start: datetime) -> QuerySet[StoryPage]:
    return story_list_for_sitemap(
        published_from=start, published_before=_next_month(start)
    )


def _month_part(start: datetime, part: int) -> bytes:
    """Render one part of a month's sitemap (for a rebuild: one query per file)."""
    first = (part - 1) * URLS_PER_FILE
    stories = _month_stories(start)[first : first + URLS_PER_FILE]
    return render_urlset([_story_entry(story) for story in stories])


def _news_entries(now: datetime) -> list[SitemapEntry]:
    recent = story_list_for_sitemap(published_from=now - NEWS_WINDOW).reverse()
    return [_story_entry(story, news=True) for story in recent[:NEWS_MAX_URLS]]


def _latest(*times: datetime | None) -> datetime | None:
    known = [time for time in times if time is not None]
    return max(known) if known else None


def _front_entries(summaries: Mapping[str, Mapping[str, Tally]]) -> list[SitemapEntry]:
    """Return the home page, section fronts, author, tag and information pages, each
    changed when they last did (``summaries``: of sections, authors and tags)."""
    by_section = {
        path: tally.last_modified for path, tally in summaries[Kind.SECTION].items()
    }
    entries = []
    home = home_get()
    if home is not None and home.live:
        newest = _latest(*by_section.values())
        entries.append(
            SitemapEntry(
                loc=absolute_url("/"),
                lastmod=_latest(home.last_published_at, newest),
            )
        )
    for section in section_list_live():
        entries.append(
            SitemapEntry(
                loc=absolute_url(public_path(section)),
                lastmod=_latest(
                    section.last_published_at, by_section.get(section.path)
                ),
            )
        )
    for folder, tallies, slugs in (
        (AUTHORS_PATH, summaries[Kind.AUTHOR], person_slugs),
        (TAGS_PATH, summaries[Kind.TAG], tag_slugs),
    ):
        by_slug = {
            slug: tallies[str(pk)].last_modified
            for pk, slug in slugs(int(key) for key in tallies).items()
        }
        for slug in sorted(by_slug):
            entries.append(
                SitemapEntry(
                    loc=absolute_url(f"{folder}{slug}/"), lastmod=by_slug[slug]
                )
            )
    for page in info_page_list_live():
        entries.append(
            SitemapEntry(
                loc=absolute_url(public_path(page)), lastmod=page.last_published_at
            )
        )
    return entries


def _index_entries(
    *,
    fronts: Sequence[SitemapEntry],
    news: Sequence[SitemapEntry],
    months: Iterable[StoryMonth],
) -> list[SitemapEntry]:
    entries = []
    if fronts:
        lastmod = _latest(*(entry.lastmod for entry in fronts))
        entries.append(SitemapEntry(loc=absolute_url(FRONTS_PATH), lastmod=lastmod))
    if news:
        lastmod = _latest(*(entry.lastmod for entry in news))
        entries.append(SitemapEntry(loc=absolute_url(NEWS_PATH), lastmod=lastmod))
    for month in months:
        # Every part of a month carries the month's last change.
        for part in range(1, _part_count(month.count) + 1):
            entries.append(
                SitemapEntry(
                    loc=absolute_url(month_sitemap_path(month.start, part)),
                    lastmod=month.last_modified,
                )
            )
    return entries


# --- writing -------------------------------------------------------------------------


def _write_if_changed(reader_path: str, content: bytes) -> list[Path]:
    path = output_path(reader_path)
    unchanged = same_content(path, content)
    # Still called when unchanged: the writer repairs whatever else belongs with it.
    write_file_soon(path, content, skip_unchanged=True)
    return [] if unchanged else [path]


def _remove(reader_path: str) -> list[Path]:
    path = output_path(reader_path)
    return [path] if remove_file(path) else []


def _write_or_remove(reader_path: str, entries: Sequence[SitemapEntry]) -> list[Path]:
    if not entries:
        return _remove(reader_path)
    return _write_if_changed(reader_path, render_urlset(entries))


def _month_files() -> list[tuple[Path, datetime, int]]:
    """Return the story sitemaps on disk: path, month, part."""
    folder = output_root() / SITEMAP_FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _MONTH_FILE.fullmatch(path.name)
        if match is None:
            continue
        year, month, part = match.groups()
        when = datetime(int(year), int(month), 1, tzinfo=UTC)
        found.append((path, when, int(part or 1)))
    return found


def _write_month(start: datetime) -> list[Path]:
    stories = list(_month_stories(start))
    latest = None
    for story in stories:
        latest = later(latest, changed_at(story))
    summary_set(Kind.SITEMAP_MONTH, _month_key(start), Tally(len(stories), latest))
    entries = [_story_entry(story) for story in stories]
    parts = _part_count(len(entries))
    changed = []
    for part in range(1, parts + 1):
        first = (part - 1) * URLS_PER_FILE
        content = render_urlset(entries[first : first + URLS_PER_FILE])
        changed += _write_if_changed(month_sitemap_path(start, part), content)
    # Parts past the last are removed; they run on without gaps, so the first one
    # missing ends the search (listing the folder cost 19 ms at 1,376 months).
    for part in itertools.count(parts + 1):
        path = output_path(month_sitemap_path(start, part))
        if not remove_file(path):
            break
        changed.append(path)
    return changed


def _write_shared() -> list[Path]:
    """Rewrite the fronts and news sitemaps and the index where they changed."""
    summaries = summary_lists(*_SUMMARIES)
    fronts = _front_entries(summaries)
    news = _news_entries(timezone.now())
    months = _story_months(summaries[Kind.SITEMAP_MONTH])
    index = _index_entries(fronts=fronts, news=news, months=months)
    changed = _write_or_remove(FRONTS_PATH, fronts)
    changed += _write_or_remove(NEWS_PATH, news)
    if index:
        changed += _write_if_changed(INDEX_PATH, render_sitemap_index(index))
    else:
        changed += _remove(INDEX_PATH)
    robots = output_path(ROBOTS_PATH)
    if not robots.exists():
        changed.append(write_file(robots, render_robots()))
    return changed


def sitemaps_write_for_story(*, story: StoryPage) -> list[Path]:
    """Rewrite the sitemaps a story is or was on; return the files changed.

    Those are its month's story sitemap (removed when no story is left in it), the
    news and fronts sitemaps and the index. Works for a story just unpublished or
    deleted too: it goes by the story's first publication, which stays.
    """
    changed = []
    if story.first_published_at is not None:
        changed += _write_month(month_start(story.first_published_at))
    return changed + _write_shared()


def sitemaps_write_for_fronts() -> list[Path]:
    """Rewrite the fronts sitemap and the index after a section or home page changed."""
    return _write_shared()


def news_sitemap_refresh() -> int:
    """Drop stories older than two days from the news sitemap; return files changed.

    Publishing rewrites the news sitemap, but on a quiet day only time passes; the
    worker runs this every hour (``NEWSDESK_PERIODIC_JOBS``).
    """
    return len(_write_shared())


def sitemap_rebuild_files() -> list[tuple[str, Render]]:
    """Return every file of the crawler's view of the site, to write in a rebuild.

    That is robots.txt, the index, the fronts and news sitemaps and every part of
    every month's story sitemap, each as a reader path and a function rendering it.
    """
    summaries = summary_lists(*_SUMMARIES)
    fronts = _front_entries(summaries)
    news = _news_entries(timezone.now())
    months = _story_months(summaries[Kind.SITEMAP_MONTH])
    index = _index_entries(fronts=fronts, news=news, months=months)
    files: list[tuple[str, Render]] = [(ROBOTS_PATH, render_robots)]
    if index:
        files.append((INDEX_PATH, partial(render_sitemap_index, index)))
    if fronts:
        files.append((FRONTS_PATH, partial(render_urlset, fronts)))
    if news:
        files.append((NEWS_PATH, partial(render_urlset, news)))
    for month in months:
        for part in range(1, _part_count(month.count) + 1):
            files.append(
                (
                    month_sitemap_path(month.start, part),
                    partial(_month_part, month.start, part),
                )
            )
    return files


def sitemaps_remove_stale(*, keep: set[Path], older_than: float) -> list[Path]:
    """Remove sitemaps a rebuild did not write; return them.

    Files changed since ``older_than`` (a time stamp) belong to a publish that ran
    alongside the rebuild and are kept.
    """
    candidates = [path for path, _, _ in _month_files()]
    candidates += [output_path(p) for p in (FRONTS_PATH, NEWS_PATH, INDEX_PATH)]
    removed = []
    for path in candidates:
        if remove_if_stale(path, keep=keep, older_than=older_than):
            removed.append(path)
    return removed
