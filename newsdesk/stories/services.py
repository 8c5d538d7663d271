"""Every write to stories: create drafts, publish, unpublish (through Wagtail's API)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from wagtail.log_actions import log
from wagtail.models import Page, Revision

from newsdesk.core.errors import PermissionDeniedError

from .errors import StoryStateError, StoryValidationError
from .models import (
    UNDATED,
    Person,
    SectionPage,
    StoryAuthor,
    StoryEvent,
    StoryListing,
    StoryPage,
    StoryTag,
)
from .selectors.checks import (
    story_publish_problems,
    story_published_last,
)
from .signals import story_drafted, story_killed

if TYPE_CHECKING:
    from newsdesk.accounts.models import User

HEADLINE_MAX = 255  # Wagtail's page title length


def _unique_child_slug(section: SectionPage, headline: str) -> str:
    base = slugify(headline, allow_unicode=True)[:80].strip("-") or "story"
    taken = set(
        section.get_children()
        .filter(slug__startswith=base)
        .values_list("slug", flat=True)
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def story_create_draft(
    *,
    section: SectionPage,
    headline: str,
    body: str,
    authors: Sequence[Person],
    by: User,
    standfirst: str = "",
    dateline: str = "",
    kind: str = StoryPage.Kind.NEWS,
    language: str = StoryPage.Language.ENGLISH,
    lead_image: Any = None,
    lead_image_alt: str = "",
    lead_image_caption: str = "",
    lead_image_credit: str = "",
    note: str = "",
) -> StoryPage:
    """Create a draft story in a section with a first revision and a byline.

    A ``lead_image`` (a Wagtail image) needs its ``lead_image_alt``.
    """
    headline = " ".join(headline.split())
    if not headline:
        raise StoryValidationError("A story needs a headline.")
    if not section.permissions_for_user(by).can_add_subpage():
        raise PermissionDeniedError(
            f"You may not add stories to the {section.title} section."
        )
    story = StoryPage(
        title=headline[:HEADLINE_MAX],
        slug=_unique_child_slug(section, headline),
        body=body,
        standfirst=standfirst,
        dateline=dateline,
        kind=kind,
        language=language,
        lead_image=lead_image,
        lead_image_alt=lead_image_alt[:300],
        lead_image_caption=lead_image_caption[:500],
        lead_image_credit=lead_image_credit[:200],
        live=False,
        owner=by,
    )
    section.add_child(instance=story)
    StoryAuthor.objects.bulk_create(
        StoryAuthor(story=story, person=person, sort_order=order)
        for order, person in enumerate(dict.fromkeys(authors))
    )
    story.save_revision(user=by, log_action=True)
    story_event_record(story=story, kind=StoryEvent.Kind.ACCEPTED, actor=by, note=note)
    transaction.on_commit(
        lambda: story_drafted.send(sender=StoryPage, story=story, actor=by)
    )
    return story


@transaction.atomic
def story_publish(*, story: StoryPage, by: User) -> Revision:
    """Publish the story's latest revision; the publisher writes the site after commit."""
    if not story.permissions_for_user(by).can_publish():
        raise PermissionDeniedError(f"You may not publish “{story.title}”.")
    story = StoryPage.objects.select_for_update().get(pk=story.pk)
    if story.live and not story.has_unpublished_changes:
        raise StoryStateError(
            f"“{story.title}” is already published and has no new changes."
        )
    revision = story.get_latest_revision()
    draft = revision.as_object() if revision else story
    problems = story_publish_problems(draft)
    if problems:
        raise StoryValidationError(
            f"“{draft.title}” cannot be published yet: {' '.join(problems)}"
        )
    if revision is None:
        revision = story.save_revision(user=by)
    revision.publish(user=by)  # its story event follows Wagtail's history entry
    return revision


@transaction.atomic
def story_unpublish(*, story: StoryPage, by: User, note: str = "") -> StoryPage:
    """Take a live story off the site; its draft and revisions stay in the newsroom."""
    story = StoryPage.objects.select_for_update().get(pk=story.pk)
    if not story.live:
        raise StoryStateError(f"“{story.title}” is not published.")
    if not story.permissions_for_user(by).can_unpublish():
        raise PermissionDeniedError(f"You may not unpublish “{story.title}”.")
    story.unpublish(user=by)  # its story event follows Wagtail's history entry
    if note:
        event = story.events.filter(kind=StoryEvent.Kind.UNPUBLISHED).first()
        if event is not None:
            event.note = note
            event.save(update_fields=["note"])
    return story


