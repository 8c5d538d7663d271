"""Keep the reader search index in step with what is published.

Every handler waits for the database transaction to commit, so the index only ever
holds what is really live; a failure is logged (``newsdesk rebuild_search_index``
repairs the index) and never undoes the editor's publish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished, post_page_move

from newsdesk.stories.models import StoryPage

from . import services

logger = logging.getLogger(__name__)


def _after_commit(action: Callable[[], object]) -> None:
    def run() -> None:
        try:
            action()
        except Exception:
            # The publish itself is committed; the index catches up on a rebuild.
            logger.exception(
                "Could not update the search index; "
                "`newsdesk rebuild_search_index` repairs it."
            )

    transaction.on_commit(run)


def story_published(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Index a story's published text once the publish commits."""
    _after_commit(lambda: services.search_index_story(story=instance))


def story_moved(sender: type[StoryPage], instance: StoryPage, **kwargs: Any) -> None:
    """Index a live story's new section once the move commits."""
    if instance.live:
        _after_commit(lambda: services.search_index_story(story=instance))


def story_unpublished(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Take a story out of the search index once the unpublish commits."""
    story_id = instance.pk
    _after_commit(lambda: services.search_remove_story(story_id=story_id))


def story_deleted(sender: type[StoryPage], instance: StoryPage, **kwargs: Any) -> None:
    """Take a deleted story out of the search index once the delete commits."""
    story_id = instance.pk
    _after_commit(lambda: services.search_remove_story(story_id=story_id))


def connect() -> None:
    """Connect the search index to Wagtail's publish, unpublish, move and delete."""
    page_published.connect(
        story_published, sender=StoryPage, dispatch_uid="search.story_published"
    )
    page_unpublished.connect(
        story_unpublished, sender=StoryPage, dispatch_uid="search.story_unpublished"
    )
    post_page_move.connect(
        story_moved, sender=StoryPage, dispatch_uid="search.story_moved"
    )
    post_delete.connect(
        story_deleted, sender=StoryPage, dispatch_uid="search.story_deleted"
    )
