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
from django.db.models.signals import post_delete, post_init, post_save
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageLogEntry, Revision
from wagtail.signals import (
    page_published,
    page_slug_changed,
    page_unpublished,
    post_page_move,
)

from newsdesk.stories.models import (
    HomePage,
    InfoPage,
    Person,
    SectionPage,
    StoryListing,
    StoryPage,
)
from newsdesk.stories.selectors import (
    byline_people,
    public_path,
    reader_path,
    story_tags,
)

from . import services, tasks
from .redirects import redirect_path

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


def _previous_snapshot(
    story: StoryPage, revision: Revision | None
) -> services.StorySnapshot | None:
    """Return the byline and tags of the revision published before this one."""
    entry = (
        PageLogEntry.objects.filter(
            page_id=story.pk,
            # published by an editor, or by the worker at its scheduled time
            action__in=("wagtail.publish", "wagtail.publish.scheduled"),
            revision__isnull=False,
        )
        .exclude(revision=revision)
        .select_related("revision")
        .order_by("-timestamp", "-pk")
        .first()
    )
    if entry is None or entry.revision is None:
        return None
    before = entry.revision.as_object()
    return services.StorySnapshot(
        authors=byline_people(before), tags=story_tags(before)
    )


def story_published(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Write a story's page and the pages listing it once the publish commits.

    People and tags dropped since the story was last published have their pages
    rewritten without it.
    """
    previously = _previous_snapshot(instance, kwargs.get("revision"))
    _after_commit(
        lambda: services.site_publish_story(story=instance, previously=previously)
    )


def story_unpublished(
    sender: type[StoryPage], instance: StoryPage, **kwargs: Any
) -> None:
    """Take a story's page off the site once the unpublish commits."""
    # The path and byline now: by the time the callback runs the page may be
    # deleted (its byline rows with it) or moved.
    path = public_path(instance)
    authors = byline_people(instance)
    tags = story_tags(instance)
    _after_commit(
        lambda: services.site_unpublish_story(
            story=instance, path=path, authors=authors, tags=tags
        )
    )


def story_slug_changed(
    sender: type[StoryPage],
    instance: StoryPage,
    instance_before: StoryPage,
    **kwargs: Any,
) -> None:
    """Take a live story's old address off the site when its slug changes."""
    if instance_before.live:
        old_path = public_path(instance_before)
        _after_commit(
            lambda: services.site_move_story(story=instance, old_path=old_path)
        )


def story_moved(
    sender: type[StoryPage],
    instance: Page,
    parent_page_before: Page,
    parent_page_after: Page,
    url_path_before: str,
    url_path_after: str,
    **kwargs: Any,
) -> None:
    """Move a live story's page, and the lists it is on, once it changed section."""
    if url_path_before == url_path_after:
        return  # reordered among its section's pages: nothing a reader sees
    old_path = reader_path(url_path_before)
    old_section = parent_page_before.specific
    story = StoryPage.objects.get(pk=instance.pk)
    _after_commit(
        lambda: services.site_move_story(
            story=story,
            old_path=old_path,
            old_section=old_section if isinstance(old_section, SectionPage) else None,
        )
    )


def section_moved(sender: type[SectionPage], instance: Page, **kwargs: Any) -> None:
    """Rebuild the site once a section moved or changed its slug: every story in it
    has a new address, and every page's navigation links the section."""
    before, after = kwargs.get("url_path_before"), kwargs.get("url_path_after")
    if before is not None and before == after:
        return  # only reordered
    _after_commit(tasks.rebuild_site.enqueue)


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


def info_page_changed(
    sender: type[InfoPage], instance: InfoPage, **kwargs: Any
) -> None:
    """Write an information page, then rebuild the site for every footer's links."""

    def publish_and_rebuild() -> None:
        services.site_publish_info_page(page=instance)
        tasks.rebuild_site.enqueue()

    _after_commit(publish_and_rebuild)


def info_page_unpublished(
    sender: type[InfoPage], instance: InfoPage, **kwargs: Any
) -> None:
    """Remove an information page and rebuild the site for every footer's links."""
    path = public_path(instance)

    def remove_and_rebuild() -> None:
        services.site_remove_page(path=path)
        tasks.rebuild_site.enqueue()

    _after_commit(remove_and_rebuild)


def redirect_saved(sender: type[Redirect], instance: Redirect, **kwargs: Any) -> None:
    """Write a redirect's file once it is saved (made by a move, or by an editor)."""
    before = getattr(instance, "_newsdesk_path_before", None)

    def write() -> None:
        if before and before != redirect_path(instance):
            services.site_remove_redirect(path=before)
        services.site_write_redirect(redirect=instance)

    _after_commit(write)


def redirect_loaded(sender: type[Redirect], instance: Redirect, **kwargs: Any) -> None:
    """Remember where a redirect's file is, in case an edit moves it."""
    instance._newsdesk_path_before = redirect_path(instance)


def redirect_deleted(sender: type[Redirect], instance: Redirect, **kwargs: Any) -> None:
    """Remove a deleted redirect's file once the deletion commits."""
    path = redirect_path(instance)
    if path is not None:
        _after_commit(lambda: services.site_remove_redirect(path=path))


# What of a person the reader site shows: their byline, author page address,
# bio and portrait.
_PERSON_SHOWN = ("name", "slug", "bio", "photo_id")


def _person_shown(person: Person) -> tuple[object, ...]:
    # Read from the instance's own values: a deferred field is not fetched for this.
    return tuple(person.__dict__.get(field) for field in _PERSON_SHOWN)


def person_loaded(sender: type[Person], instance: Person, **kwargs: Any) -> None:
    """Remember what the site shows of a person, to tell whether a save changes it."""
    instance._newsdesk_shown_before = _person_shown(instance)


def person_saved(sender: type[Person], instance: Person, **kwargs: Any) -> None:
    """Rebuild the site once a person with live stories changes their byline name,
    address, bio or portrait: it shows on every story they wrote and on the fronts.

    The rebuild also removes an author page left at an old address (a writer taking a
    pen name must not keep an address made of their own name), and no redirect is
    written from it: that would link the two names.
    """
    before = getattr(instance, "_newsdesk_shown_before", None)
    instance._newsdesk_shown_before = _person_shown(instance)
    if kwargs.get("created") or before == instance._newsdesk_shown_before:
        return
    if StoryListing.objects.filter(
        kind=StoryListing.Kind.AUTHOR, owner_id=instance.pk
    ).exists():
        _after_commit(tasks.rebuild_site.enqueue)


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
    post_page_move.connect(
        story_moved, sender=StoryPage, dispatch_uid="publishing.story_moved"
    )
    post_page_move.connect(
        section_moved, sender=SectionPage, dispatch_uid="publishing.section_moved"
    )
    page_slug_changed.connect(
        section_moved,
        sender=SectionPage,
        dispatch_uid="publishing.section_slug_changed",
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
    post_init.connect(
        redirect_loaded, sender=Redirect, dispatch_uid="publishing.redirect_loaded"
    )
    post_save.connect(
        redirect_saved, sender=Redirect, dispatch_uid="publishing.redirect_saved"
    )
    post_delete.connect(
        redirect_deleted, sender=Redirect, dispatch_uid="publishing.redirect_deleted"
    )
    post_init.connect(
        person_loaded, sender=Person, dispatch_uid="publishing.person_loaded"
    )
    post_save.connect(
        person_saved, sender=Person, dispatch_uid="publishing.person_saved"
    )
    page_published.connect(
        home_published, sender=HomePage, dispatch_uid="publishing.home_published"
    )
    page_published.connect(
        info_page_changed,
        sender=InfoPage,
        dispatch_uid="publishing.info_page_published",
    )
    page_unpublished.connect(
        info_page_unpublished,
        sender=InfoPage,
        dispatch_uid="publishing.info_page_unpublished",
    )
