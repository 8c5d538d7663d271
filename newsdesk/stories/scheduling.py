"""Publish and unpublish at the times editors set with Wagtail's Set schedule.

Editors schedule in the page editor: a go-live time makes Publish save an approved
revision with ``approved_go_live_at`` instead of publishing it, and an expiry time
is stored on the page as ``expire_at``. Wagtail's ``publish_scheduled`` command
carries them out; the worker runs ``scheduled_publishing_run`` every 30 seconds
(``NEWSDESK_PERIODIC_JOBS``), which does what that command does, one object at a time
and safely when two workers overlap.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from wagtail.models import DraftStateMixin, Page, PageLogEntry, Revision

from .models import StoryEvent, StoryPage
from .services import story_event_record

if TYPE_CHECKING:
    from newsdesk.accounts.models import User

logger = logging.getLogger(__name__)


def scheduled_publishing_run() -> int:
    """Unpublish what has expired and publish what is due; return how many changed.

    Everything whose time has passed is done, however long ago that was, so a
    worker that was down catches up instead of skipping. As in Wagtail's
    ``publish_scheduled``, expiries go first (an expired page's pending schedule is
    cleared with it) and revisions go live in the order of their go-live times.
    A revision that went live late may carry an expiry that has passed too (both
    times fell in the downtime); the last pass takes it down in the same run
    rather than leaving it up until the next one.
    """
    now = timezone.now()
    changed = _unpublish_expired(now)
    changed += _publish_due(now)
    changed += _unpublish_expired(now)
    if changed:
        logger.info("Scheduled publishing: %d published or unpublished", changed)
    return changed


def _scheduled_models() -> list[type[models.Model]]:
    """Return Page and every other model with drafts, as ``publish_scheduled`` does."""
    return [Page] + [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]


# Two workers may run this at once. Wagtail's command lists what is due, then acts on
# its list without locking or looking again, so on PostgreSQL two overlapping runs
# would both publish the same revision: two publish log entries, two page_published
# signals, the site written twice. Here each object is done in its own transaction
# that first locks the object's row (page first, then its revisions: the order
# story_publish takes them in, so the two cannot deadlock), then checks under the
# lock that it is still due. A second worker waits on the lock and then finds nothing
# to do: publishing clears ``approved_go_live_at`` and unpublishing clears ``live``.
# On SQLite, where SELECT ... FOR UPDATE is a no-op, the transaction is the lock: our
# connections begin IMMEDIATE, so writers take turns and each reads what the one
# before committed. One transaction per object also keeps a broken one from holding
# back the rest (it is logged and tried again next run), and the publisher writes
# each story's files as soon as its own transaction commits.


def _lock(model: type[models.Model], pk: object) -> bool:
    """Lock an object's row for this transaction; return whether it still exists."""
    rows = model._default_manager.select_for_update().filter(pk=pk)
    return bool(list(rows.values_list("pk", flat=True)))


def _unpublish_expired(now: dt.datetime) -> int:
    changed = 0
    for model in _scheduled_models():
        due = list(
            model._default_manager.filter(live=True, expire_at__lt=now)
            .order_by("expire_at", "pk")
            .values_list("pk", flat=True)
        )
        for pk in due:
            try:
                changed += _unpublish_one(model, pk, now)
            except Exception:
                logger.exception(
                    "Could not unpublish expired %s %s; trying again next run",
                    model._meta.label,
                    pk,
                )
    return changed


@transaction.atomic
def _unpublish_one(model: type[models.Model], pk: object, now: dt.datetime) -> bool:
    obj = (
        model._default_manager.select_for_update()
        .filter(pk=pk, live=True, expire_at__lt=now)
        .first()
    )
    if obj is None:
        return False  # another run unpublished it, or an editor changed it
    expire_at = obj.expire_at  # type: ignore[attr-defined]  # DraftStateMixin's field
    obj.unpublish(  # type: ignore[attr-defined]  # DraftStateMixin's method
        set_expired=True, log_action="wagtail.unpublish.scheduled"
    )
    late = now - expire_at
    logger.info(
        "Unpublished %s %s “%s” at its expiry %s (%s late)",
        model._meta.label,
        pk,
        obj,
        expire_at.isoformat(),
        _duration(late),
    )
    if isinstance(obj, Page) and _is_story(obj.specific_class):
        story_event_record(
            story=obj.pk,
            kind=StoryEvent.Kind.UNPUBLISHED,
            note=f"Expired at its scheduled time, {_when(expire_at)}.",
        )
    return True


def _publish_due(now: dt.datetime) -> int:
    due = list(
        Revision.objects.filter(approved_go_live_at__lt=now)
        .order_by("approved_go_live_at", "pk")
        .values_list("pk", "base_content_type_id", "object_id")
    )
    changed = 0
    for pk, base_content_type_id, object_id in due:
        try:
            changed += _publish_one(pk, base_content_type_id, object_id, now)
        except Exception:
            logger.exception(
                "Could not publish scheduled revision %s; trying again next run", pk
            )
    return changed


@transaction.atomic
def _publish_one(
    pk: int, base_content_type_id: int, object_id: str, now: dt.datetime
) -> bool:
    base = ContentType.objects.get_for_id(base_content_type_id).model_class()
    if base is None or not _lock(base, object_id):
        return False  # the object was deleted (its revisions go with it)
    revision = (
        Revision.objects.select_for_update()
        .filter(pk=pk, approved_go_live_at__lt=now)
        .first()
    )
    if revision is None:
        return False  # another run published it, or an editor changed the schedule
    go_live_at: dt.datetime = revision.approved_go_live_at
    # Since the approved go-live time has passed, this makes the object live.
    revision.publish(log_action="wagtail.publish.scheduled")
    logger.info(
        "Published scheduled revision %s of %s %s “%s”, due %s (%s late)",
        pk,
        base._meta.label,
        object_id,
        revision.object_str,
        go_live_at.isoformat(),
        _duration(now - go_live_at),
    )
    if _is_story(revision.content_type.model_class()):
        story_event_record(
            story=int(object_id),
            kind=StoryEvent.Kind.PUBLISHED,
            actor=_scheduled_by(revision),
            note=f"Published at its scheduled time, {_when(go_live_at)}.",
        )
    return True


def _is_story(model: type[models.Model] | None) -> bool:
    return model is not None and issubclass(model, StoryPage)


def _scheduled_by(revision: Revision) -> User | None:
    """Return who approved the schedule: who pressed Publish (or the last workflow
    approver), else the revision's author."""
    entry = (
        PageLogEntry.objects.filter(
            revision=revision, action="wagtail.publish.schedule", user__isnull=False
        )
        .order_by("-timestamp", "-pk")
        .first()
    )
    user: User | None = entry.user if entry is not None else revision.user
    return user


def _when(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def _duration(late: dt.timedelta) -> str:
    seconds = max(0, int(late.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m{rest % 60:02d}s"
