"""Partners are told of every change to a story: each publish, embargo, update,
correction, kill and withdrawal is a new version in the change log they take."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from newsdesk.accounts.models import User
from newsdesk.stories.models import Correction, SectionPage, StoryPage
from newsdesk.stories.scheduling import scheduled_publishing_run
from newsdesk.stories.services import story_kill
from newsdesk.syndication.items import Item
from newsdesk.syndication.models import ItemVersion
from newsdesk.syndication.selectors import story_guid
from tests.stories.factories import make_person, make_story

pytestmark = pytest.mark.django_db


def _log(story: StoryPage) -> list[tuple[int, str, str]]:
    return list(
        ItemVersion.objects.filter(guid=story_guid(story.pk))
        .order_by("id")
        .values_list("version", "change", "status")
    )


def _publish(story: StoryPage, capture: Any) -> None:
    with capture(execute=True):
        story.save_revision().publish()
    story.refresh_from_db()


@pytest.fixture
def story(section: SectionPage) -> StoryPage:
    return make_story(
        section=section,
        title="Floods reach the capital",
        authors=[make_person(name="Farida Noori")],
    )


def test_a_published_story_is_version_one_with_its_copy(
    story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(story, django_capture_on_commit_callbacks)

    assert _log(story) == [(1, "published", "usable")]
    item = Item.from_json(ItemVersion.objects.get().item)
    assert item.guid == story_guid(story.pk)
    assert item.headline == "Floods reach the capital"
    assert [a.name for a in item.authors] == ["Farida Noori"]
    assert item.uri.endswith("/world/" + story.slug + "/")
    assert "The council met on Tuesday." in item.body_html


def test_an_update_and_a_correction_each_carry_a_new_version(
    story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(story, django_capture_on_commit_callbacks)
    story.title = "Floods reach the capital's old city"
    _publish(story, django_capture_on_commit_callbacks)
    story.corrections.add(
        Correction(published_at=timezone.now(), note="The river is the Kabul.")
    )
    _publish(story, django_capture_on_commit_callbacks)

    assert _log(story) == [
        (1, "published", "usable"),
        (2, "updated", "usable"),
        (3, "corrected", "usable"),
    ]
    last = Item.from_json(ItemVersion.objects.order_by("-id").first().item)  # type: ignore[union-attr]
    assert last.version == 3
    assert [c.text for c in last.corrections] == ["The river is the Kabul."]


def test_embargoed_copy_is_withheld_until_its_time_then_usable(
    story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    until = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    story.embargo_until = until
    _publish(story, django_capture_on_commit_callbacks)

    assert not story.live
    assert _log(story) == [(1, "embargoed", "withheld")]
    withheld = ItemVersion.objects.get()
    assert withheld.embargo_until == until
    assert Item.from_json(withheld.item).embargo_until == until

    with (
        time_machine.travel(until + timedelta(seconds=10)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        scheduled_publishing_run()

    assert _log(story) == [(1, "embargoed", "withheld"), (2, "published", "usable")]


def test_a_killed_story_is_canceled_with_the_reason(
    story: StoryPage, editor: User, django_capture_on_commit_callbacks: Any
) -> None:
    from django.contrib.auth.models import Group

    _publish(story, django_capture_on_commit_callbacks)
    editor.groups.add(Group.objects.get(name="Chief editors"))
    editor = User.objects.get(pk=editor.pk)

    with django_capture_on_commit_callbacks(execute=True):
        story_kill(story=story, by=editor, reason="The source withdrew the claim.")

    assert _log(story) == [(1, "published", "usable"), (2, "killed", "canceled")]
    killed = Item.from_json(ItemVersion.objects.order_by("-id").first().item)  # type: ignore[union-attr]
    assert killed.kill_reason == "The source withdrew the claim."


def test_an_unpublished_story_is_withdrawn_once(
    story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(story, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        story.unpublish()
        StoryPage.objects.get(pk=story.pk).unpublish()

    assert _log(story) == [(1, "published", "usable"), (2, "withdrawn", "canceled")]


def test_a_story_partners_never_had_makes_no_change_when_unpublished(
    story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        story.unpublish()

    assert _log(story) == []


def test_a_cancelled_embargo_withdraws_the_withheld_copy(
    story: StoryPage, editor: User, django_capture_on_commit_callbacks: Any
) -> None:
    story.embargo_until = timezone.now() + timedelta(hours=2)
    _publish(story, django_capture_on_commit_callbacks)
    revision = story.revisions.exclude(approved_go_live_at=None).get()

    with django_capture_on_commit_callbacks(execute=True):
        # as the newsroom's "Cancel scheduled publish" does
        revision.approved_go_live_at = None
        revision.save(user=editor, update_fields=["approved_go_live_at"])

    assert _log(story) == [(1, "embargoed", "withheld"), (2, "withdrawn", "canceled")]


def test_a_plain_schedule_tells_partners_nothing_until_it_is_live(
    story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    story.go_live_at = timezone.now() + timedelta(hours=1)
    _publish(story, django_capture_on_commit_callbacks)

    assert _log(story) == []
