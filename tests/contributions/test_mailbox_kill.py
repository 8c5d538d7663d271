"""Killing the mailbox poller with SIGKILL at any point loses no message and deletes
none: a message is marked read in the mailbox only once it is stored, a message
fetched again is not stored twice, and on the next start the worker fetches the rest
and reads every stored message into a submission.

No management command polls the mailbox by itself: the worker (``run_worker``) runs
``mailbox_poll_configured`` at start and every minute. Here the poller runs in a small
process that loads Django once and then forks a child for each poll, so that it can
be killed many times in a few seconds: by itself just after a chosen step of a
message's way in, or from outside at a moment chosen by chance. The restart is the
real worker.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any

import pytest
from django.db import connection

from newsdesk.contributions.mailbox import mailbox_from_url, mailbox_poll
from newsdesk.contributions.models import MailboxState, RawMessage

from .dovecot import PASSWORD, USER, Dovecot
from .test_kill import COMMAND, _environment
from .test_mailbox import _deliver, _mailbox_uids, server  # noqa: F401 (its dovecot fixture)

MESSAGES = 60
EXPECTED = {f"<mailbox-{number}@writers.example>" for number in range(1, MESSAGES + 1)}

# Each step of a message's way in; a child kills itself just after one of them.
STEPS = (
    "fetched",  # fetched with BODY.PEEK[]: nothing kept yet
    "written",  # its file written and fsynced, its row not committed
    "committed",  # its row committed, its parse task not queued
    "queued",  # raw_message_store returned, the last UID not remembered
    "remembered",  # the last UID remembered, the message not flagged \Seen
    "flagged",  # flagged \Seen
)

# Loads Django once, then for each line on stdin forks a child that runs one job:
# "poll <step> <nth>" polls the mailbox once (mailbox_poll_configured), killing itself
# just after <step> on the <nth> message ("none": never), and "parse" reads stored
# messages (raw_messages_parse_pending). Answers "pid <pid>", then how the child ended.
POLLER = r"""
import os, signal, sys, traceback
import django

django.setup()
import imaplib
from django.db import connections
from newsdesk.contributions import mailbox, mailstore
from newsdesk.contributions.models import MailboxState
from newsdesk.contributions.services import raw_messages_parse_pending


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def kill_after(owner, name, nth, counts=lambda *args, **kwargs: True):
    original = getattr(owner, name)
    calls = 0

    def wrapper(*args, **kwargs):
        nonlocal calls
        result = original(*args, **kwargs)
        if counts(*args, **kwargs):
            calls += 1
            if calls == nth:
                die()
        return result

    setattr(owner, name, wrapper)


