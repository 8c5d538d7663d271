"""Tell partners what happens to stories: each publish, embargo, correction, kill
and withdrawal adds a version to the change log in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from wagtail.models import PageLogEntry
from wagtail.signals import page_published, page_unpublished

from newsdesk.stories.models import StoryPage
from newsdesk.stories.signals import story_killed

from .models import ItemVersion
from .selectors import item_version_latest
from .services import item_version_record, story_change_kind


def story_published(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """A live story is new, updated or corrected; one approved to go live later
    under an embargo is embargoed copy (for partners allowed it)."""
    if instance.live:
        item_version_record(story=instance, change=story_change_kind(instance))
    elif instance.embargoed:
        item_version_record(story=instance, change=ItemVersion.Change.EMBARGOED)


def story_unpublished(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """A story partners have taken off the site: withdrawn (a kill says why)."""
    if instance.killed_at is not None:
        return  # story_killed tells them, with the reason
    _withdraw(instance)


def _withdraw(story: StoryPage, *, reason: str = "", killed: bool = False) -> None:
    last = item_version_latest(story.pk)
    if last is None or last.status == "canceled":
        return  # partners never had it, or know already
    item_version_record(
        story=story,
        change=ItemVersion.Change.KILLED if killed else ItemVersion.Change.WITHDRAWN,
        kill_reason=reason,
    )


def story_was_killed(sender: Any, story: StoryPage, reason: str, **kwargs: Any) -> None:
    """A killed story: partners take it down, with the reason."""
    _withdraw(StoryPage.objects.get(pk=story.pk), reason=reason, killed=True)


def schedule_cancelled(
    sender: type[PageLogEntry], instance: PageLogEntry, created: bool, **kwargs: Any
) -> None:
    """An embargoed story whose publication is called off: partners who hold it
    embargoed are told not to use it."""
    if not created or instance.action != "wagtail.schedule.cancel":
        return
    story = StoryPage.objects.filter(pk=instance.page_id).first()
    if story is None or story.live:
        return
    last = item_version_latest(story.pk)
    if last is not None and last.status == "withheld":
        item_version_record(story=story, change=ItemVersion.Change.WITHDRAWN)


def connect() -> None:
    from . import webhooks

    webhooks.connect()
    page_published.connect(
        story_published, sender=StoryPage, dispatch_uid="syndication.published"
    )
    page_unpublished.connect(
        story_unpublished, sender=StoryPage, dispatch_uid="syndication.unpublished"
    )
    story_killed.connect(story_was_killed, dispatch_uid="syndication.killed")
    post_save.connect(
        schedule_cancelled, sender=PageLogEntry, dispatch_uid="syndication.unscheduled"
    )
