"""Write the reader site into the output folder: one story's pages, or all of it.

Publishing a story touches a fixed number of files (its page, the home page, its
section front, the archive page it falls on, the same two pages of each of its
authors, the feed and the sitemaps it is on), never the whole archive:
archive pages are numbered from the oldest story, so adding a story changes only the
last one.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import partial, wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connections
from django.utils.html import escape
from taggit.models import Tag
from wagtail.contrib.redirects.models import Redirect

from newsdesk.core.files import TEMP_SUFFIX
from newsdesk.stories.images import renditions_used
from newsdesk.stories.models import InfoPage, Person, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    DATE_ARCHIVE_PATH,
    FEED_PATH,
    RELATED_SIZE,
    LeadImage,
    MonthCount,
    SiteInfo,
    archive_page_count,
    archive_path,
    author_path,
    byline_people,
    day_page_path,
    day_path,
    home_get,
    in_section,
    info_page_list_live,
    local_day,
    month_count,
    month_path,
    oldest_first,
    public_path,
    section_list_live,
    section_map,
    section_of,
    site_info,
    story_count_live,
    story_count_older,
    story_day_counts,
    story_last_modified,
    story_lead_image,
    story_list_live,
    story_list_live_on_day,
    story_related_map,
    story_tags,
    tag_path,
)

from . import redirects, renderer, sitemaps
from .feeds import render_feed
from .output import (
    INDEX,
    flush_to_disk,
    output_path,
    output_root,
    remove_file,
    remove_if_stale,
    write_file,
    write_file_soon,
    writes_in_background,
)
from .storage import rendition_publish
from .summaries import (
    Key,
    Kind,
    Tally,
    changed_at,
    later,
    summaries_from_stories,
    summaries_replace,
    summary_get,
    summary_lists,
    summary_set,
)

logger = logging.getLogger(__name__)

NOT_FOUND_PATH = "/404.html"
FAVICON_PATH = "/favicon.svg"
BUILT_MARKER = ".newsdesk-built"
# Present while a rebuild runs or after one was stopped: what it wrote so far.
REBUILD_JOURNAL = ".newsdesk-rebuild"
ARCHIVE_FOLDER = "archive"
# Below this many stories a rebuild renders in this process: starting workers costs
# more than it saves.
PARALLEL_MIN_STORIES = 400
STORIES_PER_TASK = 100
# A temporary file older than this was left by a writer that died.
STALE_TEMP_SECONDS = 600

Progress = Callable[[int, int], None]


_P = ParamSpec("_P")
_R = TypeVar("_R")


# The renditions a publishing action's pictures use, and those already put into the
# output folder (see ``_images_in_place``).
_images: ContextVar[tuple[set[str], set[str]] | None] = ContextVar(
    "newsdesk_publish_images", default=None
)


@contextmanager
def _collecting_images() -> Iterator[None]:
    with renditions_used() as used:
        token = _images.set((used, set()))
        try:
            yield
        finally:
            _images.reset(token)


def _images_in_place() -> None:
    """Put the renditions pictures rendered so far use into the output folder.

    Called before each page is written, so a page never links a missing picture
    and only published pages' pictures become public.
    """
    state = _images.get()
    if state is None:
        return
    used, placed = state
    for name in used - placed:
        rendition_publish(name)
        placed.add(name)


def _writing_in_background(action: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a publishing action with its files written on writer threads, and the
    pictures its pages show put in place."""

    @wraps(action)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with writes_in_background(), _collecting_images():
            return action(*args, **kwargs)

    return run


def _write(reader_path: str, content: bytes) -> Path:
    _images_in_place()
    return write_file_soon(output_path(reader_path), content)


def _rebuild_write(reader_path: str, content: bytes) -> Path:
    _images_in_place()
    return write_file(
        output_path(reader_path), content, durable=False, skip_unchanged=True
    )


def _write_home(site: SiteInfo) -> list[Path]:
    home = home_get()
    if home is None or not home.live:
        return []
    written = [_write("/", renderer.render_home(home=home, site=site))]
    # Every page links the icon; browsers ask for one anyway, and a 404 for it
    # would send each new reader's first visit on to the app.
    if not output_path(FAVICON_PATH).exists():
        written.append(_write(FAVICON_PATH, renderer.render_favicon()))
    return written


