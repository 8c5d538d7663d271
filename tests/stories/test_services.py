"""Publishing and unpublishing stories through the services, with their rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsdesk.accounts.models import User
from newsdesk.core.errors import PermissionDeniedError
from newsdesk.stories.errors import StoryStateError, StoryValidationError
from newsdesk.stories.models import SectionPage, StoryEvent, StoryPage
from newsdesk.stories.services import story_create_draft, story_publish, story_unpublish

from .factories import make_person

StoryFactory = Callable[..., StoryPage]


def test_create_draft_makes_an_unpublished_story_with_byline_and_revision(
    section: SectionPage, editor: User
) -> None:
    person = make_person(name="Farida Noori")

    story = story_create_draft(
        section=section,
        headline="  Floods  reach Kabul ",
        body="<p>Water.</p>",
        authors=[person],
        by=editor,
    )

    assert story.title == "Floods reach Kabul"
    assert story.slug == "floods-reach-kabul"
    assert not story.live
    assert story.get_parent().specific == section
    assert [a.person for a in story.authors.all()] == [person]
    assert story.get_latest_revision() is not None
    assert story.events.get().kind == StoryEvent.Kind.ACCEPTED


def test_create_draft_gives_each_story_in_a_section_its_own_slug(
    section: SectionPage, editor: User
) -> None:
    person = make_person()
    first = story_create_draft(
        section=section, headline="Same", body="", authors=[person], by=editor
    )
    second = story_create_draft(
        section=section, headline="Same", body="", authors=[person], by=editor
    )

    assert (first.slug, second.slug) == ("same", "same-2")


def test_create_draft_refuses_an_empty_headline(
    section: SectionPage, editor: User
) -> None:
    with pytest.raises(StoryValidationError):
        story_create_draft(
            section=section, headline="  ", body="", authors=[], by=editor
        )

    assert not StoryPage.objects.exists()


def test_create_draft_refuses_someone_without_a_newsroom_role(
    section: SectionPage, outsider: User
) -> None:
    with pytest.raises(PermissionDeniedError):
        story_create_draft(
            section=section, headline="Hello", body="", authors=[], by=outsider
        )

    assert not StoryPage.objects.exists()


def test_publish_makes_the_latest_revision_live(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(title="Budget passes")

    story_publish(story=story, by=editor)

    story.refresh_from_db()
    assert story.live
    assert story.first_published_at is not None
    assert story.events.filter(kind=StoryEvent.Kind.PUBLISHED, actor=editor).exists()


def test_publish_publishes_the_edited_draft_of_a_live_story(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(title="Old headline", live=True)
    story.title = "New headline"
    story.save_revision(user=editor)

    story_publish(story=story, by=editor)

    story.refresh_from_db()
    assert (story.title, story.has_unpublished_changes) == ("New headline", False)


def test_publish_is_refused_to_a_writer_without_publish_rights(
    story_factory: StoryFactory, writer: User
) -> None:
    story = story_factory()

    with pytest.raises(PermissionDeniedError):
        story_publish(story=story, by=writer)

    story.refresh_from_db()
    assert not story.live


def test_publish_is_refused_for_a_story_already_live_without_changes(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(live=True)

    with pytest.raises(StoryStateError):
        story_publish(story=story, by=editor)


def test_publish_is_refused_for_a_story_without_byline(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(authors=[])

    with pytest.raises(StoryValidationError, match="byline"):
        story_publish(story=story, by=editor)

    story.refresh_from_db()
    assert not story.live


def test_unpublish_takes_a_live_story_off_and_keeps_its_draft(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(live=True)

    story_unpublish(story=story, by=editor, note="Legal asked")

    story.refresh_from_db()
    assert not story.live
    assert story.get_latest_revision() is not None
    assert story.events.get(kind=StoryEvent.Kind.UNPUBLISHED).note == "Legal asked"


def test_unpublish_is_refused_for_a_draft(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory()

    with pytest.raises(StoryStateError):
        story_unpublish(story=story, by=editor)


def test_unpublish_is_refused_to_a_writer(
    story_factory: StoryFactory, writer: User
) -> None:
    story = story_factory(live=True)

    with pytest.raises(PermissionDeniedError):
        story_unpublish(story=story, by=writer)

    story.refresh_from_db()
    assert story.live
