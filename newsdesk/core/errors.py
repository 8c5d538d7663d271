"""Base classes for the errors services raise when a rule is broken."""


class NewsdeskError(Exception):
    """A domain rule was broken; the message says what, for the person who did it."""


class PermissionDeniedError(NewsdeskError):
    """The user may not do this; the message names the action."""