def _write_feed() -> Path:
    return _write(FEED_PATH, render_feed())


@dataclass(frozen=True)
class _Listing:
    """A front with numbered archive pages: a section's, an author's or a tag's.

    ``scope`` narrows ``story_list_live()`` to its stories; a listing that is not
    ``kept_when_empty`` loses its pages with its last live story.
    """

    front_path: str
    scope: Mapping[str, Any]
    front: Callable[..., bytes]  # front(total=live stories)
    archive: Callable[..., bytes]  # archive(number=n, total=live stories)
    summary: Key
    kept_when_empty: bool = False


def _section_listing(section: SectionPage, site: SiteInfo) -> _Listing:
    return _Listing(
        front_path=public_path(section),
        scope={"section": section},
        front=partial(renderer.render_section_front, section=section, site=site),
        archive=partial(renderer.render_section_archive, section=section, site=site),
        summary=(Kind.SECTION, section.path),
        kept_when_empty=True,
    )


def _author_listing(person: Person, site: SiteInfo) -> _Listing:
    return _Listing(
        front_path=author_path(person),
        scope={"author": person},
        front=partial(renderer.render_author_front, person=person, site=site),
        archive=partial(renderer.render_author_archive, person=person, site=site),
        summary=(Kind.AUTHOR, str(person.pk)),
    )


def _tag_listing(tag: Tag, site: SiteInfo) -> _Listing:
    return _Listing(
        front_path=tag_path(tag),
        scope={"tag": tag},
        front=partial(renderer.render_tag_front, tag=tag, site=site),
        archive=partial(renderer.render_tag_archive, tag=tag, site=site),
        summary=(Kind.TAG, str(tag.pk)),
    )


def _archive_position(
    story: StoryPage, scope: Mapping[str, Any]
) -> tuple[int, int, int, int]:
    """Return (page number, place on that page from 0, number of pages, number of
    live stories)."""
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    older = story_count_older(story=story, **scope)
    total = story_count_live(**scope)
    return older // size + 1, older % size, archive_page_count(total=total), total


def _note_listing(listing: _Listing, *, count: int, added: StoryPage | None) -> None:
    """Record a listing's summary after ``added`` was published into it, or after a
    story left it (``added`` None: its latest change is looked up again)."""
    kind, key = listing.summary
    known = summary_get(kind, key) if added is not None and count else None
    if known is not None and added is not None:
        last = later(known.last_modified, changed_at(added))
    else:
        last = story_last_modified(**listing.scope) if count else None
    summary_set(kind, key, Tally(count, last))


def _remove_archive_pages_after(front_path: str, last: int) -> list[Path]:
    folder = output_path(front_path).parent / ARCHIVE_FOLDER
    return _remove_numbered_pages_after(folder, last)


def _remove_numbered_pages_after(folder: Path, last: int) -> list[Path]:
    """Remove the pages in ``folder``'s numbered subfolders above ``last``."""
    if not folder.is_dir():
        return []
    removed = []
    for child in folder.iterdir():
        if child.name.isdigit() and int(child.name) > last:
            page = child / INDEX
            if remove_file(page):
                removed.append(page)
    return removed


def _write_listing_with(listing: _Listing, story: StoryPage) -> list[Path]:
    """Write a listing's front and the archive page a live story falls on.

    The page before is written too when the story opens a new last page: its
    link to newer stories appears.
    """
    number, place, last, total = _archive_position(story, listing.scope)
    _note_listing(listing, count=total, added=story)
    pages = [number - 1, number] if number == last > 1 and place == 0 else [number]
    written = [_write(listing.front_path, listing.front(total=total))]
    for page in pages:
        content = listing.archive(number=page, total=total)
        written.append(_write(archive_path(listing.front_path, page), content))
    return written


def _write_listing_without(listing: _Listing, story: StoryPage) -> list[Path]:
    """Rewrite a listing a story has left, from the archive page it was on.

    The stories after it move up one place; an emptied listing loses its pages
    unless it is kept (a section keeps its front).
    """
    front = listing.front_path
    number, _, last, total = _archive_position(story, listing.scope)
    _note_listing(listing, count=total, added=None)
    if not last and not listing.kept_when_empty:
        front_file = output_path(front)
        removed = [front_file] if remove_file(front_file) else []
        return removed + _remove_archive_pages_after(front, 0)
    changed = [_write(front, listing.front(total=total))]
    for page in range(min(number, last), last + 1) if last else ():
        content = listing.archive(number=page, total=total)
        changed.append(_write(archive_path(front, page), content))
    return changed + _remove_archive_pages_after(front, last)


