"""Named reads for contributions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from newsdesk.stories.selectors import absolute_url, public_path

from .models import Contributor, Submission


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