class KillBeforeQueueing:
    def __init__(self, task, nth):
        self.task, self.nth, self.calls = task, nth, 0

    def enqueue(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.nth:
            die()
        return self.task.enqueue(*args, **kwargs)


def imap(command):
    return lambda client, name, *args: name == command


def last_uid(state, *args, **kwargs):
    return kwargs.get("update_fields") == ["last_uid"]


def arm(step, nth):
    if step == "fetched":
        kill_after(imaplib.IMAP4, "uid", nth, imap("FETCH"))
    elif step == "written":
        kill_after(mailstore, "_write_durably", nth)
    elif step == "committed":
        mailstore.parse_raw_message = KillBeforeQueueing(mailstore.parse_raw_message, nth)
    elif step == "queued":
        kill_after(mailbox, "raw_message_store", nth)
    elif step == "remembered":
        kill_after(MailboxState, "save", nth, last_uid)
    elif step == "flagged":
        kill_after(imaplib.IMAP4, "uid", nth, imap("STORE"))
    elif step != "none":
        raise ValueError(f"no step {step}")


connections.close_all()  # a child opens its own
print("ready", flush=True)
for line in sys.stdin:
    job, *how = line.split()
    child = os.fork()
    if child == 0:
        code = 0
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            if job == "poll":
                arm(how[0], int(how[1]))
                mailbox.mailbox_poll_configured()
            else:
                raw_messages_parse_pending()
            connections.close_all()
        except BaseException:
            traceback.print_exc()
            code = 1
        os._exit(code)
    print("pid", child, flush=True)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        print("signal", os.WTERMSIG(status), flush=True)
    else:
        print("exit", os.WEXITSTATUS(status), flush=True)
"""


class Poller:
    """The forking poller process: one job per request."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self.stdin: IO[str] = process.stdin
        self.stdout: IO[str] = process.stdout
        self.log = log

    def start(self, *job: str) -> int:
        """Start a job ("poll", step, nth or "parse"); return the child's process id."""
        self.stdin.write(" ".join(job) + "\n")
        self.stdin.flush()
        answer = self.stdout.readline().split()
        assert answer[:1] == ["pid"], f"{answer}: {self.log.read_text()}"
        return int(answer[1])

    def killed(self) -> bool:
        """Wait for the job to end: True when SIGKILL ended it, False when it finished."""
        answer = self.stdout.readline().split()
        if answer == ["signal", str(int(signal.SIGKILL))]:
            return True
        assert answer == ["exit", "0"], f"{answer}: {self.log.read_text()}"
        return False


@contextlib.contextmanager
def poller(env: dict[str, str], log: Path) -> Iterator[Poller]:
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-c", POLLER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            assert process.stdout.readline() == "ready\n", log.read_text()
            yield Poller(process, log)
        finally:
            process.stdin.close()
            try:
                process.wait(timeout=30)
            finally:
                process.stdout.close()


def _database_for_subprocesses(folder: Path) -> Path:
    """Return a migrated SQLite database the subprocesses can open.

    The test database pytest-django made is copied (quick); under PostgreSQL a new
    one is migrated, as test_kill does.
    """
    database = folder / "newsdesk.sqlite3"
    if connection.vendor == "sqlite":
        # Outside any transaction (transactional_db): SQLite's backup waits as long
        # as a transaction holds the database, so give up rather than hang.
        assert not connection.in_atomic_block
        deadline = time.monotonic() + 30

        def progress(status: int, remaining: int, total: int) -> None:
            assert time.monotonic() < deadline, "the test database stayed locked"

        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(database)) as copy:
            connection.connection.backup(copy, progress=progress)
    else:
        subprocess.run(
            [*COMMAND, "migrate", "--no-input"],
            env=_environment(folder),
            check=True,
            capture_output=True,
        )
    return database


def _column(database: Path, query: str) -> list[Any]:
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        return [row[0] for row in db.execute(query)]


def _stored(database: Path) -> list[str]:
    """The Message-ID of every raw message kept, one per row."""
    return _column(database, "SELECT message_id FROM contributions_rawmessage")


def _submitted(database: Path) -> list[str]:
    return _column(database, "SELECT message_id FROM contributions_submission")


_UID_AND_FLAGS = re.compile(rb"UID (\d+) FLAGS \(([^)]*)\)")


def _mailbox(running: Dovecot) -> dict[str, set[str]]:
    """Every message in the mailbox: its Message-ID and flags (read, never marked)."""
    client = imaplib.IMAP4("127.0.0.1", running.port)
    try:
        client.login(USER, PASSWORD)
        client.select("INBOX", readonly=True)
        _, data = client.uid(
            "FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        )
    finally:
        client.logout()
    messages: dict[str, set[str]] = {}
    for part in data:
        if not isinstance(part, tuple):
            continue
        match = _UID_AND_FLAGS.search(part[0])
        assert match, part
        message_id = part[1].decode().split(":", 1)[1].strip()
        assert message_id not in messages, f"{message_id} is twice in the mailbox"
        messages[message_id] = set(match.group(2).decode().split())
    return messages


def _assert_none_lost_kept_twice_or_read_unkept(
    running: Dovecot, database: Path, note: str
) -> None:
    """After a kill: every message is still in the mailbox and none is marked for
    deletion, none is kept twice, and only kept ones are marked read."""
    mailbox = _mailbox(running)
    stored = _stored(database)
    assert set(mailbox) == EXPECTED, note
    deleted = {m for m, flags in mailbox.items() if "\\Deleted" in flags}
    assert not deleted, note
    read = {m for m, flags in mailbox.items() if "\\Seen" in flags}
    assert read <= set(stored), f"read, not kept: {read - set(stored)} {note}"
    assert len(stored) == len(set(stored)), f"kept twice: {sorted(stored)} {note}"
    assert set(stored) <= EXPECTED, note


def _at_least(database: Path, count: int) -> bool:
    return len(_stored(database)) >= count


def _wait_until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.002)


