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
from .services import (
    PUBLISH_ACTIONS,
    SCHEDULE_ACTION,
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
    """Record the updates, corrections and embargo a story's publish carried, with
    who published it (Wagtail's history entry names them, for every way a story is
    published: the editor, a review's last approval, the worker at its time)."""
    if not created or instance.revision_id is None:
        return
    if instance.action not in PUBLISH_ACTIONS and instance.action != SCHEDULE_ACTION:
        return
    model = instance.content_type.model_class()
    if model is None or not issubclass(model, StoryPage):
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
