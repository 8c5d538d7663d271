"""Fixtures for the mail store and the mail receiver: messages as mail programs send them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from newsdesk.contributions.receiver import MailReceiver

MakeMessage = Callable[..., bytes]


def build_message(
    *,
    subject: str | None = "Floods reach the capital",
    body: bytes = b"The river rose overnight.\r\nRoads to the south are closed.\r\n",
    sender: str = "Farida Noori <farida@writers.example>",
    message_id: str | None = "",
    extra_headers: tuple[str, ...] = ("Content-Type: text/plain; charset=utf-8",),
) -> bytes:
    """Return a message as bytes with CRLF line ends; message_id "" makes a fresh one."""
    if message_id == "":
        message_id = f"<{uuid.uuid4().hex}@writers.example>"
    lines = [f"From: {sender}", "To: stories@news.example"]
    if subject is not None:
        lines.append(f"Subject: {subject}")
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += [
        "Date: Fri, 20 Nov 2026 09:30:00 +0000",
        "MIME-Version: 1.0",
        *extra_headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.fixture
def make_message() -> MakeMessage:
    """Build a message; keyword arguments change its subject, body, sender, headers."""
    return build_message


def mail_files() -> list[Path]:
    """Return every file under the mail folder, temporary ones included."""
    root = Path(settings.NEWSDESK_MAIL_DIR)
    return (
        sorted(path for path in root.rglob("*") if path.is_file())
        if root.exists()
        else []
    )


@pytest.fixture
def start_receiver(transactional_db: None) -> Iterator[Callable[..., MailReceiver]]:
    """Start mail receivers on free loopback ports; they stop after the test."""
    started: list[MailReceiver] = []

    def start(*, max_bytes: int | None = None) -> MailReceiver:
        receiver = MailReceiver(
            host="127.0.0.1",
            port=0,
            max_bytes=max_bytes or settings.NEWSDESK_MAIL_MAX_BYTES,
        )
        receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(start_receiver: Callable[..., MailReceiver]) -> MailReceiver:
    """A mail receiver with the configured size limit, on a free loopback port."""
    return start_receiver()
