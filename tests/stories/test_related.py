""" "Read next" under a story: earlier stories sharing most of its tags, then the
newest of its section; the full rebuild's in-memory list and the query agree."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import HomePage, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    story_list_live,
    story_list_related,
    story_related_map,
)
from tests.conftest import PublishAt
from tests.publishing.conftest import output_files, read
from tests.stories.factories import make_section, make_story

T0 = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _story(
    section: SectionPage,
    *,
    minutes: float,
    tags: Sequence[str] = (),
    title: str | None = None,
    live: bool = True,
) -> StoryPage:
    """Make a story with tags, published through Wagtail at ``T0 + minutes``.

    The publisher is not run (its callbacks wait for a commit that never comes):
    these tests read the selectors.
    """
    story = make_story(section=section, title=title)
    story.tags.add(*tags)
    with time_machine.travel(_at(minutes), tick=False):
        revision = story.save_revision()
        if live:
            revision.publish()
    story.refresh_from_db()
    return story


def _titles(stories: Sequence[StoryPage]) -> list[str]:
    return [story.title for story in stories]


@pytest.fixture
def sport(home: HomePage) -> SectionPage:
    return make_section(home, title="Sport")


def test_stories_sharing_most_tags_come_first_then_the_newest(
    section: SectionPage, sport: SectionPage
) -> None:
    _story(section, minutes=1, title="three shared", tags=["Floods", "Kabul", "Herat"])
    _story(sport, minutes=2, title="one shared, older", tags=["Floods"])
    _story(sport, minutes=3, title="two shared", tags=["Floods", "Kabul"])
    _story(section, minutes=4, title="one shared, newer", tags=["Kabul", "Sport"])
    _story(sport, minutes=5, title="none shared", tags=["Football"])
    story = _story(section, minutes=6, tags=["Floods", "Kabul", "Herat"])

    assert _titles(story_list_related(story)) == [
        "three shared",
        "two shared",
        "one shared, newer",
        "one shared, older",
    ]


def test_only_stories_published_before_the_story_are_listed(
    section: SectionPage,
) -> None:
    older = _story(section, minutes=1, title="older", tags=["Floods"])
    taken_down = _story(section, minutes=2, title="taken down", tags=["Floods"])
    taken_down.unpublish()
    _story(section, minutes=2, title="draft", tags=["Floods"], live=False)
    story = _story(section, minutes=3, title="story", tags=["Floods"])
    _story(section, minutes=3, title="same moment", tags=["Floods"])
    newer = _story(section, minutes=4, title="newer", tags=["Floods"])

    assert _titles(story_list_related(story)) == ["older"]
    assert story_list_related(older) == []
    assert "newer" not in _titles(story_list_related(newer))
    assert {"story", "same moment", "older"} == set(_titles(story_list_related(newer)))


def test_the_list_is_filled_with_the_newest_earlier_stories_of_the_section(
    section: SectionPage, sport: SectionPage
) -> None:
    for n in range(1, 5):
        _story(section, minutes=n, title=f"world {n}")
    _story(sport, minutes=2.5, title="sport, tagged", tags=["Floods"])
    _story(sport, minutes=3.5, title="sport, untagged")
    story = _story(section, minutes=5, title="story", tags=["Floods"])
    untagged = _story(section, minutes=6, title="untagged")

    assert _titles(story_list_related(story)) == [
        "sport, tagged",
        "world 4",
        "world 3",
        "world 2",
    ]
    assert _titles(story_list_related(untagged)) == [
        "story",
        "world 4",
        "world 3",
        "world 2",
    ]


@pytest.mark.parametrize("seed", [7, 2026])
def test_the_rebuild_s_in_memory_lists_equal_the_query_s_for_every_story(
    seed: int, home: HomePage, section: SectionPage, sport: SectionPage
) -> None:
    # given: forty stories with random tags, sections and times, many at the same
    # moment, and some not (or no longer) live
    rng = random.Random(seed)  # noqa: S311 (test data, not a secret)
    sections = [section, sport, make_section(home, title="Business")]
    tags = ["Floods", "Kabul", "Herat", "Elections", "Football", "Trade"]
    for n in range(40):
        _story(
            rng.choice(sections),
            minutes=rng.randrange(15),
            title=f"Story {n}",
            tags=rng.sample(tags, rng.choice([0, 0, 1, 1, 2, 2, 3, 4])),
            live=rng.random() > 0.1,
        )
    for story in rng.sample(list(StoryPage.objects.live()), 3):
        story.unpublish()

    # when
    stories = list(story_list_live().prefetch_related("tags"))
    in_memory = story_related_map(stories)

    # then
    differing = {
        story.title: (_titles(in_memory[story.pk]), _titles(story_list_related(story)))
        for story in stories
        if [s.pk for s in in_memory[story.pk]]
        != [s.pk for s in story_list_related(story)]
    }
    assert differing == {}
    assert any(in_memory.values())


def _read_next(reader_file: str) -> list[str]:
    page = read(reader_file)
    match = re.search(r'<section class="related".*?</section>', page, re.S)
    if match is None:
        return []
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', match.group(0))


def test_a_rebuilt_story_page_reads_next_what_its_publish_wrote(
    publish_at: PublishAt, sport: SectionPage
) -> None:
    # given: stories published one by one, two of them at the same moment
    publish_at(minutes=1, title="Rain in Herat", slug="rain", tags=["Floods", "Herat"])
    publish_at(minutes=2, title="Cup final", slug="cup", section=sport)
    publish_at(minutes=3, title="River rises", slug="river", tags=["Floods"])
    publish_at(minutes=3, title="Council meets", slug="council", tags=["Kabul"])
    publish_at(minutes=4, title="Aid arrives", slug="aid", tags=["Herat", "Floods"])
    publish_at(minutes=5, title="Roads close", slug="roads", tags=["Kabul", "Floods"])
    story_files = sorted(
        name
        for name in output_files()
        if re.fullmatch(r"(world|sport)/[a-z]+/index.html", name)
    )
    published = {name: _read_next(name) for name in story_files}

    # when
    site_rebuild(workers=1)

    # then
    assert {name: _read_next(name) for name in story_files} == published
    assert published["world/aid/index.html"] == [
        "Rain in Herat",
        "River rises",
        "Council meets",
    ]
    assert published["world/rain/index.html"] == []


def test_a_story_taken_down_is_no_longer_offered_to_read_next(
    publish_at: PublishAt, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a later story whose page offers an earlier one
    earlier = publish_at(minutes=1, title="Rain in Herat", slug="rain", tags=["Floods"])
    publish_at(minutes=2, title="River rises", slug="river", tags=["Floods"])
    assert _read_next("world/river/index.html") == ["Rain in Herat"]

    # when: the earlier story is taken off the site
    with django_capture_on_commit_callbacks(execute=True):
        earlier.unpublish()

    # then: no page sends readers to it any more
    pages = sorted(name for name in output_files() if name.endswith(".html"))
    assert [name for name in pages if "/world/rain/" in read(name)] == []
