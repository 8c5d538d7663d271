"""Errors of the reader search."""

from newsdesk.core.errors import NewsdeskError


class SearchQueryError(NewsdeskError):
    """A reader's query cannot be run (too long); the message says what to change."""
