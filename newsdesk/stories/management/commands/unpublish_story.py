"""newsdesk unpublish_story: take a story off the reader site, keeping its draft."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.core.errors import NewsdeskError
from newsdesk.core.management.users import add_user_argument, command_user
from newsdesk.stories.services import story_unpublish

from ._story_arguments import story_from_reference


class Command(BaseCommand):
    help = (
        "Unpublish a story: its page leaves the site; the draft stays in the newsroom."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("story", help="The story's number or reader path.")
        parser.add_argument(
            "--note", default="", help="Why it was taken down (kept in its history)."
        )
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["user"])
        story = story_from_reference(options["story"])
        try:
            story_unpublish(story=story, by=user, note=options["note"])
        except NewsdeskError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Unpublished story {story.pk}: {story.title}")
