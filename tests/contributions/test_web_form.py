"""The contribute page's form: a story from a browser goes the way an email does,
kept first; bots and floods are turned away without storing anyone's address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from newsdesk.contributions.models import RawMessage, Submission

from .documents import docx

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/contribute/send/"


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _post(client: Client, address: str = "192.0.2.10", **fields: object) -> object:
    data: dict[str, object] = {
        "name": "Farida Noori",
        "email": "farida@writers.example",
        "headline": "Floods reach the capital",
        "text": "The river rose overnight.\n\nRoads to the south are closed.",
        "website": "",
    }
    data.update(fields)
    return client.post(URL, data, REMOTE_ADDR=address)


def test_a_story_sent_from_the_form_is_kept_read_and_receipted(client: Client) -> None:
    response = _post(client)

    assert response.status_code == 200
    assert "it has reached us" in response.content.decode()
    assert not response.cookies
    raw = RawMessage.objects.get()
    assert raw.source == RawMessage.Source.FORM
    submission = Submission.objects.get()
    assert submission.headline == "Floods reach the capital"
    assert submission.sender_email == "farida@writers.example"
    assert "Roads to the south are closed." in submission.body_html
    assert mail.outbox[-1].subject == "Received: Floods reach the capital"


def test_a_document_attached_in_the_form_becomes_the_story(client: Client) -> None:
    upload = SimpleUploadedFile(
        "floods.docx",
        docx(heading="Floods reach Kabul"),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )

    _post(client, text="", attachments=[upload])

    submission = Submission.objects.get()
    assert "<h2>Floods reach Kabul</h2>" in submission.body_html
    assert submission.files.get().name == "floods.docx"


def test_line_breaks_in_the_headline_and_name_are_folded_to_spaces(
    client: Client,
) -> None:
    response = _post(
        client,
        name="Farida\r\nBcc: victim@else.example",
        headline="Floods reach\r\n the capital\u2028\x1b today",
    )

    assert response.status_code == 200
    submission = Submission.objects.get()
    assert submission.headline == "Floods reach the capital today"
    assert submission.sender_name == "Farida Bcc: victim@else.example"
    receipt = mail.outbox[-1]
    assert receipt.to == ["farida@writers.example"]
    assert receipt.bcc == []
    assert receipt.subject == "Received: Floods reach the capital today"


def test_a_headline_of_nothing_but_control_characters_is_asked_for(
    client: Client,
) -> None:
    response = _post(client, headline="\x1b\x07")

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not RawMessage.objects.exists()


def test_a_bot_filling_the_hidden_field_is_thanked_and_dropped(client: Client) -> None:
    response = _post(client, website="https://spam.example")

    assert response.status_code == 200
    assert "it has reached us" in response.content.decode()
    assert not RawMessage.objects.exists()


def test_a_form_with_something_missing_says_what_and_keeps_what_was_typed(
    client: Client,
) -> None:
    response = _post(client, email="not an address", text="")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in page
    assert "Write your story or attach it as a file." in page
    assert 'value="Floods reach the capital"' in page
    assert not RawMessage.objects.exists()


def test_too_many_files_are_refused_saying_the_limit(client: Client) -> None:
    uploads = [
        SimpleUploadedFile(f"p{n}.txt", b"x", content_type="text/plain")
        for n in range(21)
    ]

    response = _post(client, attachments=uploads)

    assert response.status_code == 400
    assert "Send at most 20 files; you chose 21." in response.content.decode()


def test_a_flood_from_one_network_address_is_slowed_and_the_address_not_kept(
    client: Client,
) -> None:
    for number in range(10):
        assert _post(client, email=f"w{number}@writers.example").status_code == 200

    response = _post(client, email="w99@writers.example")

    assert response.status_code == 429
    assert "Too many submissions from your network" in response.content.decode()
    assert _post(client, address="198.51.100.7", email="x@w.example").status_code == 200
    stored = " ".join(
        str(value) for row in RawMessage.objects.values() for value in row.values()
    )
    assert "192.0.2.10" not in stored


def test_one_writer_may_send_five_a_day(client: Client) -> None:
    for number in range(5):
        _post(client, address=f"203.0.113.{number}", headline=f"Story {number}")

    response = _post(client, address="203.0.113.99", headline="Story 6")

    assert response.status_code == 429
    assert "You have sent 5 submissions today" in response.content.decode()


def test_the_form_page_shows_the_form(client: Client) -> None:
    page = client.get(URL).content.decode()

    assert 'action="/contribute/send/"' in page
    assert 'name="attachments" type="file" multiple' in page
