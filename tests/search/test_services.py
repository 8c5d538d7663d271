"""The index follows Wagtail: publish adds a story, unpublish and delete take it out."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from newsdesk.search.models import IndexedStory
from newsdesk.search.selectors import story_search
from newsdesk.search.services import (
    search_index_story,
    search_rebuild,
    search_remove_story,
)
from newsdesk.stories.models import SectionPage, StoryPage
from tests.stories.factories import make_person, make_section

from .conftest import Publish, Unpublish


def found_ids(query: str) -> list[int]:
    return [hit.teaser.pk for hit in story_search(query=query).hits]


def test_publishing_a_story_indexes_its_text(publish: Publish) -> None:
    author = make_person(name="Farida Noori")
    story = publish(
        title="Floodwater reaches the old city",
        standfirst="Residents moved uphill overnight.",
        body="<p>The river rose <b>two</b>&nbsp;metres &amp; more.</p><p>Shops shut.</p>",
        authors=[author],
    )

    entry = IndexedStory.objects.get(story=story)

    assert entry.title == "Floodwater reaches the old city"
    assert entry.standfirst == "Residents moved uphill overnight."
    assert entry.body == "The river rose two metres & more. Shops shut."
    assert entry.byline == "Farida Noori"
    assert entry.language == "en"
    assert entry.section_id == story.get_parent().pk
    assert entry.first_published_at == story.first_published_at
    assert found_ids("floodwater") == [story.pk]
    assert found_ids("Noori") == [story.pk]


def test_nothing_is_indexed_before_the_publish_commits(
    story_factory: Callable[..., StoryPage], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        story_factory(live=True, title="Embargoed budget")

    assert callbacks
    assert not IndexedStory.objects.exists()


def test_a_draft_is_never_indexed(
    story_factory: Callable[..., StoryPage], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        draft = story_factory(title="Unfinished draft about tariffs")

    assert search_index_story(story=draft) is None
    assert not IndexedStory.objects.exists()
    assert found_ids("tariffs") == []


def test_republishing_replaces_the_indexed_text(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(title="Council approves the budget")
    story.title = "Council rejects the budget"
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()

    assert found_ids("rejects") == [story.pk]
    assert found_ids("approves") == []


def test_unpublishing_takes_a_story_out_of_the_index(
    publish: Publish, unpublish: Unpublish
) -> None:
    story = publish(title="Ministers resign over the dam")
    kept = publish(title="The dam holds after the storm")

    unpublish(story)

    assert not IndexedStory.objects.filter(story=story).exists()
    assert found_ids("dam") == [kept.pk]


def test_deleting_a_story_takes_it_out_of_the_index(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(title="Stadium reopens")
    story_id = story.pk

    with django_capture_on_commit_callbacks(execute=True):
        StoryPage.objects.get(pk=story_id).delete()

    assert not IndexedStory.objects.filter(story_id=story_id).exists()
    assert found_ids("stadium") == []


def test_moving_a_story_indexes_its_new_section(
    publish: Publish, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(title="Wheat prices fall")
    with django_capture_on_commit_callbacks(execute=True):
        business = make_section(section.get_parent(), title="Business")
        story.move(business, pos="last-child")

    assert IndexedStory.objects.get(story=story).section_id == business.pk


def test_remove_says_whether_the_story_was_indexed(publish: Publish) -> None:
    story = publish(title="Bridge closes")

    assert search_remove_story(story_id=story.pk) is True
    assert search_remove_story(story_id=story.pk) is False


def test_an_index_failure_is_logged_and_the_publish_stands(
    story_factory: Callable[..., StoryPage],
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with connection.cursor() as cursor:
        # The index's table gone: every write to it fails.
        cursor.execute("ALTER TABLE search_indexedstory RENAME TO search_gone")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            story = story_factory(live=True, title="Election results")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE search_gone RENAME TO search_indexedstory")

    assert StoryPage.objects.get(pk=story.pk).live
    assert "rebuild_search_index" in caplog.text


def test_rebuild_indexes_stories_inserted_without_signals(
    publish: Publish, section: SectionPage
) -> None:
    indexed = publish(title="Indexed the usual way")
    # As the demo import does: live stories written with no publish signal.
    quiet = StoryPage(title="Imported quietly about saffron", slug="quiet", live=True)
    section.add_child(instance=quiet)
    IndexedStory.objects.filter(story=indexed).update(title="stale words")
    progress: list[tuple[int, int]] = []

    count = search_rebuild(batch_size=1, progress=lambda d, t: progress.append((d, t)))

    assert count == 2
    assert progress == [(0, 2), (1, 2), (2, 2)]
    assert found_ids("saffron") == [quiet.pk]
    assert found_ids("usual") == [indexed.pk]
    assert found_ids("stale") == []


def test_rebuild_drops_stories_no_longer_live(publish: Publish) -> None:
    story = publish(title="Withdrawn quietly")
    # Taken down without a signal (a raw update, as a bulk tool might).
    StoryPage.objects.filter(pk=story.pk).update(live=False)

    assert search_rebuild() == 0
    assert not IndexedStory.objects.exists()


def test_rebuild_is_safe_to_run_twice(publish: Publish) -> None:
    story = publish(title="Twice over")

    search_rebuild()
    search_rebuild()

    assert list(IndexedStory.objects.values_list("story_id", flat=True)) == [story.pk]
    assert found_ids("twice") == [story.pk]


def test_rebuild_refuses_a_batch_size_below_one() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        search_rebuild(batch_size=0)


def test_rebuild_command_reports_what_it_indexed(publish: Publish) -> None:
    publish(title="Command line")
    IndexedStory.objects.all().delete()
    out = io.StringIO()

    call_command("rebuild_search_index", stdout=out, stderr=io.StringIO())

    assert "Indexed 1 live stories" in out.getvalue()
    assert IndexedStory.objects.count() == 1


def test_rebuild_command_if_empty_leaves_a_full_index_alone(publish: Publish) -> None:
    story = publish(title="Already there")
    IndexedStory.objects.filter(story=story).update(title="left alone")
    out = io.StringIO()

    call_command("rebuild_search_index", "--if-empty", stdout=out, stderr=io.StringIO())

    assert "left as it is" in out.getvalue()
    assert IndexedStory.objects.get(story=story).title == "left alone"


def test_rebuild_command_refuses_a_bad_batch_size() -> None:
    with pytest.raises(CommandError, match="--batch-size must be 1 or more"):
        call_command("rebuild_search_index", "--batch-size", "0", stdout=io.StringIO())
