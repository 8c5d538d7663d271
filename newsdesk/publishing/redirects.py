"""Old addresses of moved pages, kept alive as small redirect files in the output folder.

When an editor moves a story or gives it a new slug, Wagtail records a redirect from
its old address (editors can add more under Settings → Redirects). Readers follow
old links from social media and other sites, and the site is files that any server,
CDN or mirror serves, so each redirect is written as a page at the old address that
sends the browser on at once (``<meta http-equiv="refresh">``, which search engines
treat as a permanent redirect) and names the new address as canonical. When the app
is reachable, Wagtail's redirect middleware answers the same addresses with a 301.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from django.template.loader import render_to_string
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page

from newsdesk.stories.selectors import SiteInfo, absolute_url, public_path, site_info

from .output import OutputPathError, output_path, remove_file

logger = logging.getLogger(__name__)

REDIRECT_TEMPLATE = "reader/redirect.html"
# The first lines of every redirect file: how a redirect is told from a page.
MARKER = b"<!DOCTYPE html>\n<!-- newsdesk:redirect -->\n"


def redirect_path(redirect: Redirect) -> str | None:
    """Return the reader path a redirect answers, or None when no file can stand for
    it (an address with a query or parameters)."""
    old = str(redirect.old_path)
    if "?" in old or ";" in old or not old.startswith("/"):
        return None
    return old.rstrip("/") + "/"


def redirect_target(redirect: Redirect) -> str | None:
    """Return where a redirect sends readers (a reader path or an outside address),
    or None when its page is not live."""
    page: Page | None = redirect.redirect_page
    if page is not None:
        return public_path(page) if page.live else None
    link = str(redirect.redirect_link or "")
    return link if urlsplit(link).scheme in {"http", "https"} else None


def render_redirect(*, target: str, site: SiteInfo) -> bytes:
    """Return the HTML of a page that sends the browser on to ``target``."""
    target_url = absolute_url(target) if target.startswith("/") else target
    html = render_to_string(
        REDIRECT_TEMPLATE,
        {
            "site": site,
            "lang": site.language,
            "dir": site.text_direction,
            "target": target,
            "target_url": target_url,
        },
    )
    return html.encode("utf-8")


def is_redirect_file(path: Path) -> bool:
    """Say whether a file in the output folder is a redirect written here."""
    try:
        with path.open("rb") as file:
            return file.read(len(MARKER)) == MARKER
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def redirect_files(
    redirects: Iterable[Redirect],
    *,
    site: SiteInfo | None = None,
    taken: frozenset[str] = frozenset(),
) -> list[tuple[str, bytes | None]]:
    """Return the file each redirect needs: its reader path and content, or None
    where the file must go (its page is no longer live).

    A redirect never takes the place of a page: an address a live page has (one
    of ``taken``, or a file in the folder that is no redirect) is left to the page.
    """
    site = site or site_info()
    files: list[tuple[str, bytes | None]] = []
    for redirect in redirects:
        path = redirect_path(redirect)
        if path is None or path in taken:
            continue
        try:
            file = output_path(path)
        except OutputPathError:
            logger.warning("Redirect %s has no place in the output folder", redirect)
            continue
        if file.exists() and not is_redirect_file(file):
            continue  # a page lives at that address now
        target = redirect_target(redirect)
        if target is None or target == path:
            files.append((path, None))
        else:
            files.append((path, render_redirect(target=target, site=site)))
    return files


def redirect_list_to(page: Page) -> list[Redirect]:
    """Return the redirects that send readers to a page."""
    return list(Redirect.objects.filter(redirect_page_id=page.pk))


def redirect_list_all() -> list[Redirect]:
    """Return every redirect, with its page."""
    return list(Redirect.objects.select_related("redirect_page"))


def redirect_remove(path: str) -> list[Path]:
    """Remove the redirect file at a reader path (never a page); return it if gone."""
    file = output_path(path)
    if is_redirect_file(file) and remove_file(file):
        return [file]
    return []
