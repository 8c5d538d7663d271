"""The raw-message store: bytes on disk and a committed row before anyone is told."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.db.transaction import TransactionManagementError
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.contributions.mailstore import message_id_from_headers, raw_message_store
from newsdesk.contributions.models import RawMessage, Submission

from .conftest import MakeMessage, mail_files

RECEIVED = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("transactional_db")


def test_store_writes_the_exact_bytes_and_commits_the_row(
    make_message: MakeMessage,
) -> None:
    data = make_message(message_id="<story-1@writers.example>")

    raw = raw_message_store(
        data=data,
        envelope_from="farida@writers.example",
        envelope_to=["stories@news.example", "desk@news.example"],
        received_at=RECEIVED,
    )

    sha256 = hashlib.sha256(data).hexdigest()
    assert raw.path == f"raw/2026/11/20/20261120T093015.123456Z-{sha256[:16]}.eml"
    assert (Path(settings.NEWSDESK_MAIL_DIR) / raw.path).read_bytes() == data
    assert mail_files() == [Path(settings.NEWSDESK_MAIL_DIR) / raw.path]  # no temp file
    stored = RawMessage.objects.get(pk=raw.pk)
    assert stored.source == RawMessage.Source.SMTP
    assert stored.sha256 == sha256
    assert stored.size == len(data)
    assert stored.received_at == RECEIVED
    assert stored.envelope_from == "farida@writers.example"
    assert stored.envelope_to.splitlines() == [
        "stories@news.example",
        "desk@news.example",
    ]
    assert stored.message_id == "<story-1@writers.example>"


def test_store_files_by_utc_date_whatever_the_time_zone(
    make_message: MakeMessage,
) -> None:
    kabul_morning = datetime(2026, 11, 21, 3, 0, tzinfo=ZoneInfo("Asia/Kabul"))

    raw = raw_message_store(data=make_message(), received_at=kabul_morning)

    assert raw.path.startswith("raw/2026/11/20/20261120T223000.000000Z-")


def test_store_queues_the_message_for_reading(make_message: MakeMessage) -> None:
    raw = raw_message_store(data=make_message(subject="Floods reach the capital"))

    # The test settings run tasks at once, so reading has happened by now.
    raw.refresh_from_db()
    assert raw.state == RawMessage.State.PARSED
    submission = Submission.objects.get(raw_message=raw)
    assert submission.headline == "Floods reach the capital"
    assert submission.sender_email == "farida@writers.example"


def test_store_refuses_to_run_inside_a_transaction(make_message: MakeMessage) -> None:
    with (
        pytest.raises(TransactionManagementError, match="must not run inside"),
        transaction.atomic(),
    ):
        raw_message_store(data=make_message())

    assert not RawMessage.objects.exists()
    assert mail_files() == []


def test_store_reuses_the_file_and_row_for_the_same_message_at_the_same_time(
    make_message: MakeMessage,
) -> None:
    data = make_message()

    first = raw_message_store(data=data, received_at=RECEIVED)
    second = raw_message_store(data=data, received_at=RECEIVED)

    assert second.pk == first.pk
    assert RawMessage.objects.count() == 1
    assert len(mail_files()) == 1


def test_store_never_overwrites_a_different_file_with_the_same_name(
    make_message: MakeMessage,
) -> None:
    data = make_message()
    sha256 = hashlib.sha256(data).hexdigest()
    folder = Path(settings.NEWSDESK_MAIL_DIR) / "raw/2026/11/20"
    folder.mkdir(parents=True)
    taken = folder / f"20261120T093015.123456Z-{sha256[:16]}.eml"
    taken.write_bytes(b"something else entirely")

    raw = raw_message_store(data=data, received_at=RECEIVED)

    assert taken.read_bytes() == b"something else entirely"
    assert raw.path == f"raw/2026/11/20/20261120T093015.123456Z-{sha256[:16]}-1.eml"
    assert (Path(settings.NEWSDESK_MAIL_DIR) / raw.path).read_bytes() == data


def test_store_failure_raises_and_records_nothing(
    make_message: MakeMessage, settings: SettingsWrapper, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where the mail folder should go")
    settings.NEWSDESK_MAIL_DIR = blocker / "mail"

    with pytest.raises(OSError, match="not-a-folder"):
        raw_message_store(data=make_message())

    assert not RawMessage.objects.exists()


def test_store_keeps_the_message_when_it_cannot_be_queued(
    make_message: MakeMessage,
    settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A backend that serves no queue our task uses: enqueueing fails.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["elsewhere"],
        }
    }

    with caplog.at_level(logging.ERROR, logger="newsdesk.contributions.mailstore"):
        raw = raw_message_store(data=make_message())

    stored = RawMessage.objects.get(pk=raw.pk)
    assert stored.state == RawMessage.State.STORED  # the sweep will read it
    assert (Path(settings.NEWSDESK_MAIL_DIR) / stored.path).exists()
    assert f"Could not queue raw message #{raw.pk}" in caplog.text


def test_store_survives_headers_it_cannot_make_sense_of(
    make_message: MakeMessage,
) -> None:
    data = b"\xff\xfe\x00 not a header at all\r\n\x80\x81: \xc3\x28\r\n\r\nbody\r\n"

    raw = raw_message_store(data=data)

    assert RawMessage.objects.get(pk=raw.pk).message_id == ""
    assert (Path(settings.NEWSDESK_MAIL_DIR) / raw.path).read_bytes() == data


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (b"Message-ID: <a1@writers.example>\r\n", "<a1@writers.example>"),
        (b"message-id:   <a2@writers.example>  \r\n", "<a2@writers.example>"),
        (b"Message-ID:\r\n <folded@writers.example>\r\n", "<folded@writers.example>"),
        (b"Message-ID: <a3@writers.example>\n", "<a3@writers.example>"),
        (b"Subject: no id\r\n", ""),
        (b"", ""),
        (b"Message-ID: <caf\xe9@writers.example>\r\n", "<caf\ufffd@writers.example>"),
        (b"Message-ID: <nul\x00@writers.example>\r\n", "<nul@writers.example>"),
        (b"\x00\x01\x02 garbage without a colon\r\n", ""),
    ],
)
def test_message_id_is_read_from_the_headers_tolerantly(
    headers: bytes, expected: str
) -> None:
    assert (
        message_id_from_headers(headers + b"\r\nMessage-ID: <in-body@x>\r\n")
        == expected
    )


def test_message_id_is_bounded_in_length() -> None:
    long_id = b"<" + b"a" * 5000 + b"@writers.example>"

    value = message_id_from_headers(b"Message-ID: " + long_id + b"\r\n\r\n")

    assert len(value) == 998
    assert re.fullmatch(r"<a+", value)