# Wagtail's own history records these (with the revision); the agency's other
# actions on a story are added to it.
WAGTAIL_LOGS_ITSELF = frozenset(
    {
        StoryEvent.Kind.PUBLISHED,
        StoryEvent.Kind.UNPUBLISHED,
        StoryEvent.Kind.SUBMITTED,
        StoryEvent.Kind.APPROVED,
        StoryEvent.Kind.CHANGES_REQUESTED,
        StoryEvent.Kind.SCHEDULED,
        StoryEvent.Kind.SCHEDULE_CANCELLED,
    }
)
# What Wagtail's history entries a story event follows, whichever way the action
# was taken (the page editor, a review, our services). Publishing and unpublishing
# at a scheduled time are recorded by the worker's job, with the time.
WAGTAIL_ACTION_EVENTS = {
    "wagtail.publish": StoryEvent.Kind.PUBLISHED,
    "wagtail.unpublish": StoryEvent.Kind.UNPUBLISHED,
    "wagtail.workflow.start": StoryEvent.Kind.SUBMITTED,
    "wagtail.workflow.approve": StoryEvent.Kind.APPROVED,
    "wagtail.workflow.reject": StoryEvent.Kind.CHANGES_REQUESTED,
    "wagtail.schedule.cancel": StoryEvent.Kind.SCHEDULE_CANCELLED,
}


def story_event_action(kind: str) -> str:
    """Return the audit log's name for a kind of story event."""
    return f"newsdesk.story.{kind}"


def story_event_from_history(
    *, story_id: int, action: str, actor: User | None, data: dict[str, Any] | None
) -> StoryEvent | None:
    """Record the story event a Wagtail history entry of a story stands for (a
    publish, an unpublish, a step of a review), if it stands for one."""
    kind = WAGTAIL_ACTION_EVENTS.get(action)
    if kind is None:
        return None
    workflow = (data or {}).get("workflow") or {}
    step = (workflow.get("task") or {}).get("title") or workflow.get("title") or ""
    comment = str((data or {}).get("comment") or "").strip()
    note = ": ".join(part for part in (str(step), comment) if part)
    if kind == StoryEvent.Kind.SCHEDULE_CANCELLED:
        go_live_at = ((data or {}).get("revision") or {}).get("go_live_at")
        # A datetime as Wagtail logs it; a string once read back from the database.
        when = parse_datetime(go_live_at) if isinstance(go_live_at, str) else go_live_at
        if not isinstance(when, dt.datetime):
            when = None
        note = f"Was to go live at {_local_time(when)}." if when else ""
    return story_event_record(story=story_id, kind=kind, actor=actor, note=note)


