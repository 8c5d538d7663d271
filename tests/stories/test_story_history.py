"""What the agency did to a story shows in its history in the newsroom, beside
Wagtail's own record of revisions and publishing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision, Workflow

from newsdesk.accounts.models import User
from newsdesk.contributions.services import submission_accept, submission_receive
from newsdesk.stories.models import SectionPage, StoryEvent
from newsdesk.stories.services import story_publish
from tests.accounts.test_roles import _form
from tests.contributions.test_services import parsed
from tests.stories.factories import make_story

pytestmark = pytest.mark.django_db


def test_accepting_a_submission_is_in_the_storys_history(
    section: SectionPage, editor: User
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)
    story = submission_accept(submission=submission, section=section, by=editor)
    client = Client()
    client.force_login(editor)

    history = client.get(reverse("wagtailadmin_pages:history", args=[story.pk]))

    assert history.status_code == 200
    page = history.content.decode()
    assert f"Accepted from a submission: From submission #{submission.pk}" in page
    entry = PageLogEntry.objects.get(page=story, action="newsdesk.story.accepted")
    assert entry.user == editor
    assert StoryEvent.objects.get(story=story).kind == StoryEvent.Kind.ACCEPTED


def test_publishing_is_recorded_once_in_the_history(
    section: SectionPage, editor: User
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)
    story = submission_accept(submission=submission, section=section, by=editor)

    story_publish(story=story, by=editor)

    actions = list(
        PageLogEntry.objects.filter(page=story).values_list("action", flat=True)
    )
    assert actions.count("wagtail.publish") == 1
    assert not any(a.startswith("newsdesk.story.published") for a in actions)


def test_publishing_and_unpublishing_in_the_page_editor_are_story_events(
    section: SectionPage, editor: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a draft an editor publishes, then takes down, in Wagtail's page editor
    story = make_story(section=section, title="Floods reach the capital")
    client = Client()
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(
            reverse("wagtailadmin_pages:edit", args=[story.pk]),
            _form(story, "action-publish"),
        )
        unpublished = client.post(
            reverse("wagtailadmin_pages:unpublish", args=[story.pk])
        )

    # then: both are story events naming the editor, oldest last
    assert published.status_code == 302
    assert unpublished.status_code == 302
    events = list(story.events.values_list("kind", "actor"))
    assert events == [
        (StoryEvent.Kind.UNPUBLISHED, editor.pk),
        (StoryEvent.Kind.PUBLISHED, editor.pk),
    ]


def test_changes_asked_for_in_a_review_are_a_story_event_with_the_comment(
    section: SectionPage, editor: User, writer: User
) -> None:
    # given: a draft in review, sent back by the editor with a comment
    story = make_story(section=section, title="Floods reach the capital")
    workflow = Workflow.objects.filter(active=True).first()
    assert workflow is not None
    state = workflow.start(story, writer)
    task_state = state.current_task_state
    assert task_state is not None
    task_state.task.specific.on_action(
        task_state, editor, "reject", comment="Name the source of the figure."
    )

    kinds = dict(story.events.values_list("kind", "note"))
    assert kinds[StoryEvent.Kind.SUBMITTED] == workflow.name
    assert kinds[StoryEvent.Kind.CHANGES_REQUESTED].endswith(
        ": Name the source of the figure."
    )
    assert story.events.get(kind=StoryEvent.Kind.CHANGES_REQUESTED).actor == editor


def _editor_time(moment: Any) -> str:
    """A moment as typed into the page editor's date fields, and as the history
    writes it."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_setting_and_cancelling_a_schedule_are_story_events(
    section: SectionPage, editor: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an editor sets a go-live and an expiry time and presses Publish
    story = make_story(section=section, title="Results are announced")
    go_live = timezone.now() + timedelta(hours=2)
    expire = timezone.now() + timedelta(days=3)
    client = Client()
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtailadmin_pages:edit", args=[story.pk]),
            _form(
                story,
                "action-publish",
                go_live_at=_editor_time(go_live),
                expire_at=_editor_time(expire),
            ),
        )
    assert response.status_code == 302

    # then: the schedule is in the story's events, with who and the times
    scheduled = story.events.get(kind=StoryEvent.Kind.SCHEDULED)
    assert scheduled.actor == editor
    assert scheduled.note.startswith(f"To go live at {_editor_time(go_live)}")
    expiry = story.events.get(kind=StoryEvent.Kind.EXPIRY_SET)
    assert expiry.actor == editor
    assert expiry.note.startswith(f"To be unpublished at {_editor_time(expire)}")
    assert not story.events.filter(kind=StoryEvent.Kind.PUBLISHED).exists()

    # when: the editor cancels the scheduled publish
    revision = Revision.objects.get(
        object_id=str(story.pk), approved_go_live_at__isnull=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.post(
            reverse(
                "wagtailadmin_pages:revisions_unschedule",
                args=[story.pk, revision.pk],
            )
        )

    # then: that is a story event too, naming the time it was to go live
    assert cancelled.status_code == 302
    event = story.events.get(kind=StoryEvent.Kind.SCHEDULE_CANCELLED)
    assert event.actor == editor
    assert event.note.startswith(f"Was to go live at {_editor_time(go_live)}")
    # and the history page lists all three beside Wagtail's entries
    history = client.get(reverse("wagtailadmin_pages:history", args=[story.pk]))
    text = history.content.decode()
    assert "Set to be unpublished" in text


def test_publishing_with_an_expiry_records_it_once(
    section: SectionPage, editor: User, django_capture_on_commit_callbacks: Any
) -> None:
    story = make_story(section=section, title="Polling stations open")
    expire = timezone.now() + timedelta(days=1)
    client = Client()
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):  # published, then published again unchanged
            client.post(
                reverse("wagtailadmin_pages:edit", args=[story.pk]),
                _form(story, "action-publish", expire_at=_editor_time(expire)),
            )

    assert story.events.filter(kind=StoryEvent.Kind.EXPIRY_SET).count() == 1
    assert story.events.filter(kind=StoryEvent.Kind.PUBLISHED).count() == 2


def test_publishing_and_killing_are_in_the_site_history_with_who(
    section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    from django.contrib.auth.models import Group

    from newsdesk.stories.services import story_kill

    chief = User.objects.create_user(
        username="chief", email="chief@news.example", password="x" * 20
    )
    chief.groups.add(Group.objects.get(name="Chief editors"))
    story = make_story(section=section, title="Floods reach the capital")
    with django_capture_on_commit_callbacks(execute=True):
        story_publish(story=story, by=chief)
        story_kill(story=story, by=chief, reason="Not confirmed by a second source.")
    admin = User.objects.create_superuser(
        username="root", email="root@news.example", password="x" * 20
    )
    client = Client()
    client.force_login(admin)

    page = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()

    assert "Floods reach the capital" in page
    assert "Published" in page
    assert "Killed (withdrawn): Not confirmed by a second source." in page
    assert "chief" in page
