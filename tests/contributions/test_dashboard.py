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
