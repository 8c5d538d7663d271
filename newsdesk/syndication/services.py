"""Every write of syndication: the changes partners get, and partners' keys."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from newsdesk.stories.models import StoryPage

from .items import Status
from .models import ItemVersion, Partner, PartnerKey
from .selectors import (
    KEY_PREFIX_LENGTH,
    item_version_latest,
    item_version_next,
    key_digest,
    story_item,
)

if TYPE_CHECKING:
    from newsdesk.accounts.models import User

STATUS_OF = {
    ItemVersion.Change.PUBLISHED: "usable",
    ItemVersion.Change.UPDATED: "usable",
    ItemVersion.Change.CORRECTED: "usable",
    ItemVersion.Change.EMBARGOED: "withheld",
    ItemVersion.Change.KILLED: "canceled",
    ItemVersion.Change.WITHDRAWN: "canceled",
}


def item_version_record(
    *, story: StoryPage, change: str, kill_reason: str = ""
) -> ItemVersion:
    """Add a story's next version to the change log partners take, as it is now."""
    status: Status = STATUS_OF[ItemVersion.Change(change)]  # type: ignore[assignment]
    for _ in range(3):
        version = item_version_next(story.pk)
        now = timezone.now()
        item = story_item(
            story,
            version=version,
            status=status,
            at=now,
            kill_reason=kill_reason,
            change=change,
        )
        parent = story.get_parent() if story.pk else None
        try:
            with transaction.atomic():
                return ItemVersion.objects.create(
                    story_id=story.pk,
                    guid=item.guid,
                    version=version,
                    change=change,
                    status=status,
                    section_id=parent.pk if parent is not None else None,
                    language=story.language,
                    embargo_until=item.embargo_until,
                    item=item.to_json(),
                )
        except IntegrityError:
            continue  # another publish of the story took this number: take the next
    raise RuntimeError(f"Could not number a new version of story {story.pk}.")


def story_change_kind(story: StoryPage) -> str:
    """Return what publishing this copy of a live story is, for partners: its first
    publication, a correction (a new correction note) or an update."""
    last = item_version_latest(story.pk)
    if last is None or last.status != "usable":
        return ItemVersion.Change.PUBLISHED
    known = {(n["at"], n["text"]) for n in last.item.get("corrections", ())}
    for correction in story.corrections.all():
        if (correction.published_at.isoformat(), correction.note.strip()) not in known:
            return ItemVersion.Change.CORRECTED
    return ItemVersion.Change.UPDATED


def partner_key_issue(
    *, partner: Partner, by: User | None, label: str = ""
) -> tuple[PartnerKey, str]:
    """Make a new API key for a partner; return it and the key itself, which is
    shown this once and never stored."""
    raw = "nd_" + secrets.token_urlsafe(32)
    key = PartnerKey.objects.create(
        partner=partner,
        label=label[:100],
        prefix=raw[:KEY_PREFIX_LENGTH],
        digest=key_digest(raw),
        created_by=by,
    )
    return key, raw


def partner_key_revoke(*, key: PartnerKey) -> PartnerKey:
    """Stop a key working from now on."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


def partner_webhook_secret_renew(*, partner: Partner) -> str:
    """Give a partner a new webhook signing secret and return it."""
    partner.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    partner.save(update_fields=["webhook_secret", "updated_at"])
    return partner.webhook_secret
