"""Working the incoming queue: who deals with a submission and by when, which desk
it waits on, and folding a duplicate into the submission it repeats.

Each is one click in the newsroom, leaves a note on the submission saying who did
what, and is open to those who may accept submissions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from newsdesk.core.errors import PermissionDeniedError
from newsdesk.stories.models import Desk

from .errors import SubmissionStateError
from .models import Submission, SubmissionFile, SubmissionNote

if TYPE_CHECKING:
    from newsdesk.accounts.models import User

# A submission still waiting for an editor's decision.
OPEN_STATES = (Submission.State.NEW, Submission.State.QUARANTINED)


def _check(by: User, submission: Submission) -> Submission:
    if not by.has_perm("contributions.accept_submission"):
        raise PermissionDeniedError("You may not work the incoming queue.")
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.state not in OPEN_STATES:
        raise SubmissionStateError(
            f"Submission #{locked.pk} was already {locked.get_state_display().lower()}."
        )
    return locked


def _note(submission: Submission, by: User, text: str) -> None:
    SubmissionNote.objects.create(
        submission=submission,
        author_name=str(by),
        body_html=f"<p>{escape(text)}</p>",
    )


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def submission_assign(
    *, submission: Submission, to: User | None, due_at: datetime | None, by: User
) -> Submission:
    """Give a submission to an editor (None: to nobody) to deal with by a time."""
    submission = _check(by, submission)
    if to is not None and not to.has_perm("contributions.accept_submission"):
        raise PermissionDeniedError(f"{_name(to)} may not accept submissions.")
    submission.assigned_to, submission.due_at = to, due_at
    submission.save(update_fields=["assigned_to", "due_at", "updated_at"])
    if to is None:
        _note(submission, by, f"{_name(by)} took it off anyone's list.")
    else:
        due = f", due {timezone.localtime(due_at):%d %B %Y %H:%M %Z}" if due_at else ""
        whom = "themselves" if to.pk == by.pk else _name(to)
        _note(submission, by, f"{_name(by)} assigned it to {whom}{due}.")
    return submission


@transaction.atomic
def submission_move_to_desk(
    *, submission: Submission, desk: Desk | None, by: User
) -> Submission:
    """Put a submission on another desk's queue."""
    submission = _check(by, submission)
    submission.desk = desk
    submission.save(update_fields=["desk", "updated_at"])
    where = f"the {desk.name} desk" if desk else "no desk"
    _note(submission, by, f"{_name(by)} moved it to {where}.")
    return submission


# Submissions nothing is folded into: never confirmed by their writer, or held
# because the sender may be forged.
NOT_MERGE_TARGETS = frozenset(
    {
        Submission.State.UNCONFIRMED,
        Submission.State.EXPIRED,
        Submission.State.QUARANTINED,
    }
)


@transaction.atomic
def submission_merge(
    *, submission: Submission, into: Submission, by: User
) -> Submission:
    """Fold a duplicate into the submission it repeats: its files and notes go
    there, and it leaves the queue. Returns the submission merged into."""
    if submission.pk == into.pk:
        raise SubmissionStateError("A submission cannot be merged into itself.")
    submission = _check(by, submission)
    into = Submission.objects.select_for_update().get(pk=into.pk)
    if into.state == Submission.State.MERGED:
        raise SubmissionStateError(
            f"Submission #{into.pk} was itself merged; merge into #{into.merged_into_id}."
        )
    if into.state in NOT_MERGE_TARGETS:
        raise SubmissionStateError(
            f"Submission #{into.pk} is {into.get_state_display().lower()}: "
            "nothing can be merged into it."
        )
    SubmissionFile.objects.filter(submission=submission).update(
        submission=into, is_story=False
    )
    SubmissionNote.objects.filter(submission=submission).update(submission=into)
    submission.state = Submission.State.MERGED
    submission.merged_into = into
    submission.decided_by, submission.decided_at = by, timezone.now()
    submission.save(
        update_fields=["state", "merged_into", "decided_by", "decided_at", "updated_at"]
    )
    _note(
        into,
        by,
        f"{_name(by)} merged submission #{submission.pk} "
        f"(“{submission.headline}”) into this one; its files are listed here.",
    )
    return into
