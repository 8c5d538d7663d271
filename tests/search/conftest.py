"""Fixtures for the reader search's tests: publish through Wagtail, run what commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from newsdesk.search.services import search_index_story
from newsdesk.stories.models import StoryPage
from tests.conftest import Publish as Publish  # re-exported for the tests here
from tests.conftest import Unpublish as Unpublish


@pytest.fixture
def indexed(story_factory: Callable[..., StoryPage]) -> Publish:
    """Publish a new story through Wagtail and index it at once.

    The test's transaction never commits, so the after-commit receivers (the index's
    and the publisher's) do not run: the index gets the story from the service the
    receiver calls. For tests of searching, where writing the site is beside the point.
    """

    def make(**kwargs: Any) -> StoryPage:
        story = story_factory(live=True, **kwargs)
        search_index_story(story=story)
        return story

    return make
