"""The newsroom's dashboard: what came in on my desks, what is assigned to me and
when it is due, what is scheduled, and what was published today."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Submission
from newsdesk.contributions.services import submission_receive
from newsdesk.stories.models import Desk, SectionPage
from tests.accounts.test_desk_scope import _editor
from tests.stories.factories import make_story

from .test_services import parsed

pytestmark = pytest.mark.django_db


def _dashboard(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_my_desks_new_work_and_what_is_assigned_to_me(
    editor: User,
) -> None:
    Desk.objects.get(name="English news").members.add(editor)
    news = submission_receive(parsed=parsed(subject="Floods reach Kabul"), raw=None)
    Submission.objects.filter(pk=news.pk).update(
        assigned_to=editor, due_at=timezone.now() - timedelta(hours=1)
    )
    submission_receive(
        parsed=parsed(message_id="<op@w.example>", subject="Opinion: dams we lack"),
        raw=None,
    )

    page = _dashboard(editor)

    assert "Came in (1) on my desks" in page
    assert "Floods reach Kabul" in page
    assert "dams we lack" not in page  # the Opinion desk is not theirs
    assert "Assigned to me" in page
    assert "overdue" in page


def test_the_dashboard_shows_what_is_scheduled_and_published_today(
    editor: User,
    section: SectionPage,
    publish: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish(title="Council meets on Tuesday")
    later = make_story(section=section, title="Budget to be announced")
    later.go_live_at = timezone.now() + timedelta(hours=3)
    later.save_revision(user=editor).publish(user=editor)

    page = _dashboard(editor)

    assert "Published today (1)" in page
    assert "Council meets on Tuesday" in page
    assert "Scheduled" in page
    assert "Budget to be announced" in page


def test_the_dashboard_shows_when_a_live_story_comes_off_the_site(
    editor: User, section: SectionPage
) -> None:
    story = make_story(section=section, title="Polling stations open")
    story.expire_at = timezone.now() + timedelta(hours=5)
    story.save_revision(user=editor).publish(user=editor)
    make_story(section=section, title="Roads reopen", live=True)

    page = _dashboard(editor)

    assert "Scheduled and embargoed" in page
    assert "Polling stations open" in page
    assert "comes off the site" in page
    assert timezone.localtime(story.expire_at).isoformat() in page
    # a live story without an expiry is not listed there
    scheduled = page[page.index('id="scheduled-heading"') :]
    scheduled = scheduled[: scheduled.index("</table>")]
    assert "Roads reopen" not in scheduled


def test_waits_for_my_review_lists_my_desks_stories_only(
    section: SectionPage,
) -> None:
    # given: an English and a Dari story submitted for review
    english = make_story(section=section, title="Floods reach the capital")
    dari = make_story(section=section, title="سیلاب در کابل", language="prs")
    reporter = User.objects.create_user(
        username="reporter", email="reporter@news.example", password="x" * 20
    )
    for story in (english, dari):
        workflow = story.get_workflow()
        assert workflow is not None
        workflow.start(story, reporter)
    english_editor, _ = _editor("nadia", desk="English news")
    dari_editor, _ = _editor("omid", desk="Dari")
    chief, _ = _editor("chief", role="Chief editors")

    # then: each desk's editor is asked to review their desk's story only; the
    # chief editor, who works on every desk, both
    mine = _dashboard(english_editor)
    assert "Awaiting your review" in mine
    assert "Floods reach the capital" in mine
    assert "سیلاب در کابل" not in mine
    theirs = _dashboard(dari_editor)
    assert "سیلاب در کابل" in theirs
    assert "Floods reach the capital" not in theirs
    every = _dashboard(chief)
    assert "Floods reach the capital" in every
    assert "سیلاب در کابل" in every
