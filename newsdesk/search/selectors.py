"""Named reads of the reader search: one page of ranked results for a query."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString

from newsdesk.stories.selectors import Teaser, section_map, story_list_live, teaser

from .backends import BackendHit, search_backend
from .errors import SearchQueryError
from .text import (
    QUERY_MAX_LENGTH,
    has_highlight,
    normalise,
    parse_query,
    snippet_html,
)

PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchHit:
    """One story found: its teaser, and where the reader's words are in it."""

    teaser: Teaser
    snippet: SafeString
    score: float


@dataclass(frozen=True)
class SearchResults:
    """One page of the live stories a query found, best first, and how many in all."""

    query: str
    page: int
    page_size: int
    total: int
    hits: tuple[SearchHit, ...]

    @property
    def page_count(self) -> int:
        return (self.total + self.page_size - 1) // self.page_size

    @property
    def first_number(self) -> int:
        """Return the position of the page's first story among all results."""
        return (self.page - 1) * self.page_size + 1

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.page_count else None


def _snippet(hit: BackendHit, *, standfirst: str) -> SafeString:
    """Return the passage that shows the reader's words, or the story's summary."""
    for raw in (hit.body_snippet, hit.standfirst_snippet):
        if has_highlight(raw):
            return snippet_html(raw)
    # Found by its headline or byline: the standfirst, or the start of the body.
    return snippet_html(normalise(standfirst) or hit.body_snippet)


def story_search(
    *, query: str, page: int = 1, page_size: int = PAGE_SIZE
) -> SearchResults:
    """Return page ``page`` of the live stories matching a reader's query, best first.

    The query takes words, "phrases", -exclusions and OR, and nothing a reader types
    is an error: a query with nothing to look for finds nothing. A page past the
    last holds no hits (the view answers 404).
    """
    if len(query) > QUERY_MAX_LENGTH:
        raise SearchQueryError(
            f"A search can be up to {QUERY_MAX_LENGTH} characters long; "
            f"this one has {len(query)}."
        )
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size start at 1")
    parsed = parse_query(query)
    if parsed.is_empty:
        return SearchResults(
            query=query, page=page, page_size=page_size, total=0, hits=()
        )
    found = search_backend().search(
        query=parsed, offset=(page - 1) * page_size, limit=page_size
    )
    stories = {
        story.pk: story
        for story in story_list_live().filter(
            pk__in=[hit.story_id for hit in found.hits]
        )
    }
    sections = section_map() if stories else {}
    hits = tuple(
        SearchHit(
            teaser=teaser(story, sections=sections),
            snippet=_snippet(hit, standfirst=story.standfirst),
            score=hit.score,
        )
        for hit in found.hits
        # A story taken down between the two reads is left out.
        if (story := stories.get(hit.story_id)) is not None
    )
    return SearchResults(
        query=query, page=page, page_size=page_size, total=found.total, hits=hits
    )
