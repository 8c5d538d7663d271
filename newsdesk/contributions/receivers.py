"""Contributions react to what happens to the stories made from them."""

from __future__ import annotations

from typing import Any

from wagtail.signals import page_published

from newsdesk.stories.models import StoryPage

from .duplicates import story_fingerprint_update
from .services import submission_story_published


def story_published(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Tell the writer once a story made from their submission is published, and
    fingerprint the story for finding submissions that repeat it."""
    submission_story_published(story=instance)
    story_fingerprint_update(story=instance)


def connect() -> None:
    """Connect the writer's notices to Wagtail's publish signal."""
    page_published.connect(
        story_published,
        sender=StoryPage,
        dispatch_uid="contributions.story_published",
    )
