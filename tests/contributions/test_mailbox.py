"""The mailbox poller against a real IMAP server (dovecot on a loopback port): every
message kept once, across restarts and re-polls, and none ever deleted."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.contributions.mailbox import (
    MailboxError,
    mailbox_from_url,
    mailbox_poll,
    mailbox_poll_configured,
)
from newsdesk.contributions.models import MailboxState, RawMessage, Submission

from .dovecot import PASSWORD, USER, Dovecot, dovecot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server() -> Iterator[Dovecot]:
    with dovecot() as running:
        yield running


def _deliver(server: Dovecot, *numbers: int, folder: str = "INBOX") -> None:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(USER, PASSWORD)
    for number in numbers:
        message = (
            "From: Farida Noori <farida@writers.example>\r\n"
            "To: stories@news.example\r\n"
            f"Subject: Story number {number}\r\n"
            f"Message-ID: <mailbox-{number}@writers.example>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"The river rose overnight, part {number}.\r\n"
        ).encode()
        client.append(folder, None, None, message)
    client.logout()


def _mailbox_uids(
    server: Dovecot, folder: str = "INBOX"
) -> tuple[list[int], list[int]]:
    """Return every UID in the folder and those flagged as read."""
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(USER, PASSWORD)
    client.select(folder, readonly=True)
    every = [int(n) for n in client.uid("SEARCH", "ALL")[1][0].split()]
    seen = [int(n) for n in client.uid("SEARCH", "SEEN")[1][0].split()]
    client.logout()
    return every, seen


def test_new_mail_is_kept_read_into_submissions_and_left_in_the_mailbox(
    server: Dovecot,
) -> None:
    _deliver(server, 1, 2, 3)

    stored = mailbox_poll(mailbox=mailbox_from_url(server.url()))

    assert stored == 3
    assert RawMessage.objects.filter(source=RawMessage.Source.IMAP).count() == 3
    assert sorted(Submission.objects.values_list("headline", flat=True)) == [
        "Story number 1",
        "Story number 2",
        "Story number 3",
    ]
    every, seen = _mailbox_uids(server)
    assert every == [1, 2, 3]  # nothing deleted
    assert seen == [1, 2, 3]  # marked read once kept


def test_polling_again_and_after_a_restart_fetches_only_what_is_new(
    server: Dovecot,
) -> None:
    mailbox = mailbox_from_url(server.url())
    _deliver(server, 1, 2)
    assert mailbox_poll(mailbox=mailbox) == 2

    assert mailbox_poll(mailbox=mailbox) == 0
    _deliver(server, 3)
    # a restart: the poller knows only what the database remembers
    assert mailbox_poll(mailbox=mailbox_from_url(server.url())) == 1

    assert RawMessage.objects.count() == 3
    assert MailboxState.objects.get().last_uid == 3


def test_a_renumbered_folder_is_read_again_and_nothing_is_kept_twice(
    server: Dovecot,
) -> None:
    # given: a folder read once, then deleted and made again (a new UIDVALIDITY)
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(USER, PASSWORD)
    client.create("Stories")
    client.logout()
    _deliver(server, 1, 2, folder="Stories")
    mailbox = mailbox_from_url(server.url("Stories"))
    assert mailbox_poll(mailbox=mailbox) == 2
    before = MailboxState.objects.get().uidvalidity
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(USER, PASSWORD)
    client.delete("Stories")
    client.create("Stories")
    client.logout()
    _deliver(server, 1, 2, 3, folder="Stories")

    # when
    assert mailbox_poll(mailbox=mailbox) == 3

    # then: read again, the two it had already become duplicates, one submission each
    assert MailboxState.objects.get().uidvalidity != before
    assert Submission.objects.count() == 3
    duplicates = RawMessage.objects.filter(state=RawMessage.State.DUPLICATE).count()
    assert duplicates == 2


def test_a_wrong_password_or_folder_is_a_clear_error_and_changes_nothing(
    server: Dovecot,
) -> None:
    _deliver(server, 1)

    with pytest.raises(MailboxError, match="Reading"):
        mailbox_poll(mailbox=mailbox_from_url(server.url(password="wrong")))
    with pytest.raises(MailboxError, match="No folder"):
        mailbox_poll(mailbox=mailbox_from_url(server.url("Nowhere")))

    assert RawMessage.objects.count() == 0
    assert _mailbox_uids(server) == ([1], [])


def test_an_unreachable_server_is_an_error_to_retry(db: None) -> None:
    with pytest.raises(MailboxError, match="Cannot reach"):
        mailbox_poll(mailbox=mailbox_from_url("imap://a:b@127.0.0.1:1/INBOX"))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("pop3://a:b@host/", "must start with imaps://"),
        ("imaps://host/INBOX", "needs a user, a password and a host"),
        ("imaps://a:b@host:port/INBOX", "port that is not a number"),
    ],
)
def test_a_malformed_mailbox_address_says_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=says) as raised:
        mailbox_from_url(url)
    assert ":b@" not in str(raised.value)


def test_the_address_s_parts_are_read() -> None:
    mailbox = mailbox_from_url(
        "imaps://news%40agency.example:p%3Ass@mail.example/Stories"
    )

    assert (mailbox.secure, mailbox.host, mailbox.port) == (True, "mail.example", 993)
    assert (mailbox.user, mailbox.password, mailbox.folder) == (
        "news@agency.example",
        "p:ss",
        "Stories",
    )


def test_without_a_mailbox_configured_the_worker_s_job_does_nothing(
    settings: SettingsWrapper,
) -> None:
    settings.NEWSDESK_INGEST_MAILBOX_URL = ""
    assert mailbox_poll_configured() == 0
