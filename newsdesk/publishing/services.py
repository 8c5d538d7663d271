"""Write the reader site into the output folder: one story's pages, or all of it.

Publishing a story touches a fixed number of files (its page, the home page, its
section front, the archive page it falls on, the same two pages of each of its
authors, the feed and the sitemaps it is on), never the whole archive:
archive pages are numbered from the oldest story, so adding a story changes only the
last one.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from newsdesk.core.files import TEMP_SUFFIX
from newsdesk.stories.models import Person, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    FEED_PATH,
    SiteInfo,
    archive_page_count,
    archive_path,
    author_path,
    byline_people,
    home_get,
    public_path,
    section_list_live,
    section_map,
    section_of,
    site_info,
    story_count_older,
    story_list_live,
)

from . import renderer, sitemaps
from .feeds import render_feed
from .output import (
    INDEX,
    flush_to_disk,
    output_path,
    output_root,
    remove_file,
    remove_if_stale,
    write_file,
)

logger = logging.getLogger(__name__)

NOT_FOUND_PATH = "/404.html"
BUILT_MARKER = ".newsdesk-built"
ARCHIVE_FOLDER = "archive"
# Below this many stories a rebuild renders in this process: starting workers costs
# more than it saves.
PARALLEL_MIN_STORIES = 400
STORIES_PER_TASK = 100
# A temporary file older than this was left by a writer that died.
STALE_TEMP_SECONDS = 600

Progress = Callable[[int, int], None]


def _write(reader_path: str, content: bytes) -> Path:
    return write_file(output_path(reader_path), content)


def _rebuild_write(reader_path: str, content: bytes) -> Path:
    return write_file(
        output_path(reader_path), content, durable=False, skip_unchanged=True
    )


def _write_home(site: SiteInfo) -> list[Path]:
    home = home_get()
    if home is None or not home.live:
        return []
    return [_write("/", renderer.render_home(home=home, site=site))]


def _write_section_front(section: SectionPage, site: SiteInfo) -> Path:
    content = renderer.render_section_front(section=section, site=site)
    return _write(public_path(section), content)


def _write_archive(section: SectionPage, number: int, site: SiteInfo) -> Path:
    content = renderer.render_section_archive(section=section, number=number, site=site)
    return _write(archive_path(public_path(section), number), content)


def _write_feed() -> Path:
    return _write(FEED_PATH, render_feed())


def _write_author_front(person: Person, site: SiteInfo) -> Path:
    content = renderer.render_author_front(person=person, site=site)
    return _write(author_path(person), content)


def _write_author_archive(person: Person, number: int, site: SiteInfo) -> Path:
    content = renderer.render_author_archive(person=person, number=number, site=site)
    return _write(archive_path(author_path(person), number), content)


def _archive_position(
    story: StoryPage,
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
) -> tuple[int, int, int]:
    """Return (page number, place on that page from 0, number of pages)."""
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    older = story_count_older(story=story, section=section, author=author)
    total = story_list_live(section=section, author=author).count()
    return older // size + 1, older % size, archive_page_count(total=total)


def _remove_archive_pages_after(front_path: str, last: int) -> list[Path]:
    folder = output_path(front_path).parent / ARCHIVE_FOLDER
    if not folder.is_dir():
        return []
    removed = []
    for child in folder.iterdir():
        if child.name.isdigit() and int(child.name) > last:
            page = child / INDEX
            if remove_file(page):
                removed.append(page)
    return removed


def site_publish_story(*, story: StoryPage) -> list[Path]:
    """Write a live story's page and the pages listing it; return the files written.

    Those are the story page, the home page, its section front, the archive page it
    falls on (and the one before, when it opens a new page, for its "newer" link),
    the RSS feed and the sitemaps that changed. A story no longer live is left alone.
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
        written.append(_write_section_front(section, site))
        number, place, last = _archive_position(live, section=section)
        written.append(_write_archive(section, number, site))
        if number == last and number > 1 and place == 0:
            written.append(_write_archive(section, number - 1, site))
    for person in _distinct(byline_people(live)):
        written.append(_write_author_front(person, site))
        number, place, last = _archive_position(live, author=person)
        written.append(_write_author_archive(person, number, site))
        if number == last and number > 1 and place == 0:
            written.append(_write_author_archive(person, number - 1, site))
    written.append(_write_feed())
    written += sitemaps.sitemaps_write_for_story(story=live)
    return written


