"""The checks before publishing hold on every way a story goes live: the review
step whose approval publishes it, and Wagtail's bulk publish. A story that is not
ready stays where it was (in review, or a draft) and the editor is told why."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import Workflow, WorkflowPage, WorkflowState

from newsdesk.accounts.models import User
from newsdesk.stories.models import SectionPage, StoryAuthor, StoryEvent, StoryPage
from newsdesk.stories.selectors import HEADLINE_MAX
from tests.accounts.test_roles import (
    _approve,
    _form,
    _live,
    _member,
)

from .factories import make_person, make_story

pytestmark = pytest.mark.django_db

LONG_HEADLINE = "Floods " + "x" * HEADLINE_MAX


def _messages(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _in_review(story: StoryPage) -> StoryPage:
    """Submit the story to its section's review, as its reporter would."""
    reporter = User.objects.filter(username="reporter").first() or (
        User.objects.create_user(
            username="reporter", email="reporter@news.example", password="x" * 20
        )
    )
    workflow = story.get_workflow()
    assert workflow is not None
    workflow.start(story, reporter)
    return story


def _review_state(story: StoryPage) -> str:
    return WorkflowState.objects.get(object_id=str(story.pk)).status


def test_approving_a_story_without_a_byline_keeps_it_in_review_saying_why(
    section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    desk = _member("Desk editors")
    story = _in_review(make_story(section=section, authors=[]))
    task_state = WorkflowState.objects.get(object_id=str(story.pk)).current_task_state
    assert task_state is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=[story.pk, "approve", task_state.pk],
            ),
            {"comment": ""},
            follow=True,
        )

    assert not _live(story)
    assert _review_state(story) == "in_progress"
    task_state.refresh_from_db()
    assert task_state.status == "in_progress"
    # the reviewer lands in the editor, told it was not approved and what to fix
    assert response.request["PATH_INFO"] == reverse(
        "wagtailadmin_pages:edit", args=[story.pk]
    )
    said = _messages(response)
    assert "Not approved" in said
    assert "It needs a byline" in said
    assert not StoryEvent.objects.filter(
        story=story, kind=StoryEvent.Kind.APPROVED
    ).exists()

    # once a byline is added, the same approval publishes it
    StoryAuthor.objects.create(story=story, person=make_person(name="Farida Noori"))
    story.save_revision()
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(desk, story) == 302
    assert _live(story)
    assert _review_state(story) == "approved"


def test_approving_in_the_editor_saves_the_edit_but_does_not_publish_an_overlong_headline(
    section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    desk = _member("Desk editors")
    author = make_person(name="Farida Noori")
    story = _in_review(make_story(section=section, authors=[author]))

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            reverse("wagtailadmin_pages:edit", args=[story.pk]),
            _form(
                story,
                "action-workflow-action",
                title=LONG_HEADLINE,
                **{"workflow-action-name": "approve"},
            ),
            follow=True,
        )

    assert response.status_code == 200
    assert not _live(story)
    assert _review_state(story) == "in_progress"
    said = _messages(response)
    assert "not approved" in said
    assert f"keep it to {HEADLINE_MAX}" in said
    # nothing the reviewer wrote is lost
    latest = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    assert latest.title == LONG_HEADLINE


def test_the_editor_warns_a_reviewer_before_an_approval_that_cannot_publish(
    section: SectionPage,
) -> None:
    desk = _member("Desk editors")
    story = _in_review(make_story(section=section, authors=[]))

    response = desk.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))

    said = _messages(response)
    assert "Fix this before approving" in said
    assert "It needs a byline" in said


def test_bulk_publish_publishes_nothing_while_one_story_is_not_ready(
    section: SectionPage,
) -> None:
    chief = _member("Chief editors")
    ready = make_story(section=section, title="Floods reach the capital")
    unready = make_story(section=section, title=LONG_HEADLINE)
    url = (
        reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
        + f"?id={ready.pk}&id={unready.pk}&childOf={section.pk}"
    )

    response = chief.post(url, {"include_descendants": ""}, follow=True)

    assert not _live(ready)
    assert not _live(unready)
    said = _messages(response)
    assert "Nothing was published" in said
    assert LONG_HEADLINE in said
    assert f"keep it to {HEADLINE_MAX}" in said


