"""The full rebuild: every page of the reader site, on every core, resumable."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from django.db import connections

from newsdesk.core.files import TEMP_SUFFIX
from newsdesk.stories.models import SectionPage, StoryPage
from newsdesk.stories.selectors import (
    DATE_ARCHIVE_PATH,
    LeadImage,
    SiteInfo,
    archive_page_count,
    archive_path,
    author_path,
    byline_people,
    corrections_page_count,
    corrections_page_path,
    day_page_path,
    home_get,
    info_page_list_live,
    local_day,
    month_count,
    month_path,
    public_path,
    section_list_live,
    section_map,
    site_info,
    story_lead_image,
    story_list_live,
    story_related_map,
    story_tags,
    tag_path,
)

from .. import redirects, renderer, sitemaps
from ..feeds import (
    FEED_FILE_NAMES,
    FEED_FORMATS,
    FeedList,
    FeedRenderer,
    author_feed_list,
    section_feed_list,
    site_feed_list,
    tag_feed_list,
)
from ..output import (
    INDEX,
    flush_to_disk,
    output_path,
    output_root,
    remove_if_stale,
    write_file,
)
from ..summaries import (
    summaries_from_stories,
    summaries_replace,
)
from ._listings import _T, _distinct
from ._writing import FAVICON_PATH, _collecting_images, _images_in_place, _rebuild_write

logger = logging.getLogger(__name__)

NOT_FOUND_PATH = "/404.html"
BUILT_MARKER = ".newsdesk-built"
# Present while a rebuild runs or after one was stopped: what it wrote so far.
REBUILD_JOURNAL = ".newsdesk-rebuild"
# Below this many stories a rebuild renders in this process: starting workers costs
# more than it saves.
PARALLEL_MIN_STORIES = 400
STORIES_PER_TASK = 100
# A temporary file older than this was left by a writer that died.
STALE_TEMP_SECONDS = 600

Progress = Callable[[int, int], None]


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
            if name != INDEX and name not in FEED_FILE_NAMES and not stale_temp:
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


def _feed_pages(
    feed: FeedList, newest_first: Sequence[StoryPage], feeds: FeedRenderer
) -> list[tuple[str, Callable[[], bytes]]]:
    """Return a list's feeds in every format, of its newest stories."""
    stories = newest_first[: feed.size]
    return [
        (feed.feed_path(fmt), partial(feeds.render, feed, stories, fmt))
        for fmt in FEED_FORMATS
    ]


def _listing_rebuild_pages(
    stories: Sequence[StoryPage],
    members: Callable[[StoryPage], Iterable[_T]],
    path: Callable[[_T], str],
    front: Callable[..., bytes],
    archive: Callable[..., bytes],
    keyword: str,
    site: SiteInfo,
    sections: Mapping[str, SectionPage],
    feed: Callable[[_T, SiteInfo], FeedList],
    feeds: FeedRenderer,
) -> list[tuple[str, Callable[[], bytes]]]:
    """Return every author's or tag's page, archive pages and feeds (stories newest
    first).

    ``members(story)`` gives a story's people or tags; ``front`` and ``archive``
    render, taking the person or tag as ``keyword``; ``feed`` gives its feeds' list.
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
        pages += _feed_pages(feed(owner, site), by_owner[pk], feeds)
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
        .prefetch_related("tags", "corrections", "updates", "lead_image__renditions")
    )
    by_section: dict[str, list[StoryPage]] = defaultdict(list)
    for story in stories:  # newest first, as on the fronts
        by_section[story.path[: -story.steplen]].append(story)

    pages: list[tuple[str, Callable[[], bytes]]] = []
    # Each story's feed entry is made once, however many feeds it is in.
    feeds = FeedRenderer(site=site, sections=sections)
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
        pages += _feed_pages(
            section_feed_list(section, site), by_section[section.path], feeds
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
        author_feed_list,
        feeds,
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
        tag_feed_list,
        feeds,
    )
    pages += _date_rebuild_pages(stories, site, sections)
    for info_page in info_page_list_live():
        pages.append(
            (
                public_path(info_page),
                partial(renderer.render_info_page, page=info_page, site=site),
            )
        )
    pages += _feed_pages(site_feed_list(site), stories, feeds)
    pages += [
        (
            corrections_page_path(number),
            partial(renderer.render_corrections, site=site, number=number),
        )
        for number in range(1, corrections_page_count() + 1)
    ]
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
