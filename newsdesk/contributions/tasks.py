"""Background work for contributions, run by the worker (django-tasks)."""

from __future__ import annotations

import logging

from django_tasks import task

from .models import RawMessage

logger = logging.getLogger(__name__)


@task()
def parse_raw_message(raw_message_id: int) -> None:
    """Read one stored raw message into a submission (safe to run twice)."""
    from .services import raw_message_parse

    raw = RawMessage.objects.filter(pk=raw_message_id).first()
    if raw is None:
        logger.warning(
            "Raw message %s no longer exists; nothing to parse", raw_message_id
        )
        return
    raw_message_parse(raw=raw)


@task()
def send_submission_notice(submission_id: int, kind: str) -> None:
    """Send a writer a receipt, or word of publication or a decline (sent once)."""
    from .models import Submission
    from .services import submission_notice_send

    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is not None:
        submission_notice_send(submission=submission, kind=kind)