def _day_position(story: StoryPage, day: date) -> tuple[int, int, int]:
    """Return a story's (page, place from 0, pages) among its day's live stories."""
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    rows = list(
        story_list_live_on_day(day)
        .prefetch_related(None)
        .values_list("pk", "first_published_at")
    )
    key = (story.first_published_at, story.pk)
    older = sum(1 for pk, at in rows if (at, pk) < key)
    return older // size + 1, older % size, archive_page_count(total=len(rows))


def _write_month_and_index(day: date, site: SiteInfo) -> list[Path]:
    """Rewrite a month's archive page (or remove it when empty) and the index."""
    changed = []
    month = month_path(day.year, day.month)
    days = story_day_counts(day.year, day.month)
    key = f"{day.year:04d}-{day.month:02d}"
    summary_set(Kind.MONTH, key, Tally(sum(d.count for d in days), None))
    if days:
        changed.append(
            _write(
                month,
                renderer.render_month(
                    year=day.year, month=day.month, site=site, days=days
                ),
            )
        )
    elif remove_file(output_path(month)):
        changed.append(output_path(month))
    index = renderer.render_date_index(site=site, months=_archive_months())
    changed.append(_write(DATE_ARCHIVE_PATH, index))
    return changed


def _archive_months() -> list[MonthCount]:
    """Return the date archive's months, newest first, from their summaries."""
    months = []
    for key, tally in sorted(
        summary_lists(Kind.MONTH)[Kind.MONTH].items(), reverse=True
    ):
        year, month = key.split("-")
        months.append(month_count(int(year), int(month), tally.count))
    return months


def _write_dates_with(story: StoryPage, site: SiteInfo) -> list[Path]:
    """Write the day page a live story falls on, its month page and the index."""
    if story.first_published_at is None:
        return []
    day = local_day(story.first_published_at)
    number, place, last = _day_position(story, day)
    pages = (
        [number - 1, number]
        if number == last and number > 1 and place == 0
        else [number]
    )
    written = [
        _write(day_page_path(day, n), renderer.render_day(day=day, number=n, site=site))
        for n in pages
    ]
    return written + _write_month_and_index(day, site)


def _write_dates_without(story: StoryPage, site: SiteInfo) -> list[Path]:
    """Rewrite a day's pages from the one a story left, its month and the index."""
    if story.first_published_at is None:
        return []
    day = local_day(story.first_published_at)
    number, _, last = _day_position(story, day)
    changed = []
    if last:
        for n in range(min(number, last), last + 1):
            changed.append(
                _write(
                    day_page_path(day, n),
                    renderer.render_day(day=day, number=n, site=site),
                )
            )
    elif remove_file(output_path(day_path(day))):
        changed.append(output_path(day_path(day)))
    changed += _remove_numbered_pages_after(output_path(day_path(day)).parent, last)
    return changed + _write_month_and_index(day, site)


@dataclass(frozen=True)
class StorySnapshot:
    """The byline and tags a story had when it was last published before now."""

    authors: Sequence[Person] = ()
    tags: Sequence[Tag] = ()


@_writing_in_background
def site_publish_story(
    *, story: StoryPage, previously: StorySnapshot | None = None
) -> list[Path]:
    """Write a live story's page and the pages listing it; return the files written.

    Those are the story page, the home page, its section front and the archive page
    it falls on (and the one before, when it opens a new page, for its "newer"
    link), the same pages of each of its authors and tags, its day, month and the
    date archive's index, the RSS feed and the sitemaps that changed.
    ``previously`` is what the story was published with before: people and tags
    dropped since have their pages rewritten without it. A story no longer live is
    left alone.
    """
    live = story_list_live().filter(pk=story.pk).first()
    if live is None:
        return []
    site = site_info()
    sections = section_map()
    section = section_of(live, sections)
    written = [
        _write(
            public_path(live),
            renderer.render_story(story=live, site=site, sections=sections),
        ),
        *_write_home(site),
    ]
    if section is not None and section.live:
        written += _write_listing_with(_section_listing(section, site), live)
    people = _distinct(byline_people(live))
    tags = _distinct(story_tags(live))
    for person in people:
        written += _write_listing_with(_author_listing(person, site), live)
    for tag in tags:
        written += _write_listing_with(_tag_listing(tag, site), live)
    if previously is not None:
        kept_people = {person.pk for person in people}
        kept_tags = {tag.pk for tag in tags}
        for person in _distinct(previously.authors):
            if person.pk not in kept_people:
                written += _write_listing_without(_author_listing(person, site), live)
        for tag in _distinct(previously.tags):
            if tag.pk not in kept_tags:
                written += _write_listing_without(_tag_listing(tag, site), live)
    written += _write_dates_with(live, site)
    written.append(_write_feed())
    written += sitemaps.sitemaps_write_for_story(story=live)
    written += _write_redirects(redirects.redirect_list_to(live), site)
    return written


