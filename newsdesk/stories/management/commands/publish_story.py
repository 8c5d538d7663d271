"""newsdesk publish_story: publish a story's latest draft to the reader site."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.core.errors import NewsdeskError
from newsdesk.core.management.users import add_user_argument, command_user
from newsdesk.stories.selectors import public_path
from newsdesk.stories.services import story_publish

from ._story_arguments import story_from_reference


class Command(BaseCommand):
    help = (
        "Publish a story (its latest revision); the reader site is rewritten at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("story", help="The story's number or reader path.")
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["user"])
        story = story_from_reference(options["story"])
        try:
            story_publish(story=story, by=user)
        except NewsdeskError as exc:
            raise CommandError(str(exc)) from exc
        story.refresh_from_db()
        self.stdout.write(f"Published story {story.pk}: {story.title}")
        self.stdout.write(
            f"Read it at {settings.NEWSDESK_SITE_URL}{public_path(story)}"
        )
