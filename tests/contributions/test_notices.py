"""Writers hear back: a receipt with a private status address, then word of
publication or a decline with the editor's note; their replies reach the editor."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.contributions.models import RawMessage, Submission
from newsdesk.contributions.services import (
    NOTICE_RECEIPT,
    raw_message_parse,
    submission_accept,
    submission_decline,
    submission_notice_send,
    submission_receive,
)
from newsdesk.stories.models import SectionPage, StoryPage

from .test_services import parsed, stored_raw

pytestmark = pytest.mark.django_db

ORIGINAL_ID = "<story-1@writers.example>"


def _receive(**overrides: Any) -> Submission:
    return submission_receive(parsed=parsed(**overrides), raw=None)


def _status_path(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/contribute/status/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_writer_gets_a_receipt_with_a_private_status_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = _receive()

    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == ["farida@writers.example"]
    assert receipt.subject == "Received: Floods reach the capital"
    assert receipt.extra_headers["In-Reply-To"] == ORIGINAL_ID
    assert receipt.extra_headers["Auto-Submitted"] == "auto-replied"
    submission.refresh_from_db()
    assert submission.status_token in receipt.body
    assert submission.receipt_message_id == receipt.extra_headers["Message-ID"]
    # sent once, however often asked
    assert not submission_notice_send(submission=submission, kind=NOTICE_RECEIPT)
    assert len(mail.outbox) == 1


def test_no_receipt_goes_to_a_held_an_automatic_or_an_unknown_sender(
    settings: SettingsWrapper, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NEWSDESK_TRUSTED_AUTHSERV_ID = "mx.news.example"
    with django_capture_on_commit_callbacks(execute=True):
        _receive(authentication_results=("mx.news.example; dmarc=fail",))
        _receive(message_id="<ooo@writers.example>", automatic=True)
        _receive(message_id="<anon@writers.example>", sender_email="")

    assert mail.outbox == []


def test_the_status_page_follows_the_submission_to_publication(
    client: Client,
    editor: User,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a submission and its receipt
    with django_capture_on_commit_callbacks(execute=True):
        submission = _receive()
    path = _status_path(mail.outbox[0])

    # then: the page says received, privately, and sets no cookie
    page = client.get(path)
    assert page.status_code == 200
    assert "Received" in page.content.decode()
    assert "Floods reach the capital" in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    assert not page.cookies

    # when: accepted, then published
    story = submission_accept(submission=submission, section=section, by=editor)
    assert "In review" in client.get(path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        StoryPage.objects.get(pk=story.pk).get_latest_revision().publish()

    # then: the page links the story, and the writer is told once
    published = client.get(path).content.decode()
    assert "Published" in published
    assert f'href="https://news.example{story.url}"' in published
    notices = [m for m in mail.outbox if m.subject.startswith("Published:")]
    assert len(notices) == 1
    assert "https://news.example/world/" in notices[0].body
    with django_capture_on_commit_callbacks(execute=True):
        StoryPage.objects.get(pk=story.pk).save_revision().publish()
    assert len([m for m in mail.outbox if m.subject.startswith("Published:")]) == 1


def test_a_declined_writer_gets_the_editor_s_note(
    client: Client, editor: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = _receive()
    path = _status_path(mail.outbox[0])

    with django_capture_on_commit_callbacks(execute=True):
        submission_decline(
            submission=submission, note="We covered the floods yesterday.", by=editor
        )

    declined = mail.outbox[-1]
    assert declined.subject == "Not accepted: Floods reach the capital"
    assert "We covered the floods yesterday." in declined.body
    page = client.get(path).content.decode()
    assert "Not accepted" in page
    assert "We covered the floods yesterday." in page


def test_an_unknown_status_address_is_not_found(client: Client) -> None:
    _receive()

    assert client.get("/contribute/status/not-a-token/").status_code == 404
    assert client.get("/contribute/status/" + "x" * 70 + "/").status_code == 404


def test_a_reply_to_the_receipt_is_a_note_on_the_submission(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = _receive()
    receipt_id = mail.outbox[0].extra_headers["Message-ID"]
    reply = (
        "From: Farida Noori <farida@writers.example>\r\n"
        "To: stories@news.example\r\n"
        "Subject: Re: Received: Floods reach the capital\r\n"
        "Message-ID: <reply-1@writers.example>\r\n"
        f"In-Reply-To: {receipt_id}\r\n"
        f"References: {ORIGINAL_ID} {receipt_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "One more thing: the bridge reopened at noon.\r\n"
    ).encode()

    threaded = raw_message_parse(raw=stored_raw(reply, "reply.eml"))

    assert threaded == submission
    assert Submission.objects.count() == 1
    note = submission.notes.get()
    assert note.from_writer
    assert "the bridge reopened at noon" in note.body_html


def test_a_reply_from_another_address_is_not_threaded(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = _receive()
    receipt_id = mail.outbox[0].extra_headers["Message-ID"]

    other = _receive(
        message_id="<x@elsewhere.example>",
        sender_email="someone@elsewhere.example",
        replies_to=(receipt_id,),
    )

    assert other != submission
    assert not submission.notes.exists()


def test_an_editor_declines_from_the_submission_page(
    editor: User, outsider: User, django_capture_on_commit_callbacks: Any
) -> None:
    submission = _receive()
    url = reverse("contributions:decline", args=[submission.pk])
    intruder = Client()
    intruder.force_login(outsider)
    assert intruder.post(url, {"note": "no"}).status_code in {302, 403}
    assert Submission.objects.get().state == Submission.State.NEW

    client = Client()
    client.force_login(editor)
    page = client.get(reverse("contributions:detail", args=[submission.pk]))
    assert url in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"note": "Not for us."})

    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == Submission.State.DECLINED
    assert submission.decision_note == "Not for us."
    # the note reaches the writer by email
    declined = mail.outbox[-1]
    assert declined.to == [submission.sender_email]
    assert "Not for us." in declined.body
    again = client.post(url, {"note": "twice"}, follow=True)
    assert "already declined" in again.content.decode()


def test_a_message_with_nothing_to_read_is_answered_with_why() -> None:
    raw = stored_raw(
        b"From: Farida Noori <farida@writers.example>\r\n"
        b"Subject: My story\r\n"
        b"Message-ID: <empty-1@writers.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b--\r\n"
    )

    assert raw_message_parse(raw=raw) is None

    raw.refresh_from_db()
    assert raw.state == RawMessage.State.REJECTED
    [reply] = mail.outbox
    assert reply.to == ["farida@writers.example"]
    assert reply.subject == "Nothing to read: My story"
    assert "no text and no files" in reply.body
    assert "The message had no text." in reply.body
    assert reply.extra_headers["In-Reply-To"] == "<empty-1@writers.example>"
    # parsed again (a sweep of stored messages), it is not answered twice
    assert raw_message_parse(raw=raw) is None
    assert len(mail.outbox) == 1


def test_an_automatic_message_with_nothing_to_read_is_not_answered() -> None:
    raw = stored_raw(
        b"From: Mailer <mailer@writers.example>\r\n"
        b"Subject: Out of office\r\n"
        b"Auto-Submitted: auto-replied\r\n\r\n"
    )

    assert raw_message_parse(raw=raw) is None
    assert mail.outbox == []