def _write_redirects(found: Sequence[Redirect], site: SiteInfo) -> list[Path]:
    """Write (or remove) the redirect files of some redirects; return them."""
    changed = []
    for path, content in redirects.redirect_files(found, site=site):
        if content is None:
            changed += redirects.redirect_remove(path)
        else:
            changed.append(_write(path, content))
    return changed


@_writing_in_background
def site_write_redirect(*, redirect: Redirect) -> list[Path]:
    """Write the file of a redirect an editor (or a move) made; return it."""
    return _write_redirects([redirect], site_info())


@_writing_in_background
def site_remove_redirect(*, path: str) -> list[Path]:
    """Remove the file of a deleted redirect from its reader path (never a page)."""
    return redirects.redirect_remove(path)


_T = TypeVar("_T", Person, Tag)


def _distinct(items: Iterable[_T]) -> list[_T]:
    """Return people or tags in order, each once (a byline may name someone twice)."""
    return list({item.pk: item for item in items}.values())


@_writing_in_background
def site_unpublish_story(
    *,
    story: StoryPage,
    path: str,
    authors: Sequence[Person] | None = None,
    tags: Sequence[Tag] | None = None,
) -> list[Path]:
    """Remove a story's page from the site and rewrite the pages that listed it.

    ``path`` is the story's reader path when it was unpublished, ``authors`` and
    ``tags`` its byline's people and its tags then (by default, read from the story:
    pass them when the story is being deleted). The archive pages of its section,
    of each author and tag and of its day, from the one it was on to the last, are
    rewritten (the stories after it move up one place); an author or tag with no
    live story left loses their page. Returns the files written and removed.
    """
    if StoryPage.objects.filter(pk=story.pk, live=True).exists():
        return []  # published again before this ran: the publisher has it
    story_file = output_path(path)
    changed = [story_file] if remove_file(story_file) else []
    site = site_info()
    changed += _write_home(site)
    section = section_of(story)
    if section is not None and section.live:
        changed += _write_listing_without(_section_listing(section, site), story)
    if authors is None:
        authors = byline_people(story)
    if tags is None:
        tags = story_tags(story)
    for person in _distinct(authors):
        changed += _write_listing_without(_author_listing(person, site), story)
    for tag in _distinct(tags):
        changed += _write_listing_without(_tag_listing(tag, site), story)
    changed += _write_dates_without(story, site)
    for redirect in redirects.redirect_list_to(story):
        path_of = redirects.redirect_path(redirect)
        if path_of is not None:
            changed += redirects.redirect_remove(path_of)
    changed += _rewrite_stories_offering(
        story, path, tags, section=section, sections=section_map()
    )
    changed.append(_write_feed())
    changed += sitemaps.sitemaps_write_for_story(story=story)
    return changed


