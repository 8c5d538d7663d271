"""A writer the agency does not know confirms their address with one click before
their first submission reaches the editors; unconfirmed submissions expire."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Contributor, Submission
from newsdesk.contributions.services import (
    submission_accept,
    submission_receive,
    submissions_expire_unconfirmed,
)
from newsdesk.stories.models import SectionPage

from .test_services import parsed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _confirm_new_writers(settings: SettingsWrapper) -> None:
    settings.NEWSDESK_CONFIRM_NEW_WRITERS = True


def _receive(capture: Any, **overrides: Any) -> Submission:
    with capture(execute=True):
        return submission_receive(parsed=parsed(**overrides), raw=None)


def _confirm_path(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/contribute/confirm/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_new_writer_is_asked_to_confirm_before_editors_see_it(
    editor: User, django_capture_on_commit_callbacks: Any
) -> None:
    submission = _receive(django_capture_on_commit_callbacks)

    assert submission.state == Submission.State.UNCONFIRMED
    assert [m.subject for m in mail.outbox] == [
        "Please confirm: Floods reach the capital"
    ]
    client = Client()
    client.force_login(editor)
    queue = client.get(reverse("contributions:index")).content.decode()
    assert "Floods reach the capital" not in queue


def test_opening_the_link_does_not_confirm_pressing_the_button_does(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    submission = _receive(django_capture_on_commit_callbacks)
    path = _confirm_path(mail.outbox[0])

    # A mail scanner opening the link changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert '<button type="submit">Confirm, and agree to the terms</button>' in (
        page.content.decode()
    )
    assert not page.cookies
    assert Submission.objects.get().state == Submission.State.UNCONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(path)

    assert confirmed.status_code == 200
    assert "your address is confirmed" in confirmed.content.decode()
    submission.refresh_from_db()
    assert submission.state == Submission.State.NEW
    assert Contributor.objects.get().confirmed_at is not None
    assert mail.outbox[-1].subject == "Received: Floods reach the capital"
    # twice is once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    assert len(mail.outbox) == 2


def test_a_confirmed_writer_s_next_submission_goes_straight_to_the_queue(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _receive(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_confirm_path(mail.outbox[0]))

    second = _receive(django_capture_on_commit_callbacks, message_id="<two@w.example>")

    assert second.state == Submission.State.NEW
    assert mail.outbox[-1].subject.startswith("Received:")


def test_all_of_a_new_writer_s_waiting_submissions_go_through_on_one_click(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _receive(django_capture_on_commit_callbacks)
    _receive(django_capture_on_commit_callbacks, message_id="<two@w.example>")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_confirm_path(mail.outbox[0]))

    assert set(Submission.objects.values_list("state", flat=True)) == {"new"}


def test_an_unconfirmed_submission_expires_and_is_kept(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    submission = _receive(django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert submissions_expire_unconfirmed() == 1

    submission.refresh_from_db()
    assert submission.state == Submission.State.EXPIRED
    page = client.get(_confirm_path(mail.outbox[0]))
    assert "has expired" in page.content.decode()
    client.post(_confirm_path(mail.outbox[0]))
    assert Submission.objects.get().state == Submission.State.EXPIRED


def test_a_writer_an_editor_accepted_needs_no_confirmation(
    editor: User,
    section: SectionPage,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a writer whose story an editor accepted before confirmation existed
    settings.NEWSDESK_CONFIRM_NEW_WRITERS = False
    first = _receive(django_capture_on_commit_callbacks)
    submission_accept(submission=first, section=section, by=editor)
    settings.NEWSDESK_CONFIRM_NEW_WRITERS = True

    second = _receive(django_capture_on_commit_callbacks, message_id="<two@w.example>")

    assert second.state == Submission.State.NEW


def test_an_unknown_confirmation_address_is_not_found(client: Client) -> None:
    assert client.post("/contribute/confirm/nothing-here/").status_code == 404
