"""newsdesk list_submissions: what contributors sent, newest first."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse
from django.utils import timezone

from newsdesk.contributions.models import Submission
from newsdesk.contributions.selectors import submission_list


class Command(BaseCommand):
    help = "List submissions (new ones by default); --json for scripts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--state",
            choices=[*Submission.State.values, "all"],
            default=Submission.State.NEW,
            help="Which submissions to list (default: new).",
        )
        parser.add_argument(
            "--limit", type=int, default=100, help="At most this many (default 100)."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print a JSON array instead of a table."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        state = None if options["state"] == "all" else options["state"]
        submissions = list(submission_list(state=state)[: max(options["limit"], 0)])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [_as_json(s) for s in submissions], ensure_ascii=False, indent=2
                )
            )
            return
        if not submissions:
            self.stdout.write(
                f"No {options['state'] if state else ''} submissions.".replace(
                    "  ", " "
                )
            )
            return
        for s in submissions:
            received = timezone.localtime(s.received_at).strftime("%Y-%m-%d %H:%M")
            flags = f"  [{len(s.problems)} problem(s)]" if s.problems else ""
            story = f"  -> story {s.story_id}" if s.story_id else ""
            self.stdout.write(
                f"#{s.pk:<6} {received}  {s.state:<8} {s.sender_email or '(no sender)'}\n"
                f"        {s.headline}{flags}{story}"
            )


def _as_json(s: Submission) -> dict[str, Any]:
    return {
        "id": s.pk,
        "state": s.state,
        "received_at": s.received_at.isoformat(),
        "sender_email": s.sender_email,
        "sender_name": s.sender_name,
        "headline": s.headline,
        "message_id": s.message_id,
        "problems": s.problems,
        "story_id": s.story_id,
        "newsroom_url": settings.NEWSDESK_SITE_URL
        + reverse("contributions:detail", args=[s.pk]),
    }
