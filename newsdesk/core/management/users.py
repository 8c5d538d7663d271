"""How command-line actions know who is acting."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser


def add_user_argument(parser: CommandParser) -> None:
    """Add ``--user USERNAME``, defaulting to the NEWSDESK_USER environment variable."""
    parser.add_argument(
        "--user",
        default=os.environ.get("NEWSDESK_USER", ""),
        help="Newsroom username to act as (default: $NEWSDESK_USER). Its permissions apply.",
    )


def command_user(username: str) -> Any:
    """Return the active user named on the command line, or stop with a clear error."""
    if not username:
        raise CommandError("Say who is acting: --user USERNAME (or set NEWSDESK_USER).")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"There is no active newsroom user called {username!r}.")
    return user
