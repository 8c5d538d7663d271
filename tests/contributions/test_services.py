"""Submissions: received once per Message-ID, accepted by editors into sections."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from newsdesk.accounts.models import User
from newsdesk.contributions.errors import SubmissionStateError
from newsdesk.contributions.models import Contributor, RawMessage, Submission
from newsdesk.contributions.parsing import ParsedMessage
from newsdesk.contributions.services import (
    raw_message_parse,
    raw_messages_parse_pending,
    submission_accept,
    submission_receive,
)
from newsdesk.core.errors import PermissionDeniedError
from newsdesk.stories.models import Person, SectionPage, StoryEvent, StoryPage

RECEIVED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def parsed(**overrides: object) -> ParsedMessage:
    values: dict[str, object] = {
        "message_id": "<story-1@writers.example>",
        "sender_email": "farida@writers.example",
        "sender_name": "Farida Noori",
        "subject": "Floods reach the capital",
        "body_html": "<p>The river rose overnight.</p>",
        "body_text": "The river rose overnight.",
        "sent_at": RECEIVED,
        "problems": (),
    }
    values.update(overrides)
    return ParsedMessage(**values)  # type: ignore[arg-type]


def stored_raw(data: bytes, name: str = "one.eml") -> RawMessage:
    path = Path(settings.NEWSDESK_MAIL_DIR) / "raw" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return RawMessage.objects.create(
        path=f"raw/{name}",
        sha256="0" * 64,
        size=len(data),
        received_at=RECEIVED,
        envelope_from="farida@writers.example",
    )


PLAIN = (
    b"From: Farida Noori <farida@writers.example>\r\n"
    b"To: stories@news.example\r\n"
    b"Subject: Floods reach the capital\r\n"
    b"Message-ID: <story-1@writers.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"The river rose overnight.\r\n"
)


def test_receive_puts_a_new_submission_in_the_queue(db: None) -> None:
    submission = submission_receive(parsed=parsed(), raw=None, received_at=RECEIVED)

    assert submission.state == Submission.State.NEW
    assert (submission.headline, submission.sender_email, submission.sender_name) == (
        "Floods reach the capital",
        "farida@writers.example",
        "Farida Noori",
    )
    assert submission.received_at == RECEIVED


def test_receive_the_same_message_id_twice_makes_one_submission(db: None) -> None:
    first = submission_receive(parsed=parsed(), raw=None)
    second = submission_receive(parsed=parsed(subject="Floods (resent)"), raw=None)

    assert first.pk == second.pk
    assert Submission.objects.count() == 1


def test_receive_without_subject_takes_the_first_line_as_headline(db: None) -> None:
    submission = submission_receive(
        parsed=parsed(
            subject="",
            body_text="\n  First line of copy\nMore",
            problems=("The message had no subject.",),
        ),
        raw=None,
    )

    assert submission.headline == "First line of copy"
    assert submission.problems == ["The message had no subject."]


def test_parse_reads_a_stored_message_once(db: None) -> None:
    raw = stored_raw(PLAIN)

    submission = raw_message_parse(raw=raw)
    again = raw_message_parse(raw=RawMessage.objects.get(pk=raw.pk))

    assert submission is not None
    assert again == submission
    assert submission.raw_message == raw
    raw.refresh_from_db()
    assert raw.state == RawMessage.State.PARSED
    assert raw.message_id == "<story-1@writers.example>"


def test_parse_marks_a_resent_message_as_duplicate(db: None) -> None:
    first = raw_message_parse(raw=stored_raw(PLAIN, "one.eml"))
    second_raw = stored_raw(PLAIN, "two.eml")

    again = raw_message_parse(raw=second_raw)

    assert again == first
    second_raw.refresh_from_db()
    assert second_raw.state == RawMessage.State.DUPLICATE
    assert f"#{first.pk}" in second_raw.outcome  # type: ignore[union-attr]


def test_parse_rejects_a_message_without_text_and_keeps_it(db: None) -> None:
    raw = stored_raw(PLAIN.split(b"\r\n\r\n")[0] + b"\r\n\r\n")

    assert raw_message_parse(raw=raw) is None

    raw.refresh_from_db()
    assert raw.state == RawMessage.State.REJECTED
    assert "no text" in raw.outcome
    assert not Submission.objects.exists()
    assert (Path(settings.NEWSDESK_MAIL_DIR) / raw.path).exists()


def test_parse_of_a_missing_file_fails_and_the_sweep_retries_it(db: None) -> None:
    raw = stored_raw(PLAIN)
    path = Path(settings.NEWSDESK_MAIL_DIR) / raw.path
    path.rename(path.with_suffix(".away"))

    assert raw_message_parse(raw=raw) is None
    raw.refresh_from_db()
    assert raw.state == RawMessage.State.FAILED

    path.with_suffix(".away").rename(path)
    assert raw_messages_parse_pending() == 1
    raw.refresh_from_db()
    assert raw.state == RawMessage.State.PARSED
    assert Submission.objects.get().raw_message == raw


def test_accept_creates_a_draft_bylined_to_the_sender(
    section: SectionPage, editor: User
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)

    story = submission_accept(submission=submission, section=section, by=editor)

    assert isinstance(story, StoryPage)
    assert not story.live
    assert story.get_parent().pk == section.pk
    assert story.title == "Floods reach the capital"
    assert "The river rose overnight." in story.body
    byline = [a.person for a in story.authors.all()]
    assert [p.name for p in byline] == ["Farida Noori"]
    assert byline[0].kind == Person.Kind.CONTRIBUTOR
    submission.refresh_from_db()
    assert submission.state == Submission.State.ACCEPTED
    assert submission.story_id == story.pk
    assert submission.contributor == Contributor.objects.get(
        email="farida@writers.example"
    )
    assert submission.decided_by == editor
    assert story.events.get().kind == StoryEvent.Kind.ACCEPTED


def test_accept_reuses_a_known_contributors_profile(
    section: SectionPage, editor: User
) -> None:
    first = submission_receive(parsed=parsed(), raw=None)
    second = submission_receive(
        parsed=parsed(
            message_id="<story-2@writers.example>",
            sender_email="FARIDA@writers.example",
        ),
        raw=None,
    )

    a = submission_accept(submission=first, section=section, by=editor)
    b = submission_accept(submission=second, section=section, by=editor)

    assert a.authors.get().person_id == b.authors.get().person_id
    assert Contributor.objects.count() == 1


def test_accept_is_refused_to_a_user_without_the_permission(
    section: SectionPage, outsider: User
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)

    with pytest.raises(PermissionDeniedError):
        submission_accept(submission=submission, section=section, by=outsider)

    submission.refresh_from_db()
    assert submission.state == Submission.State.NEW
    assert not StoryPage.objects.exists()


def test_accept_is_refused_for_a_submission_already_accepted(
    section: SectionPage, editor: User
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)
    submission_accept(submission=submission, section=section, by=editor)

    with pytest.raises(SubmissionStateError, match="already accepted"):
        submission_accept(submission=submission, section=section, by=editor)

    assert StoryPage.objects.count() == 1


def test_parse_marks_a_parser_fault_as_ours_to_retry(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = stored_raw(PLAIN)

    def fault(*args: object) -> None:
        raise AttributeError("a bug in the parser")

    # Fault injection: a bug inside the parser must not be blamed on the sender.
    monkeypatch.setattr("newsdesk.contributions.parsing._parse", fault)
    assert raw_message_parse(raw=raw) is None

    raw.refresh_from_db()
    assert raw.state == RawMessage.State.FAILED
    monkeypatch.undo()
    assert raw_messages_parse_pending() == 1
    assert Submission.objects.get().raw_message == raw
