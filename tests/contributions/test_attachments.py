"""A story sent as an attached document: the document becomes the story, the message
its cover note, and every file is kept as it arrived for the newsroom to download."""

from __future__ import annotations

import stat
from email.message import EmailMessage
from pathlib import Path

from django.test import Client
from django.urls import reverse

from newsdesk.accounts.models import User
from newsdesk.contributions.models import RawMessage, Submission, SubmissionFile
from newsdesk.contributions.parsing import (
    MAX_ATTACHMENTS,
    NO_TEXT,
    TOO_MANY_ATTACHMENTS,
    parse_message,
)
from newsdesk.contributions.services import (
    raw_message_parse,
    submission_file_path,
)

from .documents import docx, zip_bomb
from .test_services import stored_raw

PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"  # a (tiny) JPEG's bytes


def _message(
    *,
    text: str = "Dear editor, my story on the floods is attached.",
    files: tuple[tuple[str, str, bytes], ...] = (),
    message_id: str = "<with-files@writers.example>",
) -> bytes:
    message = EmailMessage()
    message["From"] = "Farida Noori <farida@writers.example>"
    message["To"] = "stories@news.example"
    message["Subject"] = "Floods reach the capital"
    message["Message-ID"] = message_id
    if text:
        message.set_content(text)
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def _receive(data: bytes, name: str = "one.eml") -> Submission:
    submission = raw_message_parse(raw=stored_raw(data, name))
    assert submission is not None
    return submission


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_an_attached_document_is_the_story_and_the_message_its_cover_note(
    db: None,
) -> None:
    story = docx(heading="Floods reach Kabul", paragraphs=("Water rose overnight.",))

    submission = _receive(
        _message(
            files=(("floods.docx", DOCX, story), ("river.jpg", "image/jpeg", PHOTO))
        )
    )

    assert "<h2>Floods reach Kabul</h2>" in submission.body_html
    assert "<p>Water rose overnight.</p>" in submission.body_html
    assert "my story on the floods is attached" in submission.cover_note_html
    files = list(submission.files.order_by("pk"))
    assert [(f.name, f.kind, f.is_story) for f in files] == [
        ("floods.docx", SubmissionFile.Kind.DOCUMENT, True),
        ("river.jpg", SubmissionFile.Kind.PHOTO, False),
    ]
    kept = submission_file_path(files[0])
    assert kept.read_bytes() == story
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_a_document_alone_with_no_text_in_the_message_is_queued(db: None) -> None:
    submission = _receive(_message(text="", files=(("story.docx", DOCX, docx()),)))

    assert submission.state == Submission.State.NEW
    assert "Floods reach Kabul" in submission.body_html
    assert NO_TEXT not in submission.problems


def test_an_unreadable_document_leaves_the_message_as_the_story_saying_why(
    db: None,
) -> None:
    submission = _receive(
        _message(
            text="The river rose overnight.",
            files=(("story.docx", DOCX, b"this is no Word file"),),
        )
    )

    assert "The river rose overnight." in submission.body_html
    assert submission.cover_note_html == ""
    assert any("story.docx" in p and "damaged" in p for p in submission.problems)
    assert submission.files.get().is_story is False


def test_a_zip_bomb_is_refused_the_message_kept_and_the_editor_told(db: None) -> None:
    submission = _receive(
        _message(
            text="My story is attached.",
            files=(("story.docx", DOCX, zip_bomb(size=70_000_000)),),
        )
    )

    assert any("unpacks to more than" in p for p in submission.problems)
    assert "My story is attached." in submission.body_html
    assert RawMessage.objects.get().state == RawMessage.State.PARSED


def test_more_files_than_the_limit_are_left_out_saying_so() -> None:
    files = tuple((f"p{n}.jpg", "image/jpeg", PHOTO + bytes([n])) for n in range(25))

    parsed = parse_message(_message(files=files))

    assert len(parsed.attachments) == MAX_ATTACHMENTS
    assert TOO_MANY_ATTACHMENTS in parsed.problems


def test_a_file_name_cannot_name_a_folder_or_carry_control_characters() -> None:
    parsed = parse_message(
        _message(files=(("../../etc/pass\x07wd.txt", "text/plain", b"x"),))
    )

    assert [a.filename for a in parsed.attachments] == ["passwd.txt"]


def test_the_newsroom_downloads_a_file_exactly_as_it_arrived(
    editor: User, outsider: User
) -> None:
    story = docx()
    submission = _receive(_message(files=(("floods.docx", DOCX, story),)))
    stored = submission.files.get()
    url = reverse("contributions:file", args=[submission.pk, stored.pk])

    client = Client()
    client.force_login(editor)
    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == story  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/octet-stream"
    assert 'attachment; filename="floods.docx"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    page = client.get(reverse("contributions:detail", args=[submission.pk]))
    assert url in page.content.decode()

    other = Client()
    other.force_login(outsider)
    assert other.get(url).status_code in {302, 403}
    assert Client().get(url).status_code == 302
    wrong = reverse("contributions:file", args=[submission.pk + 1, stored.pk])
    assert client.get(wrong).status_code == 404


def test_the_same_file_sent_twice_is_kept_once(db: None) -> None:
    story = docx()
    first = _receive(_message(files=(("a.docx", DOCX, story),)), "one.eml")
    second = _receive(
        _message(files=(("b.docx", DOCX, story),), message_id="<other@w.example>"),
        "two.eml",
    )

    paths = {submission_file_path(s.files.get()) for s in (first, second)}
    assert len(paths) == 1
    assert Path(next(iter(paths))).read_bytes() == story