def _distinct(people: Iterable[Person]) -> list[Person]:
    """Return people in order, each once (a byline may name someone twice)."""
    return list({person.pk: person for person in people}.values())


def site_unpublish_story(
    *, story: StoryPage, path: str, authors: Sequence[Person] | None = None
) -> list[Path]:
    """Remove a story's page from the site and rewrite the pages that listed it.

    ``path`` is the story's reader path when it was unpublished, ``authors`` the
    people of its byline then (by default, read from the story: pass them when the
    story is being deleted). The archive pages of its section and of each author,
    from the one it was on to the last, are rewritten (the stories after it move up
    one place); an author with no live story left loses their page. Returns the
    files written and removed.
    """
    if StoryPage.objects.filter(pk=story.pk, live=True).exists():
        return []  # published again before this ran: the publisher has it
    story_file = output_path(path)
    changed = [story_file] if remove_file(story_file) else []
    site = site_info()
    changed += _write_home(site)
    section = section_of(story)
    if section is not None and section.live:
        changed.append(_write_section_front(section, site))
        number, _, last = _archive_position(story, section=section)
        for page in range(min(number, last), last + 1) if last else ():
            changed.append(_write_archive(section, page, site))
        changed += _remove_archive_pages_after(public_path(section), last)
    if authors is None:
        authors = byline_people(story)
    for person in _distinct(authors):
        changed += _rewrite_author_from(story, person, site)
    changed.append(_write_feed())
    changed += sitemaps.sitemaps_write_for_story(story=story)
    return changed


def _rewrite_author_from(
    story: StoryPage, person: Person, site: SiteInfo
) -> list[Path]:
    """Rewrite a person's pages from the one a story left on, or remove them all."""
    front = author_path(person)
    number, _, last = _archive_position(story, author=person)
    if not last:
        front_file = output_path(front)
        removed = [front_file] if remove_file(front_file) else []
        return removed + _remove_archive_pages_after(front, 0)
    changed = [_write_author_front(person, site)]
    for page in range(min(number, last), last + 1):
        changed.append(_write_author_archive(person, page, site))
    return changed + _remove_archive_pages_after(front, last)


def site_publish_section(*, section: SectionPage) -> list[Path]:
    """Rewrite the home page, a section's front and the fronts sitemap."""
    site = site_info()
    written = _write_home(site)
    section = SectionPage.objects.get(pk=section.pk)
    if section.live:
        written.append(_write_section_front(section, site))
    return written + sitemaps.sitemaps_write_for_fronts()


def site_publish_home() -> list[Path]:
    """Rewrite the home page and the fronts sitemap."""
    return _write_home(site_info()) + sitemaps.sitemaps_write_for_fronts()


def site_unpublish_section(*, section: SectionPage, path: str) -> list[Path]:
    """Remove a section's front and archive, rewrite the home page and fronts sitemap."""
    front = output_path(path)
    removed = [front] if remove_file(front) else []
    removed += _remove_archive_pages_after(path, 0)
    return removed + _write_home(site_info()) + sitemaps.sitemaps_write_for_fronts()


def site_remove_page(*, path: str) -> list[Path]:
    """Remove the file of a reader path (a story that moved to a new slug)."""
    page = output_path(path)
    return [page] if remove_file(page) else []


# --- full rebuild --------------------------------------------------------------------


