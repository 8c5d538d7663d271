"""Desk editors edit, approve and publish the stories of their own desks; chief
editors those of every desk. Over HTTP, through Wagtail's own views."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import Workflow, WorkflowPage

from newsdesk.accounts.models import User
from newsdesk.stories.models import Desk, SectionPage, StoryPage
from tests.accounts.test_roles import OPINION_REVIEW, _approve, _edit, _live
from tests.stories.factories import make_section, make_story

pytestmark = pytest.mark.django_db


def _editor(
    username: str, role: str = "Desk editors", desk: str | None = None
) -> tuple[User, Client]:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@news.example",
        password="a-long-test-password",
    )
    user.groups.add(Group.objects.get(name=role))
    if desk is not None:
        Desk.objects.get(name=desk).members.add(user)
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def dari_story(section: SectionPage) -> StoryPage:
    return make_story(section=section, title="سیلاب در کابل", language="prs")


@pytest.fixture
def english_editor() -> tuple[User, Client]:
    return _editor("nadia", desk="English news")


@pytest.fixture
def dari_editor() -> tuple[User, Client]:
    return _editor("omid", desk="Dari")


def _submitted(story: StoryPage, by: Client) -> None:
    assert _edit(by, story, "action-submit", language=story.language) == 302


def test_a_desk_editor_cannot_open_or_change_another_desks_story(
    dari_story: StoryPage,
    english_editor: tuple[User, Client],
    dari_editor: tuple[User, Client],
) -> None:
    _, english = english_editor
    edit = reverse("wagtailadmin_pages:edit", args=[dari_story.pk])

    assert english.get(edit).status_code in (302, 403)
    assert _edit(
        english, dari_story, "action-publish", language="prs", title="Changed"
    ) in (302, 403)

    dari_story.refresh_from_db()
    assert not dari_story.live
    assert dari_story.get_latest_revision_as_object().title == "سیلاب در کابل"


def test_a_desk_editor_approves_their_own_desks_story_not_another_desks(
    dari_story: StoryPage,
    english_editor: tuple[User, Client],
    dari_editor: tuple[User, Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: the Dari story waits for its one approval
    chief = _editor("chief", role="Chief editors")[1]
    _submitted(dari_story, chief)
    _, english = english_editor
    _, dari = dari_editor

    # then: the English desk's editor cannot approve it, nor sees it to review
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(english, dari_story) in (302, 403)
    assert not _live(dari_story)
    assert (
        "سیلاب در کابل"
        not in english.get(reverse("wagtailadmin_home")).content.decode()
    )
    # and the Dari desk's editor sees it waiting, approves it, and it is live
    assert "سیلاب در کابل" in dari.get(reverse("wagtailadmin_home")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(dari, dari_story) == 302
    assert _live(dari_story)


def test_a_desk_editor_cannot_unpublish_another_desks_story(
    dari_story: StoryPage,
    english_editor: tuple[User, Client],
    dari_editor: tuple[User, Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        dari_story.save_revision().publish()
    _, english = english_editor

    response = english.post(
        reverse("wagtailadmin_pages:unpublish", args=[dari_story.pk])
    )

    assert response.status_code in (302, 403)
    assert _live(dari_story)


def test_a_desk_editor_cannot_bulk_publish_another_desks_story(
    dari_story: StoryPage,
    section: SectionPage,
    english_editor: tuple[User, Client],
    dari_editor: tuple[User, Client],
) -> None:
    _, english = english_editor
    english_story = make_story(section=section, title="Floods reach the capital")
    url = (
        reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
        + f"?id={dari_story.pk}&id={english_story.pk}&childOf={section.pk}"
    )

    english.post(url, {"include_descendants": ""})

    assert not _live(dari_story)
    assert _live(english_story)


def test_bulk_publish_cannot_skip_a_two_step_review(
    home: Any, english_editor: tuple[User, Client]
) -> None:
    # given: an English opinion piece under the two-step review; the English news
    # desk's editor is also on the Opinion desk
    user, english = english_editor
    Desk.objects.get(name="Opinion").members.add(user)
    opinion = make_section(home, title="Opinion", slug="opinion")
    WorkflowPage.objects.create(
        page=opinion, workflow=Workflow.objects.get(name=OPINION_REVIEW)
    )
    column = make_story(
        section=opinion, title="The dams we never built", kind="opinion"
    )
    url = (
        reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
        + f"?id={column.pk}&childOf={opinion.pk}"
    )

    english.post(url, {"include_descendants": ""})

    assert not _live(column)


def test_a_chief_editor_works_on_every_desk(
    dari_story: StoryPage,
    dari_editor: tuple[User, Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, chief = _editor("chief", role="Chief editors")

    assert (
        chief.get(reverse("wagtailadmin_pages:edit", args=[dari_story.pk])).status_code
        == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _edit(chief, dari_story, "action-publish", language="prs") == 302
    assert _live(dari_story)


def test_a_story_whose_desk_has_nobody_is_open_to_every_desk_editor(
    section: SectionPage,
    english_editor: tuple[User, Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a Pashto story, and nobody on the Pashto desk
    assert not Desk.objects.get(name="Pashto").members.exists()
    pashto = make_story(section=section, title="په کابل کې سیلاب", language="ps")
    _, english = english_editor

    with django_capture_on_commit_callbacks(execute=True):
        assert _edit(english, pashto, "action-publish", language="ps") == 302

    assert _live(pashto)


def test_a_desk_editor_keeps_their_own_draft_outside_their_desks_but_cannot_publish_it(
    section: SectionPage,
    english_editor: tuple[User, Client],
    dari_editor: tuple[User, Client],
) -> None:
    user, english = english_editor
    own = make_story(section=section, title="سیلاب در هرات", language="prs", owner=user)

    assert (
        english.get(reverse("wagtailadmin_pages:edit", args=[own.pk])).status_code
        == 200
    )
    assert _edit(english, own, "action-publish", language="prs") == 302

    assert not _live(own)
