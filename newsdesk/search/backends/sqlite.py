"""The reader search on SQLite: an FTS5 table over the index, ranked by BM25.

Migration 0001 creates ``search_indexedstory_fts``, an external-content FTS5 table
over ``search_indexedstory`` (columns title, standfirst, body, byline, in that
order), tokenised by ``porter unicode61 remove_diacritics 2``, and the triggers that
keep it in step with every insert, update and delete of an index row.
"""

from __future__ import annotations

from django.db import connection
from wagtail.models import Page

from ..models import IndexedStory
from ..text import ELLIPSIS, MARK_START, MARK_STOP, ParsedQuery
from . import SNIPPET_WORDS, BackendHit, BackendPage

FTS_TABLE = "search_indexedstory_fts"
# BM25 weights in the FTS table's column order: a word in the headline counts most,
# then the byline's names and the standfirst, then the body.
WEIGHTS = (10.0, 4.0, 1.0, 3.0)
STANDFIRST_COLUMN = 1
BODY_COLUMN = 2


def fts5_query(query: ParsedQuery) -> str:
    """Return an FTS5 query string for a parsed query.

    Every term is a quoted FTS5 string holding only letters, digits and spaces (the
    parser keeps nothing else), so the reader's text is never FTS5 syntax.
    """
    groups = []
    for group in query.groups:
        wanted = " AND ".join(f'"{term.text}"' for term in group if not term.negated)
        unwanted = "".join(f' NOT "{term.text}"' for term in group if term.negated)
        groups.append(f"(({wanted}){unwanted})")
    return " OR ".join(groups)


class SQLiteSearchBackend:
    """Search the FTS5 table; count, rank and snippet with FTS5's own functions."""

    vendor = "sqlite"

    def search(self, *, query: ParsedQuery, offset: int, limit: int) -> BackendPage:
        match = fts5_query(query)
        quote = connection.ops.quote_name
        fts = quote(FTS_TABLE)
        entries = quote(IndexedStory._meta.db_table)
        pages = quote(Page._meta.db_table)
        weights = ", ".join(str(weight) for weight in WEIGHTS)
        # Only quoted names from model metadata and fixed numbers go into the SQL;
        # the query itself is always a parameter.
        found = (
            f"FROM {fts} "
            f"JOIN {entries} AS s ON s.story_id = {fts}.rowid "
            f"JOIN {pages} AS p ON p.id = {fts}.rowid "
            f"WHERE {fts} MATCH %s AND p.live"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) {found}", [match])
            (total,) = cursor.fetchone()
            if total == 0 or offset >= total:
                return BackendPage(total=total, hits=())
            cursor.execute(
                f"SELECT {fts}.rowid, -bm25({fts}, {weights}) AS score {found} "
                f"ORDER BY score DESC, s.first_published_at DESC, {fts}.rowid DESC "
                "LIMIT %s OFFSET %s",
                [match, limit, offset],
            )
            ranked = [(int(row[0]), float(row[1])) for row in cursor.fetchall()]
            # Snippets for this page only: FTS5 builds them from each row's text.
            ids = [story_id for story_id, _ in ranked]
            cursor.execute(
                f"SELECT rowid, "  # noqa: S608
                f"snippet({fts}, {STANDFIRST_COLUMN}, %s, %s, %s, {SNIPPET_WORDS}), "
                f"snippet({fts}, {BODY_COLUMN}, %s, %s, %s, {SNIPPET_WORDS}) "
                f"FROM {fts} WHERE {fts} MATCH %s "
                f"AND rowid IN ({', '.join(['%s'] * len(ids))})",
                [*(MARK_START, MARK_STOP, ELLIPSIS) * 2, match, *ids],
            )
            snippets = {
                int(row[0]): (row[1] or "", row[2] or "") for row in cursor.fetchall()
            }
        return BackendPage(
            total=total,
            hits=tuple(
                BackendHit(
                    story_id=story_id,
                    score=score,
                    standfirst_snippet=snippets.get(story_id, ("", ""))[0],
                    body_snippet=snippets.get(story_id, ("", ""))[1],
                )
                for story_id, score in ranked
            ),
        )

    def optimise(self) -> None:
        with connection.cursor() as cursor:
            # Merge the index's segments into one, as FTS5 recommends after a bulk load.
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(FTS_TABLE)}"  # noqa: S608
                f"({connection.ops.quote_name(FTS_TABLE)}) VALUES ('optimize')"
            )