@dataclass(frozen=True)
class _StoryBatch:
    """What every story page of a rebuild needs, shared with worker processes."""

    stories: Sequence[StoryPage]
    site: SiteInfo
    sections: Mapping[str, SectionPage]


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
                story=story, site=batch.site, sections=batch.sections
            ),
        )
        for story in batch.stories[start:stop]
    ]


def _write_story_range(start: int, stop: int) -> list[str]:
    """Write stories ``start:stop`` of the inherited batch (in a worker process)."""
    assert _batch is not None  # noqa: S101 (set before the pool starts)
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
    batch: _StoryBatch, *, workers: int, tick: Callable[[int], None]
) -> list[Path]:
    global _batch
    count = len(batch.stories)
    if workers <= 1:
        written = []
        for start, stop in _ranges(count, 1):
            written += _write_story_range_of(batch, start, stop)
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
                done = future.result()
                paths += [Path(p) for p in done]
                tick(len(done))
    finally:
        _batch = None
    return paths


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
    newest_first: list[StoryPage],
    *,
    front: Callable[..., bytes],
    archive: Callable[..., bytes],
) -> list[tuple[str, Callable[[], bytes]]]:
    """Return a front (section or author) and its archive pages, numbered from the
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


def _author_rebuild_pages(
    stories: Sequence[StoryPage], site: SiteInfo, sections: Mapping[str, SectionPage]
) -> list[tuple[str, Callable[[], bytes]]]:
    """Return every author page and archive page, from live stories newest first."""
    people: dict[int, Person] = {}
    by_person: dict[int, list[StoryPage]] = defaultdict(list)
    for story in stories:
        for person in _distinct(byline_people(story)):
            people.setdefault(person.pk, person)
            by_person[person.pk].append(story)
    pages: list[tuple[str, Callable[[], bytes]]] = []
    for pk, person in people.items():
        pages += _front_and_archive_pages(
            author_path(person),
            by_person[pk],
            front=partial(
                renderer.render_author_front,
                person=person,
                site=site,
                sections=sections,
            ),
            archive=partial(
                renderer.render_author_archive,
                person=person,
                site=site,
                sections=sections,
            ),
        )
    return pages


def site_rebuild(
    *, progress: Progress | None = None, workers: int | None = None
) -> int:
    """Write every page of the reader site and remove pages no longer live.

    Returns the number of files written. ``progress(done, total)`` is called as
    files are written. Story pages are rendered on every core (``workers``, by
    default the number of CPUs when there are many stories).
    """
    started = time.time()
    root = output_root()
    root.mkdir(parents=True, exist_ok=True)
    live_sections = list(section_list_live())
    site = site_info(sections=live_sections)
    sections = section_map()
    stories = list(story_list_live())
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
    pages += _author_rebuild_pages(stories, site, sections)
    pages.append((FEED_PATH, render_feed))
    pages.append((NOT_FOUND_PATH, partial(renderer.render_not_found, site=site)))
    pages += sitemaps.sitemap_rebuild_files()

    total = len(pages) + len(stories)
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    written: list[Path] = []
    for reader_path, render in pages:
        written.append(_rebuild_write(reader_path, render()))
        tick(1)
    if workers is None:
        many = len(stories) >= PARALLEL_MIN_STORIES
        workers = _usable_cpus() if many else 1
    batch = _StoryBatch(stories=stories, site=site, sections=sections)
    written += _write_stories(batch, workers=workers, tick=tick)
    flush_to_disk()
    removed = _remove_stale(root, set(written), older_than=started)
    removed += sitemaps.sitemaps_remove_stale(keep=set(written), older_than=started)
    # Only a finished full rebuild leaves this mark; single publishes (the demo
    # import publishes its sections) write index.html but not the whole site.
    write_file(root / BUILT_MARKER, b"A full build of the reader site finished here.\n")
    logger.info(
        "Rebuilt the reader site: %d files written, %d removed in %.1f s",
        len(written),
        len(removed),
        time.time() - started,
    )
    return len(written)
