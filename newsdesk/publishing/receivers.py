"""Keep the output folder in step with what is published.

Every handler defers its work until the database transaction commits, so files
appear only for what is really published; a failure to write is logged (a rebuild
repairs the site) and does not undo the editor's publish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from wagtail.signals import page_published, page_slug_changed, page_unpublished

from newsdesk.stories.models import HomePage, SectionPage, StoryPage
from newsdesk.stories.selectors import byline_people, public_path

from . import services

logger = logging.getLogger(__name__)


def _after_commit(action: Callable[[], object]) -> None:
    def run() -> None:
        try:
            action()
        except Exception:
            # The publish itself is committed; the site catches up on a rebuild.
            logger.exception(
                "Could not update the reader site; `newsdesk build_site` repairs it."
            )

    transaction.on_commit(run)


def story_published(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Write a story's page and the pages listing it once the publish commits."""
    _after_commit(lambda: services.site_publish_story(story=instance))


def story_unpublished(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Take a story's page off the site once the unpublish commits."""
    # The path and byline now: by the time the callback runs the page may be
    # deleted (its byline rows with it) or moved.
    path = public_path(instance)
    authors = byline_people(instance)
    _after_commit(
        lambda: services.site_unpublish_story(
            story=instance, path=path, authors=authors
        )
    )


def story_slug_changed(
    sender: type[StoryPage],
    instance: StoryPage,
    instance_before: StoryPage,
    **kwargs: Any,
) -> None:
    """Remove the page at a live story's old address when its slug changes."""
    if instance_before.live:
        path = public_path(instance_before)
        _after_commit(lambda: services.site_remove_page(path=path))


def section_published(
    sender: type[SectionPage], instance: SectionPage, **kwargs: Any
) -> None:
    """Rewrite the home page and the section front once a section is published."""
    _after_commit(lambda: services.site_publish_section(section=instance))


def section_unpublished(
    sender: type[SectionPage], instance: SectionPage, **kwargs: Any
) -> None:
    """Remove a section's front and archive once it is unpublished."""
    path = public_path(instance)
    _after_commit(lambda: services.site_unpublish_section(section=instance, path=path))


def home_published(sender: type[HomePage], instance: HomePage, **kwargs: Any) -> None:
    """Rewrite the home page once it is published."""
    _after_commit(services.site_publish_home)


def connect() -> None:
    """Connect the publisher to Wagtail's publish and unpublish signals."""
    page_published.connect(
        story_published, sender=StoryPage, dispatch_uid="publishing.story_published"
    )
    page_unpublished.connect(
        story_unpublished, sender=StoryPage, dispatch_uid="publishing.story_unpublished"
    )
    page_slug_changed.connect(
        story_slug_changed,
        sender=StoryPage,
        dispatch_uid="publishing.story_slug_changed",
    )
    page_published.connect(
        section_published,
        sender=SectionPage,
        dispatch_uid="publishing.section_published",
    )
    page_unpublished.connect(
        section_unpublished,
        sender=SectionPage,
        dispatch_uid="publishing.section_unpublished",
    )
    page_published.connect(
        home_published, sender=HomePage, dispatch_uid="publishing.home_published"
    )
