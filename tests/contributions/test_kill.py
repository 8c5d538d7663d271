"""Killing the mail receiver with SIGKILL mid-delivery loses no message it answered
250 for; on the next start the worker reads every stored message into the queue."""

from __future__ import annotations

import contextlib
import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import build_message
from .test_receiver import free_port, wait_for_port

COMMAND = [sys.executable, "-m", "newsdesk"]


def _environment(folder: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings.dev",
        "NEWSDESK_DATA_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'newsdesk.sqlite3'}",
        "NEWSDESK_CONFIRM_NEW_WRITERS": "false",
    }
    env.pop("REDIS_URL", None)
    return env


def _send_until_refused(
    port: int, acknowledged: list[str], stop: threading.Event
) -> None:
    """Send messages one after another; remember those answered 250."""
    number = 0
    while not stop.is_set():
        message_id = f"<kill-{number}@writers.example>"
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.sendmail(
                    "farida@writers.example",
                    ["stories@newsdesk.localhost"],
                    build_message(message_id=message_id, subject=f"Story {number}"),
                )
        except (OSError, smtplib.SMTPException):
            return  # the receiver is gone: this one was never acknowledged
        acknowledged.append(message_id)
        number += 1


def _rows(database: Path, table: str) -> set[str]:
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        return {row[0] for row in db.execute(f"SELECT message_id FROM {table}")}  # noqa: S608 (our table names)


@pytest.mark.e2e
def test_no_acknowledged_message_is_lost_when_the_receiver_is_killed(
    tmp_path: Path,
) -> None:
    # given: a receiver taking a stream of messages
    env = _environment(tmp_path)
    database = tmp_path / "newsdesk.sqlite3"
    subprocess.run(
        [*COMMAND, "migrate", "--no-input"], env=env, check=True, capture_output=True
    )
    port = free_port()
    receiver = subprocess.Popen(
        [*COMMAND, "run_mail_receiver", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, receiver)
    acknowledged: list[str] = []
    stop = threading.Event()
    sender = threading.Thread(
        target=_send_until_refused, args=(port, acknowledged, stop)
    )
    sender.start()

    # when: it is killed outright in the middle of the stream
    deadline = time.monotonic() + 20
    while len(acknowledged) < 15 and time.monotonic() < deadline:
        time.sleep(0.01)
    receiver.send_signal(signal.SIGKILL)
    receiver.wait(timeout=10)
    stop.set()
    sender.join(timeout=30)

    # then: every message answered 250 is stored, file and row
    assert len(acknowledged) >= 15
    stored = _rows(database, "contributions_rawmessage")
    assert set(acknowledged) <= stored

    # and when the worker starts, every stored message reaches the queue
    worker = subprocess.Popen(
        [*COMMAND, "run_worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if stored <= _rows(database, "contributions_submission"):
                break
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert stored <= _rows(database, "contributions_submission")
