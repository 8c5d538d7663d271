"""Named reads for contributions."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Submission


def submission_list(
    *, state: str | None = Submission.State.NEW
) -> QuerySet[Submission]:
    """Return submissions, newest first, optionally only those in one state."""
    submissions = Submission.objects.select_related(
        "story", "contributor", "raw_message"
    )
    if state:
        submissions = submissions.filter(state=state)
    return submissions.order_by("-received_at", "-pk")


def submission_count_new() -> int:
    """Return how many submissions wait in the incoming queue."""
    return Submission.objects.filter(state=Submission.State.NEW).count()