def test_bulk_publishing_a_section_with_its_drafts_checks_the_drafts_below(
    section: SectionPage,
) -> None:
    chief = _member("Chief editors")
    unready = make_story(section=section, authors=[], title="Council meets")
    SectionPage.objects.filter(pk=section.pk).update(live=False)
    url = (
        reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
        + f"?id={section.pk}&childOf={section.get_parent().pk}"
    )

    response = chief.post(url, {"include_descendants": "on"}, follow=True)

    assert not _live(unready)
    assert "It needs a byline" in _messages(response)


def test_bulk_publish_of_ready_stories_still_works(section: SectionPage) -> None:
    chief = _member("Chief editors")
    ready = make_story(section=section, title="Floods reach the capital")
    url = (
        reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
        + f"?id={ready.pk}&childOf={section.pk}"
    )

    chief.post(url, {"include_descendants": ""})

    assert _live(ready)


def test_a_first_of_two_approvals_is_not_held_back_by_the_checks(
    opinion: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    column = _in_review(make_story(section=opinion, authors=[], kind="opinion"))
    desk = _member("Desk editors")

    # the desk's approval does not publish, so it passes; the chief's would
    assert _approve(desk, column) == 302
    state = WorkflowState.objects.get(object_id=str(column.pk))
    assert state.current_task_state is not None
    assert state.current_task_state.task.name != "Desk approval"
    chief = _member("Chief editors")
    with django_capture_on_commit_callbacks(execute=True):
        response = chief.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=[column.pk, "approve", state.current_task_state.pk],
            ),
            {"comment": ""},
            follow=True,
        )
    assert not _live(column)
    assert "It needs a byline" in _messages(response)


def test_an_approval_that_moves_a_review_on_is_not_called_refused(
    opinion: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an opinion piece with an overlong headline at its desk step, and a
    # chief editor, who may give both approvals
    author = make_person(name="Farida Noori")
    column = _in_review(make_story(section=opinion, authors=[author], kind="opinion"))
    chief = _member("Chief editors")

    # when: they approve the desk step in the editor
    response = chief.post(
        reverse("wagtailadmin_pages:edit", args=[column.pk]),
        _form(
            column,
            "action-workflow-action",
            title=LONG_HEADLINE,
            **{"workflow-action-name": "approve"},
        ),
        follow=True,
    )

    # then: the review moved on to the chief editor's step, and nobody is told
    # the approval was refused
    state = WorkflowState.objects.get(object_id=str(column.pk))
    assert state.current_task_state is not None
    assert state.current_task_state.task.name == "Chief editor approval"
    assert "not approved" not in _messages(response)
    assert not _live(column)


def test_a_plain_group_approval_step_does_not_publish_an_unready_story(
    section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an administrator gave the section a workflow with Wagtail's plain
    # group approval step, which knows nothing of the newsroom's checks
    from django.contrib.auth.models import Group
    from wagtail.models import GroupApprovalTask, WorkflowTask

    step = GroupApprovalTask.objects.create(name="Any editor")
    step.groups.set([Group.objects.get(name="Desk editors")])
    workflow = Workflow.objects.create(name="Plain review")
    WorkflowTask.objects.create(workflow=workflow, task=step, sort_order=0)
    WorkflowPage.objects.create(page=section, workflow=workflow)
    story = _in_review(make_story(section=section, authors=[]))
    ready = _in_review(make_story(section=section, title="Floods reach the capital"))
    desk = _member("Desk editors")

    # when: the step is approved for both
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(desk, story) == 302
        assert _approve(desk, ready) == 302

    # then: the story without a byline stays a draft; the ready one is published
    assert not _live(story)
    assert _live(ready)
