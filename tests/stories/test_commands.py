"""publish_story and unpublish_story from the command line."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command

from newsdesk.accounts.models import User
from newsdesk.stories.models import StoryPage

StoryFactory = Callable[..., StoryPage]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_publish_story_by_number_prints_the_reader_url(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(title="Budget passes")

    out = run("publish_story", str(story.pk), "--user", "editor")

    story.refresh_from_db()
    assert story.live
    assert f"Read it at https://news.example/world/{story.slug}/" in out


def test_publish_story_by_reader_path(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(title="Budget passes")

    run("publish_story", f"/world/{story.slug}/", "--user", "editor")

    story.refresh_from_db()
    assert story.live


def test_unpublish_story_takes_it_off(
    story_factory: StoryFactory, editor: User
) -> None:
    story = story_factory(live=True)

    out = run("unpublish_story", str(story.pk), "--user", "editor", "--note", "Legal")

    story.refresh_from_db()
    assert not story.live
    assert "Unpublished" in out


@pytest.mark.parametrize(
    ("command", "reference", "user", "message"),
    [
        ("publish_story", "424242", "editor", "There is no story '424242'"),
        ("publish_story", "/world/nothing-here/", "editor", "There is no story"),
        ("publish_story", "{id}", "writer", "You may not publish"),
        ("unpublish_story", "{id}", "editor", "is not published"),
    ],
)
def test_story_commands_refuse_with_a_clear_sentence(
    story_factory: StoryFactory,
    editor: User,
    writer: User,
    command: str,
    reference: str,
    user: str,
    message: str,
) -> None:
    story = story_factory()

    with pytest.raises(CommandError, match=message):
        run(command, reference.format(id=story.pk), "--user", user)

    story.refresh_from_db()
    assert not story.live