@_writing_in_background
def site_move_story(
    *,
    story: StoryPage,
    old_path: str,
    old_section: SectionPage | None = None,
) -> list[Path]:
    """Take a live story's old address off the site after it moved; return the files
    written and removed.

    The page at ``old_path`` becomes a redirect to the new address (see
    ``newsdesk.publishing.redirects``), and later stories offering it as "Read
    next" there are rewritten. Moved from ``old_section`` to another section, the old
    section's pages are rewritten without it and the story is published afresh at
    its new address; after a new slug, the publish that carried it wrote that.
    """
    live = story_list_live().filter(pk=story.pk).first()
    if live is None:
        return []
    old_file = output_path(old_path)
    changed = [old_file] if remove_file(old_file) else []
    if getattr(settings, "WAGTAILREDIRECTS_AUTO_CREATE", True):
        # Wagtail records the redirect too (a rebuild writes it from there), but
        # perhaps only after this runs: the move itself says where the story went.
        stub = redirects.render_redirect(target=public_path(live), site=site_info())
        changed.append(_write(old_path, stub))
    sections = section_map()
    section = section_of(live, sections)
    moved_away = old_section is not None and (
        section is None or section.pk != old_section.pk
    )
    if old_section is not None and moved_away:
        old_section = SectionPage.objects.get(pk=old_section.pk)
        if old_section.live:
            listing = _section_listing(old_section, site_info())
            changed += _write_listing_without(listing, live)
    changed += _rewrite_stories_offering(
        live,
        old_path,
        story_tags(live),
        section=old_section if moved_away else section,
        sections=sections,
    )
    if moved_away:
        changed += site_publish_story(story=live)
    return changed


# A later story offers an earlier one under "Read next" when they share a tag, or
# when it is among the section's newest before it; past this many section stories
# after it, none can (four places, less those taken by tag matches).
_SECTION_NEIGHBOURS = 2 * RELATED_SIZE


def _rewrite_stories_offering(
    story: StoryPage,
    path: str,
    tags: Sequence[Tag],
    *,
    section: SectionPage | None,
    sections: Mapping[str, SectionPage],
) -> list[Path]:
    """Rewrite the pages of live stories that offer a story as "Read next" at a path
    it no longer has (taken down, moved, or given a new slug).

    The candidates are the later stories sharing a tag with it and the few after
    it in ``section`` (where it was); a candidate's page is rewritten when the file
    links the path. The story itself is never a candidate.
    """
    later = story_list_live().exclude(pk=story.pk)
    if story.first_published_at is not None:
        later = later.filter(first_published_at__gt=story.first_published_at)
    candidates: dict[int, StoryPage] = {}
    if tags:
        for candidate in later.filter(tagged_items__tag__in=[t.pk for t in tags]):
            candidates[candidate.pk] = candidate
    if section is not None:
        in_section_later = later.filter(in_section(section))
        neighbours = in_section_later.order_by(*oldest_first())
        for candidate in neighbours[:_SECTION_NEIGHBOURS]:
            candidates[candidate.pk] = candidate
    link = f'href="{escape(path)}"'.encode()  # as the templates write it
    rewritten = []
    site = site_info()
    for candidate in candidates.values():
        page = output_path(public_path(candidate))
        try:
            offers = link in page.read_bytes()
        except FileNotFoundError:
            continue
        if offers:
            content = renderer.render_story(
                story=candidate, site=site, sections=sections
            )
            rewritten.append(_write(public_path(candidate), content))
    return rewritten


@_writing_in_background
def site_publish_section(*, section: SectionPage) -> list[Path]:
    """Rewrite the home page, a section's front and the fronts sitemap."""
    site = site_info()
    written = _write_home(site)
    section = SectionPage.objects.get(pk=section.pk)
    if section.live:
        written.append(
            _write(public_path(section), _section_listing(section, site).front())
        )
    return written + sitemaps.sitemaps_write_for_fronts()


@_writing_in_background
def site_publish_home() -> list[Path]:
    """Rewrite the home page and the fronts sitemap."""
    return _write_home(site_info()) + sitemaps.sitemaps_write_for_fronts()


@_writing_in_background
def site_unpublish_section(*, section: SectionPage, path: str) -> list[Path]:
    """Remove a section's front and archive, rewrite the home page and fronts sitemap."""
    front = output_path(path)
    removed = [front] if remove_file(front) else []
    removed += _remove_archive_pages_after(path, 0)
    return removed + _write_home(site_info()) + sitemaps.sitemaps_write_for_fronts()


@_writing_in_background
def site_publish_info_page(*, page: InfoPage) -> list[Path]:
    """Write an information page (about, contribute ...) if it is live.

    Every page's footer links the information pages: when one is added, renamed
    or moved, the caller rebuilds the site for the links to follow.
    """
    page = InfoPage.objects.get(pk=page.pk)
    if not page.live:
        return []
    content = renderer.render_info_page(page=page, site=site_info())
    return [_write(public_path(page), content), *sitemaps.sitemaps_write_for_fronts()]