def _local_time(moment: dt.datetime) -> str:
    """Write a moment as the newsroom's clock shows it, for a story's history."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def story_event_record(
    *, story: StoryPage | int, kind: str, actor: User | None = None, note: str = ""
) -> StoryEvent:
    """Record something the agency did to a story: a story event, and an entry in
    the story's history in the newsroom beside Wagtail's revisions."""
    story_id = story if isinstance(story, int) else story.pk
    event = StoryEvent.objects.create(
        story_id=story_id, kind=kind, actor=actor, note=note
    )
    if kind not in WAGTAIL_LOGS_ITSELF:
        page = (
            story if isinstance(story, StoryPage) else StoryPage.objects.get(pk=story)
        )
        log(page, story_event_action(kind), user=actor, data={"note": note})
    return event


@transaction.atomic
def story_kill(*, story: StoryPage, by: User, reason: str) -> StoryPage:
    """Withdraw a published story, with a reason readers are shown.

    It leaves every front, feed, sitemap and search result as an unpublished story
    does; its address answers 410 Gone with a short notice giving the reason; the
    kill is in its history, and partners are told (``story_killed``).
    """
    from .selectors import public_path

    if not by.has_perm("stories.kill_story"):
        raise PermissionDeniedError(f"You may not kill “{story.title}”.")
    reason = reason.strip()
    if not reason:
        raise StoryValidationError("Say why the story is withdrawn: readers see it.")
    story = StoryPage.objects.select_for_update().get(pk=story.pk)
    if not story.live:
        raise StoryStateError(
            f"“{story.title}” is not published, so there is nothing to kill."
        )
    path = public_path(story)
    # Set on the instance: unpublishing saves it.
    story.killed_at, story.killed_path = timezone.now(), path
    story.kill_reason = reason[:2000]
    story.unpublish(user=by)
    StoryPage.objects.filter(pk=story.pk).update(
        killed_at=story.killed_at, killed_path=path, kill_reason=story.kill_reason
    )
    story_event_record(story=story, kind=StoryEvent.Kind.KILLED, actor=by, note=reason)
    transaction.on_commit(
        lambda: story_killed.send(
            sender=StoryPage, story=story, path=path, reason=reason
        )
    )
    story.refresh_from_db()
    return story


_SYNC_BATCH = 2000


def _listing_rows(story_ids: Sequence[int] | None) -> list[StoryListing]:
    """Return the listing rows of live stories (``story_ids``, or every one)."""
    pages = Page.objects.live().type(StoryPage)
    credits = StoryAuthor.objects.all()
    tagged = StoryTag.objects.all()
    if story_ids is not None:
        pages = pages.filter(pk__in=story_ids)
        credits = credits.filter(story_id__in=story_ids)
        tagged = tagged.filter(content_object_id__in=story_ids)
    sections = dict(SectionPage.objects.values_list("path", "pk"))
    dated: dict[int, dt.datetime] = {}
    rows: list[StoryListing] = []
    for pk, path, published in pages.values_list(
        "pk", "path", "first_published_at"
    ).iterator(chunk_size=_SYNC_BATCH):
        at = published or UNDATED
        dated[pk] = at
        section = sections.get(path[: -Page.steplen])
        if section is not None:
            rows.append(
                StoryListing(
                    kind=StoryListing.Kind.SECTION,
                    owner_id=section,
                    story_id=pk,
                    first_published_at=at,
                )
            )
    for kind, pairs in (
        (StoryListing.Kind.AUTHOR, credits.values_list("story_id", "person_id")),
        (StoryListing.Kind.TAG, tagged.values_list("content_object_id", "tag_id")),
    ):
        seen: set[tuple[int, int]] = set()
        for story_id, owner_id in pairs.iterator(chunk_size=_SYNC_BATCH):
            # A byline may name a person twice; the list holds the story once.
            if story_id in dated and (story_id, owner_id) not in seen:
                seen.add((story_id, owner_id))
                rows.append(
                    StoryListing(
                        kind=kind,
                        owner_id=owner_id,
                        story_id=story_id,
                        first_published_at=dated[story_id],
                    )
                )
    return rows


@transaction.atomic
def story_listings_sync(*, stories: Iterable[StoryPage | int] | None = None) -> int:
    """Bring the listing rows of some stories (by default, all) in step with them.

    A live story is listed in its section and under each person of its byline and
    each of its tags; any other story is in no list. Run as stories are published,
    unpublished and moved; a full sync repairs the table after bulk changes (the demo
    import). Returns the number of rows written.
    """
    if stories is None:
        StoryListing.objects.all().delete()
        rows = _listing_rows(None)
        StoryListing.objects.bulk_create(rows, batch_size=_SYNC_BATCH)
        return len(rows)
    ids = [s if isinstance(s, int) else s.pk for s in stories]
    written = 0
    for start in range(0, len(ids), _SYNC_BATCH):
        batch = ids[start : start + _SYNC_BATCH]
        StoryListing.objects.filter(story_id__in=batch).delete()
        rows = _listing_rows(batch)
        StoryListing.objects.bulk_create(rows, batch_size=_SYNC_BATCH)
        written += len(rows)
    return written


# The approval of a publish to come, in Wagtail's history.
SCHEDULE_ACTION = "wagtail.publish.schedule"


def _expiry_event(
    story_id: int, expire_at: dt.datetime, actor: User | None
) -> StoryEvent:
    return story_event_record(
        story=story_id,
        kind=StoryEvent.Kind.EXPIRY_SET,
        actor=actor,
        note=f"To be unpublished at {_local_time(expire_at)}.",
    )


def _added(now: Iterable[Any], before: Iterable[Any], field: str) -> list[str]:
    """Return the texts of the notes in ``now`` that were not in ``before``."""
    seen = {(getattr(item, field), item.text_for_history) for item in before}
    return [
        item.text_for_history
        for item in now
        if (getattr(item, field), item.text_for_history) not in seen
    ]


def story_publish_events(
    *, story_id: int, revision: Revision, action: str, actor: User | None
) -> list[StoryEvent]:
    """Record what a publish of ``revision`` did that the agency follows: an
    embargo set going, updates and corrections made public (each a story event,
    in the story's history)."""
    story = revision.as_object()
    if not isinstance(story, StoryPage):
        return []
    if action == SCHEDULE_ACTION:
        if story.embargoed and story.embargo_until is not None:
            kind = StoryEvent.Kind.EMBARGOED
            note = f"Embargoed until {_local_time(story.embargo_until)}."
        else:
            kind = StoryEvent.Kind.SCHEDULED
            go_live_at = revision.approved_go_live_at or story.go_live_at
            note = f"To go live at {_local_time(go_live_at)}." if go_live_at else ""
        events = [story_event_record(story=story_id, kind=kind, actor=actor, note=note)]
        if story.expire_at is not None:
            events.append(_expiry_event(story_id, story.expire_at, actor))
        return events
    before = story_published_last(story_id, besides=revision)
    # An editor's publish that sets an expiry (or a new one); the worker's publish
    # of a scheduled version carries the expiry its scheduling already recorded.
    events = []
    if (
        action == "wagtail.publish"
        and story.expire_at is not None
        and (before is None or before.expire_at != story.expire_at)
    ):
        events.append(_expiry_event(story_id, story.expire_at, actor))
    if before is None:
        return events  # its first publish, in the history already
    for kind, now, then, field in (
        (
            StoryEvent.Kind.UPDATED,
            story.updates.all(),
            before.updates.all(),
            "posted_at",
        ),
        (
            StoryEvent.Kind.CORRECTED,
            story.corrections.all(),
            before.corrections.all(),
            "published_at",
        ),
    ):
        for text in _added(now, then, field):
            events.append(
                story_event_record(story=story_id, kind=kind, actor=actor, note=text)
            )
    return events
