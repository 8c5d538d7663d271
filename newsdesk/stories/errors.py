"""Errors raised by the stories services."""

from newsdesk.core.errors import NewsdeskError


class StoryStateError(NewsdeskError):
    """The story is not in a state that allows this action."""


class StoryValidationError(NewsdeskError):
    """The story lacks something it needs (a headline, a section ...)."""