def site_remove_page(*, path: str) -> list[Path]:
    """Remove the file of a reader path (an information page taken off the site)."""
    page = output_path(path)
    return [page] if remove_file(page) else []


# --- full rebuild --------------------------------------------------------------------


@dataclass(frozen=True)
class _StoryBatch:
    """What every story page of a rebuild needs, shared with worker processes."""

    stories: Sequence[StoryPage]
    site: SiteInfo
    sections: Mapping[str, SectionPage]
    # Worked out before the workers start: they must not write to the database,
    # and one pass over all stories is cheaper than a query for each.
    related: Mapping[int, Sequence[StoryPage]]
    lead_images: Mapping[int, LeadImage]


# Set before worker processes fork, so they inherit the stories instead of being sent
# them; read by _write_story_range in the workers.
_batch: _StoryBatch | None = None
# Database connections a worker inherited: kept referenced so that they are never
# closed from the worker (that would close the parent's connection to the server).
_inherited_connections: list[Any] = []


def _write_story_range_of(batch: _StoryBatch, start: int, stop: int) -> list[Path]:
    return [
        _rebuild_write(
            public_path(story),
            renderer.render_story(
                story=story,
                site=batch.site,
                sections=batch.sections,
                related=batch.related[story.pk],
                lead_image=batch.lead_images.get(story.pk),
            ),
        )
        for story in batch.stories[start:stop]
    ]


def _write_story_range(start: int, stop: int) -> list[str]:
    """Write stories ``start:stop`` of the inherited batch (in a worker process)."""
    assert _batch is not None  # noqa: S101 (set before the pool starts)
    with _collecting_images():
        return [str(path) for path in _write_story_range_of(_batch, start, stop)]


def _forget_parent_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _inherited_connections.append(connection.connection)
            connection.connection = None


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _ranges(count: int, step: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, step):
        yield start, min(start + step, count)


def _write_stories(
    batch: _StoryBatch,
    *,
    workers: int,
    tick: Callable[[int], None],
    journal: _Journal,
) -> list[Path]:
    global _batch
    count = len(batch.stories)
    if workers <= 1:
        written = []
        for start, stop in _ranges(count, 1):
            done = _write_story_range_of(batch, start, stop)
            journal.record(done)
            written += done
            tick(stop - start)
        return written
    if not any(c.in_atomic_block for c in connections.all(initialized_only=True)):
        # A forked worker must not share the parent's socket or SQLite handle; each
        # opens its own connection if a rich-text link makes it query.
        connections.close_all()
    _batch = batch
    paths: list[Path] = []
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_forget_parent_connections,
        ) as pool:
            futures = [
                pool.submit(_write_story_range, start, stop)
                for start, stop in _ranges(count, STORIES_PER_TASK)
            ]
            for future in as_completed(futures):
                done = [Path(p) for p in future.result()]
                journal.record(done)
                paths += done
                tick(len(done))
    finally:
        _batch = None
    return paths


