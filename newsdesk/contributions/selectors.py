"""Named reads for contributions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet

from newsdesk.stories.selectors import absolute_url, public_path

from .models import Contributor, Submission
from .queue import NOT_MERGE_TARGETS


def submission_list(
    *,
    state: str | None = Submission.State.NEW,
    desks: Collection[int] | None = None,
) -> QuerySet[Submission]:
    """Return submissions, newest first, optionally only those in one state and on
    some desks."""
    submissions = Submission.objects.select_related(
        "story", "contributor", "raw_message", "desk", "assigned_to"
    )
    if state:
        submissions = submissions.filter(state=state)
    if desks is not None:
        submissions = submissions.filter(desk__in=desks)
    return submissions.order_by("-received_at", "-pk")


MERGE_CANDIDATES = 100


def submission_list_merge_targets(submission: Submission) -> list[Submission]:
    """Return the submissions an editor may fold this one into by hand, newest
    first: any other not itself merged, never confirmed or held as forged."""
    return list(
        Submission.objects.exclude(pk=submission.pk)
        .exclude(state__in=(Submission.State.MERGED, *NOT_MERGE_TARGETS))
        .order_by("-received_at", "-pk")
        .only("pk", "headline", "sender_name", "received_at", "state")[
            :MERGE_CANDIDATES
        ]
    )


def submission_list_assigned(*, user: Any) -> QuerySet[Submission]:
    """Return the submissions still open that are assigned to a user, soonest due
    first."""
    return (
        Submission.objects.select_related("desk")
        .filter(
            assigned_to=user,
            state__in=(Submission.State.NEW, Submission.State.QUARANTINED),
        )
        .order_by(F("due_at").asc(nulls_last=True), "received_at")
    )


def submission_count_new(*, desks: Collection[int] | None = None) -> int:
    """Return how many submissions wait in the incoming queue (of some desks)."""
    return submission_list(desks=desks).count()


def submission_counts_by_desk() -> dict[int | None, int]:
    """Return how many submissions wait in the queue of each desk (None: no desk)."""
    rows = (
        Submission.objects.filter(state=Submission.State.NEW)
        .values_list("desk")
        .annotate(waiting=Count("pk"))
        .order_by()
    )
    return dict(rows)


def user_desk_ids(user: Any) -> list[int]:
    """Return the desks a newsroom user works on."""
    return list(user.desks.values_list("pk", flat=True)) if user.pk else []


def submission_get_by_token(token: str) -> Submission | None:
    """Return the submission a private status address names, if any."""
    if not token or len(token) > 64:
        return None
    submission: Submission | None = (
        Submission.objects.select_related("story").filter(status_token=token).first()
    )
    return submission


def contributor_of(submission: Submission) -> Contributor | None:
    """Return the profile of whoever sent a submission, if the agency has one."""
    if submission.contributor_id is not None:
        return submission.contributor
    if not submission.sender_email:
        return None
    return Contributor.objects.filter(email=submission.sender_email.lower()).first()


@dataclass(frozen=True)
class SubmissionStatus:
    """What a writer is told about their submission."""

    label: str
    explanation: str
    story_url: str = ""


def submission_status(submission: Submission) -> SubmissionStatus:
    """Return a submission's state in the writer's words."""
    story = submission.story
    if submission.state == Submission.State.DECLINED:
        return SubmissionStatus(
            "Not accepted",
            "The editors could not use it this time."
            + (
                f" Their note: {submission.decision_note}"
                if submission.decision_note
                else ""
            ),
        )
    if story is not None and story.live:
        return SubmissionStatus(
            "Published",
            "It is on the site.",
            story_url=absolute_url(public_path(story)),
        )
    if submission.state == Submission.State.UNCONFIRMED:
        return SubmissionStatus(
            "Waiting for you to confirm",
            "Please confirm you sent it, with the link in the email we sent you; "
            "until then it does not reach our editors.",
        )
    if submission.state == Submission.State.EXPIRED:
        return SubmissionStatus(
            "Not confirmed",
            "It was never confirmed, so our editors did not read it. Please send it "
            "again if you still want us to.",
        )
    if submission.state == Submission.State.ACCEPTED:
        return SubmissionStatus(
            "In review", "An editor accepted it and is working on it."
        )
    return SubmissionStatus("Received", "It is waiting for an editor to read it.")
