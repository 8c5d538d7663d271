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
