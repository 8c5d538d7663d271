"""Keep the stories' own derived rows in step with Wagtail's page actions.

Publishing, unpublishing and moving happen in Wagtail's page editor as well as
through our services, so the listing rows follow Wagtail's signals. These run
inside the action (not after commit): the publisher, which writes the reader site
after commit, reads lists through them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from wagtail.models import PageLogEntry
from wagtail.signals import page_published, page_unpublished, post_page_move

from .models import StoryPage
from .selectors.checks import PUBLISH_ACTIONS
from .services import (
    SCHEDULE_ACTION,
    story_event_from_history,
    story_listings_sync,
    story_publish_events,
)


def story_listings_update(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Relist a story that was published, unpublished or moved."""
    story_listings_sync(stories=[instance.pk])


def story_publish_logged(
    sender: type[PageLogEntry], instance: PageLogEntry, created: bool, **kwargs: Any
) -> None:
    """Record, as story events with who did it, what a story's Wagtail history entry
    says was done: a publish (and the updates, corrections and embargo it carried),
    an unpublish, a step of its review. Wagtail writes the entry for every way it
    is done: the page editor, a review's last approval, the worker at its time,
    our services."""
    if not created:
        return
    model = instance.content_type.model_class()
    if model is None or not issubclass(model, StoryPage):
        return
    story_event_from_history(
        story_id=instance.page_id,
        action=instance.action,
        actor=instance.user,
        data=instance.data,
    )
    if instance.revision_id is None:
        return
    if instance.action not in PUBLISH_ACTIONS and instance.action != SCHEDULE_ACTION:
        return
    story_publish_events(
        story_id=instance.page_id,
        revision=instance.revision,
        action=instance.action,
        actor=instance.user,
    )


def connect() -> None:
    """Connect the listing rows to Wagtail's publish, unpublish and move signals."""
    for signal, name in (
        (page_published, "published"),
        (page_unpublished, "unpublished"),
        (post_page_move, "moved"),
    ):
        signal.connect(
            story_listings_update,
            sender=StoryPage,
            dispatch_uid=f"stories.listings_{name}",
        )
    post_save.connect(
        story_publish_logged, sender=PageLogEntry, dispatch_uid="stories.publish_logged"
    )
