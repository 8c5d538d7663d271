"""The reader search page: GET /search/?q=...&page=N.

Readers may be at personal risk: nothing here logs the query, sets a cookie or looks
at who asked. The answer carries the reader site's own headers and may be cached for
a minute by nginx or a CDN, like any reader page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt

from newsdesk.publishing.server import CONTENT_SECURITY_POLICY, SHORT_CACHE
from newsdesk.stories.selectors import SiteInfo, not_found_context, site_info

from .selectors import SearchResults, story_search
from .text import QUERY_MAX_LENGTH

SEARCH_PATH = "/search/"
TEMPLATE = "search/search_results.html"
NOT_FOUND_TEMPLATE = "reader/404.html"
READ_METHODS = ("GET", "HEAD")
# Numbered page links shown either side of the current page.
PAGE_LINKS_AROUND = 2
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class PageLink:
    """A numbered page of search results and its address."""

    number: int
    path: str
    current: bool = False


def search_path(query: str, page: int = 1) -> str:
    """Return the address of a page of results (page 1 has no page parameter)."""
    params = {"q": query} if page == 1 else {"q": query, "page": str(page)}
    return f"{SEARCH_PATH}?{urlencode(params)}"


def _reader_response(html: str, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        html, status=status, content_type="text/html; charset=utf-8"
    )
    if status >= 400:
        # A reader's mistyped page number is no fault of ours. Django's request
        # logger would record it with the request, whose URL holds the query, for
        # any handler or error tracker to write down: mark it as logged already.
        response._has_been_logged = True  # type: ignore[attr-defined]
    # The same headers the reader site's files are served with (publishing/server.py
    # and deploy/nginx.conf): a minute in any cache, no scripts, nothing from
    # elsewhere, no referrer.
    response["Cache-Control"] = SHORT_CACHE
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _page_links(results: SearchResults) -> list[PageLink]:
    last = results.page_count
    around = range(
        max(1, results.page - PAGE_LINKS_AROUND),
        min(last, results.page + PAGE_LINKS_AROUND) + 1,
    )
    numbers = sorted({1, last, *around}) if last > 1 else []
    return [
        PageLink(n, search_path(results.query, n), current=n == results.page)
        for n in numbers
    ]


def _context(
    site: SiteInfo, *, query: str, results: SearchResults | None, error: str = ""
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "site": site,
        "path": SEARCH_PATH,
        "canonical_url": "",  # results are not pages of their own (noindex)
        "page_title": f"Search — {site.name}",
        "description": "",
        "lang": site.language,
        "dir": site.text_direction,
        "current_section_path": "",
        "query": query,
        "query_max_length": QUERY_MAX_LENGTH,
        "results": results,
        "error": error,
    }
    if results is not None and results.total:
        previous, following = results.previous_page, results.next_page
        context["previous_link"] = (
            PageLink(previous, search_path(query, previous)) if previous else None
        )
        context["next_link"] = (
            PageLink(following, search_path(query, following)) if following else None
        )
        context["page_links"] = _page_links(results)
    return context


def _not_found(site: SiteInfo) -> HttpResponse:
    html = render_to_string(NOT_FOUND_TEMPLATE, not_found_context(site=site))
    return _reader_response(html, status=404)


# Only GET and HEAD are answered, so there is no form to protect; without the
# exemption a POST would get the CSRF failure page instead of "405 Method Not Allowed".
@csrf_exempt
def search_results(request: HttpRequest) -> HttpResponse:
    """Show a page of the live stories matching ``q``, with the search box on top."""
    if request.method not in READ_METHODS:
        # Not require_safe(): it logs the refusal with the request, query and all.
        response = _reader_response("Searches are read with GET.\n", status=405)
        response["Content-Type"] = "text/plain; charset=utf-8"
        response["Allow"] = ", ".join(READ_METHODS)
        return response
    site = site_info()
    query = request.GET.get("q", "").strip()
    if len(query) > QUERY_MAX_LENGTH:
        error = (
            f"Your search is {len(query)} characters long; a search can be up to "
            f"{QUERY_MAX_LENGTH}. Use fewer words and search again."
        )
        html = render_to_string(
            TEMPLATE, _context(site, query=query, results=None, error=error)
        )
        return _reader_response(html, status=400)
    raw_page = request.GET.get("page", "1")
    if not _PAGE_NUMBER.fullmatch(raw_page) or int(raw_page) < 1:
        return _not_found(site)
    page = int(raw_page)
    results = story_search(query=query, page=page)
    if page > max(results.page_count, 1):
        return _not_found(site)
    # Rendered without the request, as publishing renders reader pages: no context
    # processor can touch the session or the CSRF cookie.
    html = render_to_string(TEMPLATE, _context(site, query=query, results=results))
    return _reader_response(html)
