"""Errors raised by the contributions services."""

from newsdesk.core.errors import NewsdeskError


class SubmissionStateError(NewsdeskError):
    """The submission is not in a state that allows this action."""


class RawMessageError(NewsdeskError):
    """A stored raw message cannot be read (its file is missing or unreadable)."""
