"""Keep the stories' own derived rows in step with Wagtail's page actions.

Publishing, unpublishing and moving happen in Wagtail's page editor as well as
through our services, so the listing rows follow Wagtail's signals. These run
inside the action (not after commit): the publisher, which writes the reader site
after commit, reads lists through them.
"""

from __future__ import annotations

from typing import Any

from wagtail.signals import page_published, page_unpublished, post_page_move

from .models import StoryPage
from .services import story_listings_sync


def story_listings_update(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Relist a story that was published, unpublished or moved."""
    story_listings_sync(stories=[instance.pk])


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
