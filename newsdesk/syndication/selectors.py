"""Named reads of syndication: a story as partners get it, the changes a partner
may see, and its keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from wagtail.rich_text import expand_db_html

from newsdesk.stories.images import share_images_for
from newsdesk.stories.models import StoryPage
from newsdesk.stories.selectors import (
    absolute_url,
    author_path,
    byline_people,
    public_path,
    section_map,
    section_of,
    story_modified_at,
    story_summary,
    story_tags,
)

from .items import Item, ItemImage, ItemNote, ItemPerson, Status
from .models import ItemVersion, Partner, PartnerKey

KEY_PREFIX_LENGTH = 12


def story_guid(story_id: int) -> str:
    """Return the item id partners know a story by, the same for every version."""
    host = urlsplit(settings.NEWSDESK_SITE_URL).hostname or "newsdesk"
    return f"urn:newsdesk:{host}:story:{story_id}"


def _image(story: StoryPage) -> ItemImage | None:
    if story.lead_image is None:
        return None
    widest = share_images_for(story.lead_image)[0]
    return ItemImage(
        uri=absolute_url(widest.url),
        width=widest.width,
        height=widest.height,
        media_type="image/jpeg",
        alt=story.lead_image_alt,
        caption=story.lead_image_caption,
        credit=story.lead_image_credit,
    )


def story_item(
    story: StoryPage,
    *,
    version: int,
    status: Status,
    at: dt.datetime | None = None,
    kill_reason: str = "",
    change: str = "",
) -> Item:
    """Return a story (as given: a page or a revision's copy) as a partner item."""
    from newsdesk.publishing.feeds import absolute_links

    section = section_of(story, section_map())
    people = byline_people(story)
    # Their author pages exist once the story is live.
    linked = status == "usable"
    return Item(
        guid=story_guid(story.pk),
        version=version,
        status=status,
        uri=absolute_url(public_path(story)),
        language=story.language,
        kind=story.kind,
        headline=story.title,
        summary=story_summary(story),
        body_html=absolute_links(expand_db_html(story.body)),
        dateline=story.dateline,
        section=section.title if section else "",
        section_slug=section.slug if section else "",
        tags=tuple(tag.name for tag in story_tags(story)),
        authors=tuple(
            ItemPerson(
                name=person.name,
                kind=person.kind,
                uri=absolute_url(author_path(person)) if linked else "",
            )
            for person in people
        ),
        image=_image(story),
        corrections=tuple(
            ItemNote(at=c.published_at, text=c.note.strip())
            for c in sorted(story.corrections.all(), key=lambda c: c.published_at)
        ),
        updates=tuple(
            ItemNote(at=u.posted_at, text=absolute_links(expand_db_html(u.text)))
            for u in sorted(story.updates.all(), key=lambda u: u.posted_at)
        ),
        first_published_at=story.first_published_at or story.embargo_until,
        version_created_at=at or timezone.now(),
        embargo_until=story.embargo_until if status == "withheld" else None,
        kill_reason=kill_reason,
        copyright_holder=settings.NEWSDESK_SITE_NAME,
        usage_terms=settings.NEWSDESK_SYNDICATION_USAGE_TERMS,
        source_credit=story.source_credit,
        change=change,
        extra={"modified": (story_modified_at(story) or timezone.now()).isoformat()},
    )


def item_version_latest(story_id: int) -> ItemVersion | None:
    """Return the last change partners got of a story, if any."""
    return (
        ItemVersion.objects.filter(guid=story_guid(story_id))
        .order_by("-version")
        .first()
    )


def item_version_next(story_id: int) -> int:
    """Return the number the story's next version takes."""
    last = ItemVersion.objects.filter(guid=story_guid(story_id)).aggregate(
        n=Max("version")
    )["n"]
    return int(last or 0) + 1


def partner_section_allowed(partner: Partner, section_id: int | None) -> bool:
    """Say whether a partner may take stories of this section."""
    if partner.all_sections:
        return True
    return section_id is not None and partner.sections.filter(pk=section_id).exists()


def partner_changes(
    partner: Partner, *, after: int, section_id: int | None = None
) -> QuerySet[ItemVersion]:
    """Return the changes a partner may see after the cursor ``after``, oldest
    first: its sections and languages; embargoed copy only if it has the right.

    Changes younger than ``NEWSDESK_SYNDICATION_SETTLE_SECONDS`` wait, so one
    committed a moment later with a smaller id is not skipped by a cursor.
    """
    settled = timezone.now() - dt.timedelta(
        seconds=settings.NEWSDESK_SYNDICATION_SETTLE_SECONDS
    )
    changes = ItemVersion.objects.filter(id__gt=after, created_at__lte=settled)
    if section_id is not None:
        changes = changes.filter(section_id=section_id)
    if not partner.all_sections:
        changes = changes.filter(section_id__in=partner.sections.values("pk"))
    if partner.languages:
        changes = changes.filter(language__in=partner.languages)
    if not partner.embargoed_copy:
        usable_before = ItemVersion.objects.filter(
            guid=OuterRef("guid"), id__lt=OuterRef("id"), status="usable"
        )
        changes = changes.exclude(status="withheld").exclude(
            Q(status="canceled") & ~Exists(usable_before)
        )
    return changes.order_by("id")


def item_version_never_usable(change: ItemVersion) -> bool:
    """Say whether this is the withdrawal or kill of a story partners only ever had
    as embargoed copy: it names copy that was never public, so it is embargoed copy
    too."""
    return (
        change.status == "canceled"
        and not ItemVersion.objects.filter(
            guid=change.guid, id__lt=change.pk, status="usable"
        ).exists()
    )


def partner_wants(partner: Partner, change: ItemVersion) -> bool:
    """Say whether a partner may see this change (as ``partner_changes``)."""
    if not partner.active:
        return False
    if not partner_section_allowed(partner, change.section_id):
        return False
    if partner.languages and change.language not in partner.languages:
        return False
    if partner.embargoed_copy:
        return True
    return change.status != "withheld" and not item_version_never_usable(change)


def key_digest(raw: str) -> str:
    """Return the stored form of an API key (its SHA-256: keys are random)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def partner_key_find(raw: str) -> PartnerKey | None:
    """Return the key (revoked or not) this raw key is, if it is one of ours."""
    if not raw or len(raw) > 200:
        return None
    key = (
        PartnerKey.objects.select_related("partner")
        .filter(prefix=raw[:KEY_PREFIX_LENGTH])
        .first()
    )
    if key is None:
        return None
    return key if hmac.compare_digest(key.digest, key_digest(raw)) else None


def partner_list_with_webhook() -> QuerySet[Partner]:
    """Return the active partners that want changes pushed."""
    return (
        Partner.objects.filter(active=True)
        .exclude(webhook_url="")
        .filter(~Q(webhook_secret=""))
    )
