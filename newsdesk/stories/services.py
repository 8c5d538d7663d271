"""Every write to stories: create drafts, publish, unpublish (through Wagtail's API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Revision

from newsdesk.core.errors import PermissionDeniedError

from .errors import StoryStateError, StoryValidationError
from .models import Person, SectionPage, StoryAuthor, StoryEvent, StoryPage
from .signals import story_drafted

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
    note: str = "",
) -> StoryPage:
    """Create a draft story in a section with a first revision and a byline."""
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
        live=False,
        owner=by,
    )
    section.add_child(instance=story)
    StoryAuthor.objects.bulk_create(
        StoryAuthor(story=story, person=person, sort_order=order)
        for order, person in enumerate(dict.fromkeys(authors))
    )
    story.save_revision(user=by, log_action=True)
    StoryEvent.objects.create(
        story=story, kind=StoryEvent.Kind.ACCEPTED, actor=by, note=note
    )
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
    if not draft.title.strip():
        raise StoryValidationError("A story needs a headline before it is published.")
    if not draft.authors.exists():
        raise StoryValidationError(
            f"“{draft.title}” needs a byline before it is published."
        )
    if revision is None:
        revision = story.save_revision(user=by)
    revision.publish(user=by)
    StoryEvent.objects.create(story=story, kind=StoryEvent.Kind.PUBLISHED, actor=by)
    return revision


@transaction.atomic
def story_unpublish(*, story: StoryPage, by: User, note: str = "") -> StoryPage:
    """Take a live story off the site; its draft and revisions stay in the newsroom."""
    story = StoryPage.objects.select_for_update().get(pk=story.pk)
    if not story.live:
        raise StoryStateError(f"“{story.title}” is not published.")
    if not story.permissions_for_user(by).can_unpublish():
        raise PermissionDeniedError(f"You may not unpublish “{story.title}”.")
    story.unpublish(user=by)
    StoryEvent.objects.create(
        story=story, kind=StoryEvent.Kind.UNPUBLISHED, actor=by, note=note
    )
    return story
