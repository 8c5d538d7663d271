"""Sections, the home page and information pages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from newsdesk.stories.models import InfoPage, SectionPage
from newsdesk.stories.selectors import (
    public_path,
    site_info,
)

from .. import renderer, sitemaps
from ..feeds import section_feed_list
from ..output import (
    output_path,
    remove_file,
)
from ._listings import _remove_archive_pages_after, _section_listing
from ._writing import (
    _remove_feeds,
    _write,
    _write_feeds,
    _write_home,
    _writing_in_background,
)


@_writing_in_background
def site_publish_section(*, section: SectionPage) -> list[Path]:
    """Rewrite the home page, a section's front and feeds and the fronts sitemap."""
    site = site_info()
    written = _write_home(site)
    section = SectionPage.objects.get(pk=section.pk)
    if section.live:
        listing = _section_listing(section, site)
        written.append(_write(public_path(section), listing.front()))
        written += _write_feeds([listing.feed], site)
    return written + sitemaps.sitemaps_write_for_fronts()


@_writing_in_background
def site_publish_home() -> list[Path]:
    """Rewrite the home page and the fronts sitemap."""
    return _write_home(site_info()) + sitemaps.sitemaps_write_for_fronts()


@_writing_in_background
def site_unpublish_section(*, section: SectionPage, path: str) -> list[Path]:
    """Remove a section's front, archive and feeds; rewrite the home page and fronts
    sitemap."""
    site = site_info()
    front = output_path(path)
    removed = [front] if remove_file(front) else []
    removed += _remove_archive_pages_after(path, 0)
    # The feeds at the address the section had (``section`` may have moved since).
    feed = section_feed_list(section, site)
    removed += _remove_feeds(replace(feed, path=path))
    return removed + _write_home(site) + sitemaps.sitemaps_write_for_fronts()


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
