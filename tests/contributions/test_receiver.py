"""The SMTP mail receiver, over real SMTP on loopback: stored first, then answered."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.contributions import receiver as receiver_module
from newsdesk.contributions.mailstore import raw_message_store
from newsdesk.contributions.models import RawMessage, Submission
from newsdesk.contributions.receiver import MailReceiver, size_text, too_big_reply

from .conftest import MakeMessage, build_message, mail_files

SENDER = "farida@writers.example"
StartReceiver = Callable[..., MailReceiver]


def send(
    port: int,
    data: bytes,
    *,
    mail_from: str = SENDER,
    to: Sequence[str] = ("stories@news.example",),
) -> tuple[int, str]:
    """Send one message over SMTP and return the server's answer to it."""
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.ehlo("writers.example")
        code, reply = client.mail(mail_from)
        assert code == 250, reply
        for address in to:
            code, reply = client.rcpt(address)
            assert code == 250, reply
        code, reply = client.data(data)
        return code, reply.decode()


def stored_bytes(raw: RawMessage) -> bytes:
    return (Path(settings.NEWSDESK_MAIL_DIR) / raw.path).read_bytes()


def assert_still_serving(receiver: MailReceiver) -> None:
    """A good message sent now is stored and read as usual."""
    data = build_message(subject="Still serving")
    code, reply = send(receiver.port, data)
    assert code == 250, reply
    raw = RawMessage.objects.get(sha256=hashlib.sha256(data).hexdigest())
    assert stored_bytes(raw) == data
    assert Submission.objects.get(raw_message=raw).headline == "Still serving"


# --- a good message ----------------------------------------------------------------


def test_plain_message_is_stored_exactly_and_read_into_a_submission(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    # A leading dot is escaped on the wire (RFC 5321 s 4.5.2) and must come back.
    data = make_message(
        subject="Floods reach the capital",
        body=b"The river rose overnight.\r\n.A line starting with a dot.\r\n",
    )

    code, reply = send(
        receiver.port, data, to=["stories@news.example", "desk@x.example"]
    )

    raw = RawMessage.objects.get()
    assert code == 250
    assert reply == f"2.0.0 Message received, thank you (reference #{raw.pk})"
    assert stored_bytes(raw) == data
    assert raw.source == RawMessage.Source.SMTP
    assert raw.envelope_from == SENDER
    assert raw.envelope_to.splitlines() == ["stories@news.example", "desk@x.example"]
    assert raw.size == len(data)
    assert raw.state == RawMessage.State.PARSED
    submission = Submission.objects.get(raw_message=raw)
    assert submission.headline == "Floods reach the capital"
    assert submission.sender_email == SENDER
    assert submission.sender_name == "Farida Noori"


def test_message_sent_with_sendmail_is_accepted(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    data = make_message()

    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=20) as client:
        refused = client.sendmail(SENDER, ["anyone@anywhere.example"], data)

    assert refused == {}
    assert stored_bytes(RawMessage.objects.get()) == data


def test_eight_bit_and_utf8_mail_is_stored_exactly(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    data = make_message(
        subject="سیلاب به پایتخت رسید",
        body="دریا شب گذشته بالا آمد.\r\n".encode(),
    )

    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=20) as client:
        client.sendmail(
            "فریده@writers.example",
            ["stories@news.example"],
            data,
            mail_options=["SMTPUTF8"],
        )

    raw = RawMessage.objects.get()
    assert stored_bytes(raw) == data
    assert raw.envelope_from == "فریده@writers.example"


def test_ehlo_advertises_the_size_limit_8bitmime_and_smtputf8(
    start_receiver: StartReceiver,
) -> None:
    receiver = start_receiver(max_bytes=10_000)

    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=20) as client:
        client.ehlo("writers.example")
        features = client.esmtp_features

    assert features["size"] == "10000"
    assert "8bitmime" in features
    assert "smtputf8" in features


# --- stored before answered --------------------------------------------------------


