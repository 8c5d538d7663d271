"""The reader search's one backend interface, and the backend of the database in use.

Every database writes ``IndexedStory`` rows the same way (through the ORM); what
differs is how a query finds, ranks and quotes them, which is a backend's whole job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from ..text import ParsedQuery

# How many words a snippet shows around the reader's words.
SNIPPET_WORDS = 30


@dataclass(frozen=True)
class BackendHit:
    """One live story a query found: its id, score and raw (marked) snippets."""

    story_id: int
    score: float
    standfirst_snippet: str
    body_snippet: str


@dataclass(frozen=True)
class BackendPage:
    """How many live stories a query found in all, and one page of them, best first."""

    total: int
    hits: tuple[BackendHit, ...]


class SearchBackend(Protocol):
    """What every database's search does with a parsed, non-empty query."""

    vendor: str

    def search(self, *, query: ParsedQuery, offset: int, limit: int) -> BackendPage:
        """Return the live stories matching ``query``, best first, one page of them."""
        ...

    def optimise(self) -> None:
        """Tidy the index after many changes (a rebuild)."""
        ...


def search_backend() -> SearchBackend:
    """Return the search backend of the database in use."""
    vendor = connection.vendor
    if vendor == "sqlite":
        from .sqlite import SQLiteSearchBackend

        return SQLiteSearchBackend()
    if vendor == "postgresql":
        from .postgresql import PostgreSQLSearchBackend

        return PostgreSQLSearchBackend()
    raise ImproperlyConfigured(
        f"The reader search supports SQLite and PostgreSQL, not {vendor}; "
        "set DATABASE_URL to one of them."
    )
