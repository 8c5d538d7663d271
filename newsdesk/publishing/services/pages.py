"""Sections, the home page and information pages."""

from __future__ import annotations

from pathlib import Path

from newsdesk.stories.models import InfoPage, SectionPage
from newsdesk.stories.selectors import (
    public_path,
    site_info,
)

from .. import renderer, sitemaps
from ..output import (
    output_path,
    remove_file,
)
from ._listings import _remove_archive_pages_after, _section_listing
from ._writing import _write, _write_home, _writing_in_background


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
