"""The reader search on PostgreSQL: a generated tsvector with a GIN index.

Migration 0001 adds ``search_vector`` to ``search_indexedstory``: the headline
(weight A), standfirst and byline (B) and body (D), read with the ``english`` text
search configuration for English stories and ``simple`` (no stemming, no stop words)
for Dari, Pashto and anything else. A query is read with the configuration of each
story's language, so an English query is stemmed like English stories are.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from wagtail.models import Page

from ..models import IndexedStory
from ..text import ELLIPSIS, MARK_START, MARK_STOP, ParsedQuery, unmarked
from . import SNIPPET_WORDS, BackendHit, BackendPage

_WORD = re.compile(r"[^\W_]")
# The same choice as the generated column's in migration 0001.
CONFIG = (
    "CASE WHEN s.language = 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END"
)
# Written out per language (not with CONFIG inside) so that each is worked out once
# per query, not once per row.
TSQUERY = (
    "CASE WHEN s.language = 'en' THEN websearch_to_tsquery('english', %(query)s) "
    "ELSE websearch_to_tsquery('simple', %(query)s) END"
)
MATCHES = (
    "((s.language = 'en' AND s.search_vector @@ websearch_to_tsquery('english', %(query)s))"
    " OR (s.language <> 'en' AND s.search_vector @@ websearch_to_tsquery('simple', %(query)s)))"
)
# ts_headline reads "<" as the start of an HTML tag and leaves "tags" out; the text
# is plain, so "<" goes in as a private-use character (normalise() keeps those out
# of the index) and comes back after.
LESS_THAN = "\ue002"
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_STOP}, MaxWords={SNIPPET_WORDS}, "
    f'MinWords={SNIPPET_WORDS // 2}, ShortWord=3, MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "'
)


def websearch_query(query: ParsedQuery) -> str:
    """Return a ``websearch_to_tsquery`` string for a parsed query.

    Terms hold only letters, digits and spaces and are always quoted; ``or`` and a
    leading ``-`` are the only operators, and only where the parse put them.
    """
    return " or ".join(
        " ".join(f'{"-" if term.negated else ""}"{term.text}"' for term in group)
        for group in query.groups
    )


def _with_ellipses(fragment: str, text: str) -> str:
    """Return a headline with "…" where words of the text come before or after it."""
    fragment = fragment.replace(LESS_THAN, "<").strip()
    plain = unmarked(fragment)
    if not plain:
        return ""
    parts = plain.split(f" {ELLIPSIS} ")
    start, end = text.find(parts[0]), text.rfind(parts[-1])
    before = start < 0 or bool(_WORD.search(text[:start]))
    after = end < 0 or bool(_WORD.search(text[end + len(parts[-1]) :]))
    # Snug against the text, as FTS5's snippet() puts them on SQLite.
    return f"{ELLIPSIS if before else ''}{fragment}{ELLIPSIS if after else ''}"


class PostgreSQLSearchBackend:
    """Search the tsvector column; rank with ts_rank and snippet with ts_headline."""

    vendor = "postgresql"

    def search(self, *, query: ParsedQuery, offset: int, limit: int) -> BackendPage:
        params: dict[str, Any] = {
            "query": websearch_query(query),
            "limit": limit,
            "offset": offset,
            "options": HEADLINE_OPTIONS,
            "lt": LESS_THAN,
        }
        quote = connection.ops.quote_name
        entries = quote(IndexedStory._meta.db_table)
        pages = quote(Page._meta.db_table)
        # Only quoted names from model metadata and fixed SQL go into the statement;
        # the query itself is always a parameter.
        found = (
            f"FROM {entries} AS s JOIN {pages} AS p ON p.id = s.story_id "
            f"WHERE p.live AND {MATCHES}"
        )
        order = "score DESC, first_published_at DESC NULLS LAST, story_id DESC"
        with connection.cursor() as cursor:
            # One pass finds, counts and ranks; headlines are made for this page only
            # (ts_headline reads each text again).
            cursor.execute(
                "WITH hits AS ("  # noqa: S608
                "SELECT s.story_id, s.language, s.standfirst, s.body, "
                f"s.first_published_at, ts_rank(s.search_vector, {TSQUERY}, 1) AS score, "
                f"count(*) OVER () AS total {found} "
                f"ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) "
                "SELECT story_id, score, standfirst, body, "
                f"ts_headline({CONFIG}, replace(standfirst, '<', %(lt)s), "
                f"{TSQUERY}, %(options)s), "
                f"ts_headline({CONFIG}, replace(body, '<', %(lt)s), "
                f"{TSQUERY}, %(options)s), total "
                f"FROM hits AS s ORDER BY {order}",
                params,
            )
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][-1])
            elif offset == 0:
                total = 0
            else:  # past the last page: how many there are is still worth saying
                cursor.execute(f"SELECT count(*) {found}", params)
                (total,) = cursor.fetchone()
        return BackendPage(
            total=total,
            hits=tuple(
                BackendHit(
                    story_id=int(story_id),
                    score=float(score),
                    standfirst_snippet=_with_ellipses(standfirst_headline, standfirst),
                    body_snippet=_with_ellipses(body_headline, body),
                )
                for (
                    story_id,
                    score,
                    standfirst,
                    body,
                    standfirst_headline,
                    body_headline,
                    _,
                ) in rows
            ),
        )

    def optimise(self) -> None:
        with connection.cursor() as cursor:
            # Fresh statistics after a rebuild, so the planner uses the GIN index.
            cursor.execute(
                f"ANALYZE {connection.ops.quote_name(IndexedStory._meta.db_table)}"
            )
