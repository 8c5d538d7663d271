"""The listing summaries stay equal to what the live stories say, through publishes,
republishes with other bylines and tags, and unpublishes; a database without them
fills them on first use."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.models import ListingSummary
from newsdesk.publishing.services import site_rebuild
from newsdesk.publishing.summaries import Kind, Tally, summaries_from_stories
from newsdesk.stories.models import Person, StoryAuthor, StoryPage
from newsdesk.stories.selectors import story_list_live
from tests.stories.factories import make_person

from .conftest import Unpublish, read

Change = Callable[[StoryPage, Callable[[StoryPage], None]], None]

TAGS = ("floods", "kabul", "elections")
# Late on the last day of a month in UTC is the next month in Kabul (UTC+4:30).
MOMENTS = tuple(
    datetime(2024, month, day, hour, 0, tzinfo=UTC)
    for month, day in ((1, 31), (2, 29), (3, 31))
    for hour in (8, 22)
)


@pytest.fixture(autouse=True)
def _kabul(settings: SettingsWrapper) -> None:
    settings.TIME_ZONE = settings.NEWSDESK_TIME_ZONE = "Asia/Kabul"


@pytest.fixture
def change(django_capture_on_commit_callbacks: Any) -> Change:
    """Edit a live story's latest revision as the page editor does, then publish it."""

    def edit(story: StoryPage, how: Callable[[StoryPage], None]) -> None:
        latest = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
        how(latest)
        with django_capture_on_commit_callbacks(execute=True):
            latest.save_revision().publish()

    return edit


def kept() -> dict[tuple[str, str], Tally]:
    return {
        (row.kind, row.key): Tally(row.count, row.last_modified)
        for row in ListingSummary.objects.exclude(kind=Kind.COMPLETE)
    }


def from_the_stories() -> dict[tuple[str, str], Tally]:
    return summaries_from_stories(story_list_live().prefetch_related("tags"))


def _byline(people: list[Person]) -> Callable[[StoryPage], None]:
    def set_byline(story: StoryPage) -> None:
        story.authors = [StoryAuthor(person=person) for person in people]

    return set_byline


def _tagged(tags: list[str]) -> Callable[[StoryPage], None]:
    def set_tags(story: StoryPage) -> None:
        story.tags.set(tags, clear=True)

    return set_tags


def test_summaries_follow_publishes_retags_new_bylines_and_unpublishes(
    story_factory: Callable[..., StoryPage],
    django_capture_on_commit_callbacks: Any,
    change: Change,
    unpublish: Unpublish,
) -> None:
    rng = random.Random(7)  # noqa: S311 (a repeatable shuffle, not a secret)
    people = [make_person(name=name) for name in ("Farida Noori", "Ali Reza", "Sara")]
    live: list[StoryPage] = []
    done: list[str] = []
    steps = 24
    for step in range(steps):
        # time only moves forward, through month ends in UTC and in Kabul
        when = MOMENTS[step * len(MOMENTS) // steps] + timedelta(minutes=step)
        with time_machine.travel(when, tick=False):
            action = rng.choice(("publish", "publish", "byline", "tags", "unpublish"))
            if action == "publish" or not live:
                story = story_factory(
                    live=False, authors=rng.sample(people, rng.randint(1, 2))
                )
                story.tags.add(*rng.sample(TAGS, rng.randint(0, 2)))
                with django_capture_on_commit_callbacks(execute=True):
                    story.save_revision().publish()
                live.append(story)
            elif action == "byline":
                change(rng.choice(live), _byline(rng.sample(people, 1)))
            elif action == "tags":
                change(rng.choice(live), _tagged(rng.sample(TAGS, 1)))
            else:
                unpublish(live.pop(rng.randrange(len(live))))

        done.append(action)
        assert kept() == from_the_stories(), f"after step {step}: {action}"
    assert set(done) == {"publish", "byline", "tags", "unpublish"}
    # the summaries span both calendars and every kind of listing
    kinds = {kind for kind, _ in kept()}
    assert kinds == {
        Kind.SECTION,
        Kind.AUTHOR,
        Kind.TAG,
        Kind.MONTH,
        Kind.SITEMAP_MONTH,
    }
    assert {key for kind, key in kept() if kind == Kind.MONTH} != {
        key for kind, key in kept() if kind == Kind.SITEMAP_MONTH
    }


def test_a_database_without_summaries_fills_them_on_the_next_publish(
    publish: Callable[..., StoryPage],
) -> None:
    with time_machine.travel(MOMENTS[1], tick=False):
        publish(slug="first")
    ListingSummary.objects.all().delete()  # as after an upgrade

    with time_machine.travel(MOMENTS[4], tick=False):
        publish(slug="second")

    assert kept() == from_the_stories()
    assert ListingSummary.objects.filter(kind=Kind.COMPLETE).count() == 1
    # the date archive's index has both months (already February 1 in Kabul)
    index = read("archive/index.html")
    assert "February 2024" in index
    assert "March 2024" in index


def test_a_rebuild_replaces_summaries_gone_wrong(
    publish: Callable[..., StoryPage],
) -> None:
    with time_machine.travel(MOMENTS[0], tick=False):
        publish(slug="first")
    ListingSummary.objects.filter(kind=Kind.MONTH).update(count=99)
    ListingSummary.objects.create(kind=Kind.TAG, key="12345", count=3)

    site_rebuild(workers=1)

    assert kept() == from_the_stories()
    assert "(99)" not in read("archive/index.html")
