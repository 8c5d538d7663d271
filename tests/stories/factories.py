"""Make sections, people and stories the way the newsroom does: through Wagtail's API."""

from __future__ import annotations

import itertools
from typing import Any

from wagtail.models import Page

from newsdesk.stories.models import Person, SectionPage, StoryAuthor, StoryPage

_numbers = itertools.count(1)


def make_section(parent: Page, *, title: str, slug: str | None = None) -> SectionPage:
    section = SectionPage(title=title, slug=slug or title.lower())
    parent.add_child(instance=section)
    section.save_revision().publish()
    return section


def make_person(*, name: str | None = None, **kwargs: Any) -> Person:
    return Person.objects.create(name=name or f"Writer {next(_numbers)}", **kwargs)


def make_story(
    *,
    section: SectionPage,
    title: str | None = None,
    body: str = "<p>The council met on Tuesday.</p>",
    authors: list[Person] | None = None,
    live: bool = False,
    **fields: Any,
) -> StoryPage:
    """Create a draft story (a revision, not live) or, with ``live=True``, publish it."""
    n = next(_numbers)
    story = StoryPage(
        title=title or f"Story number {n}", body=body, live=False, **fields
    )
    section.add_child(instance=story)
    for order, person in enumerate(authors if authors is not None else [make_person()]):
        StoryAuthor.objects.create(story=story, person=person, sort_order=order)
    revision = story.save_revision()
    if live:
        revision.publish()
    story.refresh_from_db()
    return story
