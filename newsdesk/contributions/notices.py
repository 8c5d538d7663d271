"""What contributors hear from the agency: a receipt, then publication or a decline.

Every notice is a plain-text email in reply to the writer's own message (so it
threads in their mail program), from the submissions address, carrying the private
status address. Nothing is sent to a message held as possibly forged (its "sender"
may be someone else), to an automatic message (no mail loops with out-of-office
replies), or to no address at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from .models import Submission

STATUS_PATH = "/contribute/status/{token}/"
CONFIRM_PATH = "/contribute/confirm/{token}/"


def status_url(submission: Submission) -> str:
    """Return the writer's private address for following a submission."""
    return settings.NEWSDESK_SITE_URL + STATUS_PATH.format(
        token=submission.status_token
    )


def _domain() -> str:
    return settings.NEWSDESK_SUBMISSIONS_ADDRESS.rpartition("@")[2] or "localhost"


def may_write_to(submission: Submission) -> bool:
    """Say whether the agency may write to a submission's sender."""
    return bool(submission.sender_email) and (
        submission.state != Submission.State.QUARANTINED
    )


def notice_build(
    submission: Submission, *, kind: str, message_id: str = ""
) -> EmailMessage:
    """Return one notice (``kind``: receipt, published, declined) for a submission."""
    context = {
        "submission": submission,
        "status_url": status_url(submission),
        "confirm_url": settings.NEWSDESK_SITE_URL
        + CONFIRM_PATH.format(token=submission.status_token),
        "days": settings.NEWSDESK_CONFIRM_DAYS,
        "site_name": settings.NEWSDESK_SITE_NAME,
        "story_url": _story_url(submission),
    }
    subjects = {
        "receipt": f"Received: {submission.headline}",
        "confirm": f"Please confirm: {submission.headline}",
        "published": f"Published: {submission.headline}",
        "declined": f"Not accepted: {submission.headline}",
    }
    headers = {
        "Message-ID": message_id or make_msgid("notice", domain=_domain()),
        # Ours is an automatic reply: mail programs must not answer it in turn.
        "Auto-Submitted": "auto-replied",
    }
    if submission.message_id:
        headers["In-Reply-To"] = submission.message_id
        headers["References"] = submission.message_id
    return EmailMessage(
        subject=subjects[kind][:200],
        body=render_to_string(f"contributions/mail/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[submission.sender_email],
        headers=headers,
    )


def _story_url(submission: Submission) -> str:
    from newsdesk.stories.selectors import absolute_url, public_path

    story = submission.story
    if story is None or not story.live:
        return ""
    return absolute_url(public_path(story))


def rejection_build(
    *, to: str, subject: str, message_id: str, problems: Sequence[str]
) -> EmailMessage:
    """Return the reply to a message in which there was nothing to read (no text, no
    files), saying what was wrong with it, so the writer can send it again."""
    headers = {
        "Message-ID": make_msgid("notice", domain=_domain()),
        "Auto-Submitted": "auto-replied",
    }
    if message_id:
        headers["In-Reply-To"] = message_id
        headers["References"] = message_id
    context = {
        "subject": subject,
        "problems": problems,
        "site_name": settings.NEWSDESK_SITE_NAME,
    }
    return EmailMessage(
        subject=f"Nothing to read: {subject}"[:200] if subject else "Nothing to read",
        body=render_to_string("contributions/mail/rejected.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