@pytest.mark.e2e
def test_killing_the_poller_at_any_point_loses_no_message_and_deletes_none(
    server: Dovecot,  # noqa: F811
    transactional_db: None,
    tmp_path: Path,
) -> None:
    # given: a mailbox full of stories, and the poller's moments of death drawn
    database = _database_for_subprocesses(tmp_path)
    env = {**_environment(tmp_path), "NEWSDESK_INGEST_MAILBOX_URL": server.url()}
    _deliver(server, *range(1, MESSAGES + 1))
    seed = random.randrange(1 << 32)  # noqa: S311 (chance, not secrecy)
    chance = random.Random(seed)  # noqa: S311
    note = f"(seed {seed})"

    with poller(env, tmp_path / "poller.log") as jobs:
        # when: it is killed just after each step of a message's way in
        for step in STEPS:
            jobs.start("poll", step, str(chance.randint(1, 3)))
            assert jobs.killed(), f"the poll finished before {step} {note}"
            # then: nothing is lost, deleted, kept twice or marked read unkept
            _assert_none_lost_kept_twice_or_read_unkept(server, database, step)

        # when: it is killed from outside at any moment, once some more are kept
        for _ in range(4):
            more = len(_stored(database)) + chance.randint(1, 8)
            child = jobs.start("poll", "none", "0")
            _wait_until(partial(_at_least, database, more), "more mail kept")
            time.sleep(chance.uniform(0, 0.005))
            os.kill(child, signal.SIGKILL)
            assert jobs.killed(), f"the poll finished first {note}"
            _assert_none_lost_kept_twice_or_read_unkept(server, database, note)

        # and while it reads the kept messages into submissions (half at most, so
        # that it is still at work when killed)
        some = chance.randint(1, len(_stored(database)) // 2)
        child = jobs.start("parse")
        _wait_until(lambda: len(_submitted(database)) >= some, "submissions")
        os.kill(child, signal.SIGKILL)
        assert jobs.killed(), f"the parse finished first {note}"
    assert len(_stored(database)) < MESSAGES, f"none left for the worker {note}"

    # when: the worker starts again
    with (tmp_path / "worker.log").open("w") as log:
        worker = subprocess.Popen(
            [*COMMAND, "run_worker"], env=env, stdout=subprocess.DEVNULL, stderr=log
        )
    try:
        _wait_until(
            lambda: set(_submitted(database)) >= EXPECTED,
            "every message to become a submission",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    # then: every message kept once and read into one submission, none deleted
    assert sorted(_stored(database)) == sorted(EXPECTED), note
    assert sorted(_submitted(database)) == sorted(EXPECTED), note
    states = _column(database, "SELECT state FROM contributions_rawmessage")
    assert set(states) == {RawMessage.State.PARSED}, note
    _assert_none_lost_kept_twice_or_read_unkept(server, database, note)
    last_uid = _column(database, "SELECT last_uid FROM contributions_mailboxstate")
    assert last_uid == [MESSAGES], note


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the poll after it runs."""


@pytest.mark.django_db(transaction=True)
def test_a_message_kept_just_before_a_kill_is_still_marked_read_later(
    server: Dovecot,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a poll that dies once it has remembered UID 2, before flagging it \Seen
    _deliver(server, 1, 2, 3)
    save = MailboxState.save

    def save_then_die(state: MailboxState, *args: object, **kwargs: object) -> None:
        save(state, *args, **kwargs)  # type: ignore[arg-type]
        if kwargs.get("update_fields") == ["last_uid"] and state.last_uid == 2:
            raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(MailboxState, "save", save_then_die)
        with pytest.raises(Killed):
            mailbox_poll(mailbox=mailbox_from_url(server.url()))

    # when: the poller runs again
    assert mailbox_poll(mailbox=mailbox_from_url(server.url())) == 1

    # then: all three are kept, and all three are marked read
    assert RawMessage.objects.count() == 3
    every, seen = _mailbox_uids(server)
    assert every == [1, 2, 3]
    assert seen == [1, 2, 3]
