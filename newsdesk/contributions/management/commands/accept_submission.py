"""newsdesk accept_submission: turn a submission into a draft story in a section."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from newsdesk.contributions.models import Submission
from newsdesk.contributions.services import submission_accept
from newsdesk.core.errors import NewsdeskError
from newsdesk.core.management.users import add_user_argument, command_user
from newsdesk.stories.models import SectionPage


class Command(BaseCommand):
    help = "Accept a submission into a section as a draft story bylined to its sender."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "submission",
            type=int,
            help="The submission's number (see list_submissions).",
        )
        parser.add_argument(
            "--section", required=True, help="The section's slug, e.g. politics."
        )
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["user"])
        submission = Submission.objects.filter(pk=options["submission"]).first()
        if submission is None:
            raise CommandError(f"There is no submission #{options['submission']}.")
        section = SectionPage.objects.filter(slug=options["section"]).first()
        if section is None:
            slugs = ", ".join(
                SectionPage.objects.order_by("slug").values_list("slug", flat=True)
            )
            raise CommandError(
                f"There is no section {options['section']!r}. Sections: {slugs or 'none yet'}."
            )
        try:
            story = submission_accept(submission=submission, section=section, by=user)
        except NewsdeskError as exc:
            raise CommandError(str(exc)) from exc
        edit_url = settings.NEWSDESK_SITE_URL + reverse(
            "wagtailadmin_pages:edit", args=[story.pk]
        )
        self.stdout.write(
            f"Accepted submission #{submission.pk} as draft story {story.pk}: {story.title}"
        )
        self.stdout.write(f"Edit it in the newsroom: {edit_url}")
        self.stdout.write(
            f"Publish it: newsdesk publish_story {story.pk} --user {user.username}"
        )