def test_sender_is_answered_only_once_the_message_is_stored(
    receiver: MailReceiver, make_message: MakeMessage, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = threading.Event()
    release = threading.Event()

    def store_then_hold(**kwargs: Any) -> RawMessage:
        raw = raw_message_store(**kwargs)
        stored.set()
        release.wait(20)
        return raw

    monkeypatch.setattr(receiver_module, "raw_message_store", store_then_hold)
    data = make_message()
    replies: list[tuple[int, str]] = []
    client = threading.Thread(target=lambda: replies.append(send(receiver.port, data)))

    client.start()
    try:
        assert stored.wait(20)
        # Seen from this thread's own database connection, so the row is committed.
        raw = RawMessage.objects.get()
        assert stored_bytes(raw) == data
        time.sleep(0.3)
        assert client.is_alive()
        assert replies == []
    finally:
        release.set()
        client.join(20)

    assert replies == [
        (250, f"2.0.0 Message received, thank you (reference #{raw.pk})")
    ]


def test_storage_failure_is_a_temporary_refusal_and_nothing_is_recorded(
    receiver: MailReceiver,
    make_message: MakeMessage,
    settings: SettingsWrapper,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mail_dir = settings.NEWSDESK_MAIL_DIR
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where the mail folder should go")
    settings.NEWSDESK_MAIL_DIR = blocker / "mail"

    with caplog.at_level(logging.ERROR, logger="newsdesk.contributions.receiver"):
        code, reply = send(receiver.port, make_message())

    assert code == 451
    assert reply.startswith("4.3.0 ")
    assert not RawMessage.objects.exists()
    assert "Could not store a message" in caplog.text
    settings.NEWSDESK_MAIL_DIR = mail_dir
    assert_still_serving(receiver)


# --- bad mail: a clear outcome, the raw kept, the receiver still serving -------------


def test_message_without_subject_gets_a_fallback_headline_and_a_problem(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    data = make_message(subject=None, body=b"Schools reopen in Herat on Saturday.\r\n")

    code, _ = send(receiver.port, data)

    assert code == 250
    raw = RawMessage.objects.get()
    assert stored_bytes(raw) == data
    submission = Submission.objects.get(raw_message=raw)
    assert submission.headline == "Schools reopen in Herat on Saturday."
    assert "The message had no subject." in submission.problems
    assert_still_serving(receiver)


def test_empty_message_is_kept_and_rejected_with_a_reason(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    data = make_message(subject="Nothing here", body=b"")

    code, _ = send(receiver.port, data)

    assert code == 250
    raw = RawMessage.objects.get()
    assert stored_bytes(raw) == data
    assert raw.state == RawMessage.State.REJECTED
    assert (
        raw.outcome
        == "The message had no text, so there was nothing for an editor to read."
    )
    assert not Submission.objects.exists()
    assert_still_serving(receiver)


def test_message_announced_over_the_size_limit_is_refused_clearly(
    start_receiver: StartReceiver, make_message: MakeMessage
) -> None:
    receiver = start_receiver(max_bytes=10_000)
    data = make_message(body=b"A long report.\r\n" * 1000)

    with (
        smtplib.SMTP("127.0.0.1", receiver.port, timeout=20) as client,
        pytest.raises(smtplib.SMTPSenderRefused) as refused,
    ):
        client.sendmail(SENDER, ["stories@news.example"], data)  # announces SIZE=

    assert refused.value.smtp_code == 552
    assert refused.value.smtp_error.decode() == (
        "5.3.4 Message too big: the limit is 10 KB. "
        "Send large files as links, or split them into several messages."
    )
    assert not RawMessage.objects.exists()
    assert mail_files() == []
    assert_still_serving(receiver)


def test_message_over_the_size_limit_is_refused_clearly_after_its_data(
    start_receiver: StartReceiver, make_message: MakeMessage
) -> None:
    receiver = start_receiver(max_bytes=10_000)
    data = make_message(body=b"A long report.\r\n" * 1000)

    code, reply = send(receiver.port, data)  # no SIZE= announced

    assert code == 552
    assert reply == (
        "5.3.4 Message too big: the limit is 10 KB. "
        "Send large files as links, or split them into several messages."
    )
    assert not RawMessage.objects.exists()
    assert mail_files() == []
    assert_still_serving(receiver)


def test_message_at_the_size_limit_is_accepted(
    start_receiver: StartReceiver, make_message: MakeMessage
) -> None:
    receiver = start_receiver(max_bytes=10_000)
    header = make_message(body=b"")
    data = header + b"x" * (10_000 - len(header) - 2) + b"\r\n"

    code, _ = send(receiver.port, data)

    assert code == 250
    assert stored_bytes(RawMessage.objects.get()) == data


def test_size_limit_reply_names_the_limit_in_megabytes() -> None:
    assert too_big_reply(25_000_000) == (
        "552 5.3.4 Message too big: the limit is 25 MB. "
        "Send large files as links, or split them into several messages."
    )
    assert size_text(2_500_000) == "2.5 MB"
    assert size_text(900) == "900 bytes"


def test_malformed_mime_is_accepted_with_a_problem_noted(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    # A multipart message that never closes, with an attachment that is not base64.
    data = make_message(
        subject="Broken attachment",
        extra_headers=('Content-Type: multipart/mixed; boundary="part"',),
        body=(
            b"--part\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe text.\r\n"
            b"--part\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
            b"\r\n%%% not base64 %%%\r\n"
        ),
    )

    code, _ = send(receiver.port, data)

    assert code == 250
    raw = RawMessage.objects.get()
    assert stored_bytes(raw) == data
    submission = Submission.objects.get(raw_message=raw)
    assert submission.headline == "Broken attachment"
    assert submission.problems
    assert_still_serving(receiver)


def test_nul_byte_is_stored_exactly_and_left_out_when_read(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    data = make_message(
        subject="Bridge reopens", body=b"The bridge\x00 reopened today.\r\n"
    )

    code, _ = send(receiver.port, data)

    assert code == 250
    raw = RawMessage.objects.get()
    assert stored_bytes(raw) == data
    submission = Submission.objects.get(raw_message=raw)
    assert "\x00" not in submission.body_html
    assert "reopened today" in submission.body_html
    assert_still_serving(receiver)


def test_same_message_id_twice_is_one_submission(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    first = make_message(message_id="<resent@writers.example>")
    second = make_message(message_id="<resent@writers.example>", body=b"Resent.\r\n")

    assert send(receiver.port, first)[0] == 250
    assert send(receiver.port, second)[0] == 250

    original, resend = RawMessage.objects.order_by("pk")
    submission = Submission.objects.get()
    assert submission.raw_message == original
    assert resend.state == RawMessage.State.DUPLICATE
    assert resend.outcome == f"Same Message-ID as submission #{submission.pk}"
    assert stored_bytes(resend) == second


def test_long_lines_are_accepted(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    # Longer than RFC 5321's 1000 octets, as some mail programs send a paragraph.
    data = make_message(body=b"word " * 2000 + b"\r\n")

    code, _ = send(receiver.port, data)

    assert code == 250
    assert stored_bytes(RawMessage.objects.get()) == data


def test_absurdly_long_line_is_refused_clearly(
    receiver: MailReceiver, make_message: MakeMessage
) -> None:
    data = make_message(body=b"x" * (receiver_module.MAX_LINE_BYTES + 10) + b"\r\n")

    code, reply = send(receiver.port, data)

    assert code == 500
    assert reply.startswith("5.5.2 Line too long: lines may be at most 64 KB.")
    assert not RawMessage.objects.exists()
    assert_still_serving(receiver)


def test_garbage_commands_do_not_stop_the_receiver(receiver: MailReceiver) -> None:
    with socket.create_connection(
        ("127.0.0.1", receiver.port), timeout=20
    ) as raw_socket:
        raw_socket.recv(1024)
        raw_socket.sendall(b"\xff\xfe\x00 HELLO?\r\n" + b"A" * 5000 + b"\r\nDATA\r\n")
        raw_socket.recv(1024)

    assert_still_serving(receiver)


def test_too_many_recipients_are_refused(receiver: MailReceiver) -> None:
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=20) as client:
        client.ehlo("writers.example")
        client.mail(SENDER)
        codes = [
            client.rcpt(f"desk{n}@news.example")[0]
            for n in range(receiver_module.MAX_RECIPIENTS + 1)
        ]

    assert codes[:-1] == [250] * receiver_module.MAX_RECIPIENTS
    assert codes[-1] == 452


# --- starting and stopping ------------------------------------------------------------


def test_port_zero_picks_a_free_port_and_stop_closes_it(transactional_db: None) -> None:
    receiver = MailReceiver(host="127.0.0.1", port=0, max_bytes=10_000)

    receiver.start()
    port = receiver.port
    try:
        assert port != 0
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
            assert client.noop()[0] == 250
    finally:
        receiver.stop()

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_busy_port_is_refused(receiver: MailReceiver) -> None:
    second = MailReceiver(host="127.0.0.1", port=receiver.port, max_bytes=10_000)

    with pytest.raises(OSError, match="in use") as error:
        second.start()

    assert error.value.errno == errno.EADDRINUSE
    assert_still_serving(receiver)


# --- the command ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, process: subprocess.Popen[str], timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


@pytest.mark.e2e
def test_run_mail_receiver_command_stores_mail_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    # given a migrated database in a data folder of its own
    database = tmp_path / "newsdesk.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings.dev",
        "NEWSDESK_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
    }
    command = [sys.executable, "-m", "newsdesk"]
    subprocess.run(
        [*command, "migrate", "--no-input"], env=env, check=True, capture_output=True
    )
    port = free_port()

    # when the receiver runs and a contributor sends a story
    receiver = subprocess.Popen(
        [*command, "run_mail_receiver", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, receiver)
        data = build_message(subject="Floods reach the capital")
        code, reply = send(port, data)
        second = subprocess.run(
            [*command, "run_mail_receiver", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        receiver.send_signal(signal.SIGTERM)
        out, err = receiver.communicate(timeout=30)

    # then it was stored before the answer, and SIGTERM stops it cleanly
    assert (code, reply) == (250, "2.0.0 Message received, thank you (reference #1)")
    assert receiver.returncode == 0, err
    assert f"listening on smtp://127.0.0.1:{port}" in out
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT path, envelope_from FROM contributions_rawmessage"
        ).fetchall()
    assert len(rows) == 1
    assert rows[0][1] == SENDER
    assert (tmp_path / "mail" / rows[0][0]).read_bytes() == data
    # and a second receiver on the same port says what to do
    assert second.returncode == 1
    assert (
        f"port {port} is already in use: set NEWSDESK_SMTP_PORT to a free port"
        in second.stderr
    )