class _Journal:
    """The files an unfinished rebuild wrote, so that the next one resumes after them.

    One line per file, appended as files are written; the first line holds when
    the rebuild started. A finished rebuild deletes it. Pages published while a
    rebuild was stopped were written by the publisher, so skipping files the
    journal names loses nothing; after a template change, start afresh.
    """

    def __init__(self, root: Path, *, resume: bool) -> None:
        self.path = root / REBUILD_JOURNAL
        self.started = time.time()
        self.done: set[str] = set()
        if resume and self.path.exists():
            first, *rest = self.path.read_text(encoding="utf-8").splitlines() or [""]
            try:
                self.started = float(json.loads(first)["started"])
                self.done = set(rest)
            except (ValueError, KeyError, TypeError):
                logger.warning("Ignoring an unreadable rebuild journal %s", self.path)
        if not self.done:
            self.path.write_text(
                json.dumps({"started": self.started}) + "\n", encoding="utf-8"
            )
        self._file = self.path.open("a", encoding="utf-8")

    def __contains__(self, path: Path) -> bool:
        return str(path) in self.done

    def record(self, paths: Iterable[Path]) -> None:
        self._file.writelines(f"{path}\n" for path in paths)
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def finish(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _remove_stale(root: Path, keep: set[Path], *, older_than: float) -> list[Path]:
    """Remove pages not written by this rebuild and temporary files writers left."""
    removed = []
    resolved_root = root.resolve()
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            stale_temp = name.startswith(".") and name.endswith(TEMP_SUFFIX)
            if name != INDEX and not stale_temp:
                continue
            # Temporary files get a grace period for slow writers.
            limit = older_than - STALE_TEMP_SECONDS if stale_temp else older_than
            if remove_if_stale(path, keep=keep, older_than=limit, root=resolved_root):
                removed.append(path)
    return removed


def _front_and_archive_pages(
    front_path: str,
    newest_first: Sequence[StoryPage],
    *,
    front: Callable[..., bytes],
    archive: Callable[..., bytes],
) -> list[tuple[str, Callable[[], bytes]]]:
    """Return a front (section, author, tag) and its archive pages, numbered from the
    oldest; ``front(stories=...)`` and ``archive(number=..., stories=...)`` render."""
    oldest_first = newest_first[::-1]
    pages: list[tuple[str, Callable[[], bytes]]] = [
        (front_path, partial(front, stories=newest_first))
    ]
    for number in range(1, archive_page_count(total=len(oldest_first)) + 1):
        pages.append(
            (
                archive_path(front_path, number),
                partial(archive, number=number, stories=oldest_first),
            )
        )
    return pages


def _listing_rebuild_pages(
    stories: Sequence[StoryPage],
    members: Callable[[StoryPage], Iterable[_T]],
    path: Callable[[_T], str],
    front: Callable[..., bytes],
    archive: Callable[..., bytes],
    keyword: str,
    site: SiteInfo,
    sections: Mapping[str, SectionPage],
) -> list[tuple[str, Callable[[], bytes]]]:
    """Return every author's or tag's page and archive pages (stories newest first).

    ``members(story)`` gives a story's people or tags; ``front`` and ``archive``
    render, taking the person or tag as ``keyword``.
    """
    owners: dict[int, _T] = {}
    by_owner: dict[int, list[StoryPage]] = defaultdict(list)
    for story in stories:
        for owner in _distinct(members(story)):
            owners.setdefault(owner.pk, owner)
            by_owner[owner.pk].append(story)
    pages: list[tuple[str, Callable[[], bytes]]] = []
    for pk, owner in owners.items():
        given = {keyword: owner, "site": site, "sections": sections}
        pages += _front_and_archive_pages(
            path(owner),
            by_owner[pk],
            front=partial(front, **given),
            archive=partial(archive, **given),
        )
    return pages


def _date_rebuild_pages(
    stories: Sequence[StoryPage], site: SiteInfo, sections: Mapping[str, SectionPage]
) -> list[tuple[str, Callable[[], bytes]]]:
    """Return every day's pages, every month's page and the date archive's index."""
    by_day: dict[date, list[StoryPage]] = defaultdict(list)
    for story in reversed(stories):  # oldest first, as days list them
        if story.first_published_at is not None:
            by_day[local_day(story.first_published_at)].append(story)
    per_month: dict[tuple[int, int], int] = defaultdict(int)
    for day, on_day in by_day.items():
        per_month[(day.year, day.month)] += len(on_day)
    newest_first = [
        month_count(year, month, count)
        for (year, month), count in sorted(per_month.items(), reverse=True)
    ]
    pages: list[tuple[str, Callable[[], bytes]]] = [
        (
            DATE_ARCHIVE_PATH,
            partial(renderer.render_date_index, site=site, months=newest_first),
        )
    ]
    for year, month in sorted(per_month):
        pages.append(
            (
                month_path(year, month),
                partial(renderer.render_month, year=year, month=month, site=site),
            )
        )
    for day, on_day in by_day.items():
        for number in range(1, archive_page_count(total=len(on_day)) + 1):
            pages.append(
                (
                    day_page_path(day, number),
                    partial(
                        renderer.render_day,
                        day=day,
                        number=number,
                        site=site,
                        stories=on_day,
                        sections=sections,
                    ),
                )
            )
    return pages


def site_rebuild(
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    resume: bool = True,
) -> int:
    """Write every page of the reader site and remove pages no longer live.

    Returns the number of files written, by this call and, when it resumes an
    interrupted rebuild (``resume``, the default), by the one before.
    ``progress(done, total)`` is called as files are written. Story pages are
    rendered on every core (``workers``, by default the number of CPUs when there
    are many stories).
    """
    root = output_root()
    root.mkdir(parents=True, exist_ok=True)
    journal = _Journal(root, resume=resume)
    try:
        with _collecting_images():
            return _rebuild(root, journal, progress=progress, workers=workers)
    finally:
        journal.close()


def _rebuild(
    root: Path,
    journal: _Journal,
    *,
    progress: Progress | None,
    workers: int | None,
) -> int:
    started = journal.started
    live_sections = list(section_list_live())
    site = site_info(sections=live_sections)
    sections = section_map()
    stories = list(
        story_list_live()
        .select_related("lead_image")
        .prefetch_related("tags", "corrections", "lead_image__renditions")
    )
    by_section: dict[str, list[StoryPage]] = defaultdict(list)
    for story in stories:  # newest first, as on the fronts
        by_section[story.path[: -story.steplen]].append(story)

    pages: list[tuple[str, Callable[[], bytes]]] = []
    home = home_get()
    if home is not None and home.live:
        pages.append(("/", partial(renderer.render_home, home=home, site=site)))
    for section in live_sections:
        pages += _front_and_archive_pages(
            public_path(section),
            by_section[section.path],
            front=partial(renderer.render_section_front, section=section, site=site),
            archive=partial(
                renderer.render_section_archive, section=section, site=site
            ),
        )
    pages += _listing_rebuild_pages(
        stories,
        byline_people,
        author_path,
        renderer.render_author_front,
        renderer.render_author_archive,
        "person",
        site,
        sections,
    )
    pages += _listing_rebuild_pages(
        stories,
        story_tags,
        tag_path,
        renderer.render_tag_front,
        renderer.render_tag_archive,
        "tag",
        site,
        sections,
    )
    pages += _date_rebuild_pages(stories, site, sections)
    for info_page in info_page_list_live():
        pages.append(
            (
                public_path(info_page),
                partial(renderer.render_info_page, page=info_page, site=site),
            )
        )
    pages.append((FEED_PATH, render_feed))
    pages.append((FAVICON_PATH, renderer.render_favicon))
    pages.append((NOT_FOUND_PATH, partial(renderer.render_not_found, site=site)))
    summaries_replace(summaries_from_stories(stories))
    pages += sitemaps.sitemap_rebuild_files()

    total = len(pages) + len(stories)
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    written: list[Path] = [Path(path) for path in journal.done]
    if journal.done:
        tick(len(journal.done))
    for reader_path, render in pages:
        if output_path(reader_path) in journal:
            continue
        written.append(_rebuild_write(reader_path, render()))
        journal.record(written[-1:])
        tick(1)
    remaining = [s for s in stories if output_path(public_path(s)) not in journal]
    if workers is None:
        many = len(remaining) >= PARALLEL_MIN_STORIES
        workers = _usable_cpus() if many else 1
    batch = _StoryBatch(
        stories=remaining,
        site=site,
        sections=sections,
        related=story_related_map(stories),
        lead_images={
            story.pk: lead
            for story in remaining
            if story.lead_image_id is not None
            and (lead := story_lead_image(story)) is not None
        },
    )
    taken = frozenset(path for path, _ in pages) | {public_path(s) for s in stories}
    for path, content in redirects.redirect_files(
        redirects.redirect_list_all(), site=site, taken=taken
    ):
        if content is not None and output_path(path) not in journal:
            written.append(_rebuild_write(path, content))
            journal.record(written[-1:])
        _images_in_place()  # the lead images, made here before the workers start
    written += _write_stories(batch, workers=workers, tick=tick, journal=journal)
    flush_to_disk()
    removed = _remove_stale(root, set(written), older_than=started)
    removed += sitemaps.sitemaps_remove_stale(keep=set(written), older_than=started)
    # Only a finished full rebuild leaves this mark; single publishes (the demo
    # import publishes its sections) write index.html but not the whole site.
    write_file(root / BUILT_MARKER, b"A full build of the reader site finished here.\n")
    journal.finish()
    logger.info(
        "Rebuilt the reader site: %d files written, %d removed in %.1f s",
        len(written),
        len(removed),
        time.time() - started,
    )
    return len(written)
