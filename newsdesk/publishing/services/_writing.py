"""Writing a publish's files: on writer threads, with the pictures they show."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

from newsdesk.stories.images import renditions_used
from newsdesk.stories.models import SectionPage, StoryPage
from newsdesk.stories.selectors import (
    SiteInfo,
    corrections_page_count,
    corrections_page_path,
    home_get,
)

from .. import renderer
from ..feeds import (
    FEED_FORMATS,
    FeedList,
    FeedRenderer,
    feed_story_ids,
    feed_story_lists,
)
from ..output import (
    output_path,
    remove_file,
    write_file,
    write_file_soon,
    writes_in_background,
)
from ..storage import rendition_publish

FAVICON_PATH = "/favicon.svg"


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


def _write_corrections(site: SiteInfo) -> list[Path]:
    """Rewrite the corrections pages (a story published or taken down may add or
    remove some), and remove older pages there are no longer corrections for."""
    pages = corrections_page_count()
    written = [
        _write(
            corrections_page_path(number),
            renderer.render_corrections(site=site, number=number),
        )
        for number in range(1, pages + 1)
    ]
    older = output_path(corrections_page_path(2)).parent.parent
    if older.is_dir():
        for folder in older.iterdir():
            if folder.name.isdigit() and int(folder.name) > pages:
                page = folder / "index.html"
                if remove_file(page):
                    written.append(page)
    return written


def _write_feeds(
    feeds: Sequence[FeedList],
    site: SiteInfo,
    sections: Mapping[str, SectionPage] | None = None,
    *,
    holding: StoryPage | None = None,
    left: Sequence[FeedList] = (),
) -> list[Path]:
    """Rewrite the feeds of some lists in every format; return the files written and
    removed.

    The lists' stories are read together and each story's entry is made once. A list
    left without live stories loses its feeds unless it is kept (the site's and a
    live section's stay, empty). With ``holding``, a story just published, a list of
    ``feeds`` whose feeds it is not in (an old story corrected is not among the
    newest) is left as it is, if its feeds are there; the lists it ``left`` are
    rewritten all the same.
    """
    listed = {feed.path: feed for feed in feeds}
    unique = [*listed.values(), *(f for f in left if f.path not in listed)]
    ids = feed_story_ids(unique)
    if holding is not None:
        kept = [
            n
            for n, (feed, group) in enumerate(zip(unique, ids, strict=True))
            if n >= len(listed) or holding.pk in group or not _feeds_exist(feed)
        ]
        unique, ids = [unique[n] for n in kept], [ids[n] for n in kept]
    found = feed_story_lists(unique, ids)
    feed_renderer = FeedRenderer(site=site, sections=sections, parts=found.parts)
    changed = []
    for feed, stories in zip(unique, found.lists, strict=True):
        if not stories and not feed.kept_when_empty:
            changed += _remove_feeds(feed)
            continue
        for fmt in FEED_FORMATS:
            content = feed_renderer.render(feed, stories, fmt)
            changed.append(_write(feed.feed_path(fmt), content))
    return changed


def _feeds_exist(feed: FeedList) -> bool:
    return all(output_path(path).exists() for path in feed.feed_paths())


def _remove_feeds(feed: FeedList) -> list[Path]:
    """Remove a list's feed files (its page is gone); return those that were there."""
    files = [output_path(path) for path in feed.feed_paths()]
    return [file for file in files if remove_file(file)]
