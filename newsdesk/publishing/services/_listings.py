"""The lists a story is on: fronts with numbered archive pages, and the date archive."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from taggit.models import Tag

from newsdesk.stories.models import Person, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    DATE_ARCHIVE_PATH,
    MonthCount,
    SiteInfo,
    archive_page_count,
    archive_path,
    author_path,
    day_page_path,
    day_path,
    local_day,
    month_count,
    month_path,
    public_path,
    story_count_live,
    story_count_older,
    story_day_counts,
    story_last_modified,
    story_list_live_on_day,
    tag_path,
)

from .. import renderer
from ..feeds import FeedList, author_feed_list, section_feed_list, tag_feed_list
from ..output import (
    INDEX,
    output_path,
    remove_file,
)
from ..summaries import (
    Key,
    Kind,
    Tally,
    changed_at,
    later,
    summary_get,
    summary_lists,
    summary_set,
)
from ._writing import _write

ARCHIVE_FOLDER = "archive"


@dataclass(frozen=True)
class _Listing:
    """A front with numbered archive pages: a section's, an author's or a tag's.

    ``scope`` narrows ``story_list_live()`` to its stories; a listing that is not
    ``kept_when_empty`` loses its pages with its last live story. ``feed`` is the
    list its feeds follow, written with its pages (see ``_write_feeds``).
    """

    front_path: str
    scope: Mapping[str, Any]
    front: Callable[..., bytes]  # front(total=live stories)
    archive: Callable[..., bytes]  # archive(number=n, total=live stories)
    summary: Key
    feed: FeedList
    kept_when_empty: bool = False


def _section_listing(section: SectionPage, site: SiteInfo) -> _Listing:
    return _Listing(
        front_path=public_path(section),
        scope={"section": section},
        front=partial(renderer.render_section_front, section=section, site=site),
        archive=partial(renderer.render_section_archive, section=section, site=site),
        summary=(Kind.SECTION, section.path),
        feed=section_feed_list(section, site),
        kept_when_empty=True,
    )


def _author_listing(person: Person, site: SiteInfo) -> _Listing:
    return _Listing(
        front_path=author_path(person),
        scope={"author": person},
        front=partial(renderer.render_author_front, person=person, site=site),
        archive=partial(renderer.render_author_archive, person=person, site=site),
        summary=(Kind.AUTHOR, str(person.pk)),
        feed=author_feed_list(person, site),
    )


def _tag_listing(tag: Tag, site: SiteInfo) -> _Listing:
    return _Listing(
        front_path=tag_path(tag),
        scope={"tag": tag},
        front=partial(renderer.render_tag_front, tag=tag, site=site),
        archive=partial(renderer.render_tag_archive, tag=tag, site=site),
        summary=(Kind.TAG, str(tag.pk)),
        feed=tag_feed_list(tag, site),
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


_T = TypeVar("_T", Person, Tag)


def _distinct(items: Iterable[_T]) -> list[_T]:
    """Return people or tags in order, each once (a byline may name someone twice)."""
    return list({item.pk: item for item in items}.values())
