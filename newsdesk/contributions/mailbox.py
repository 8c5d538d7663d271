"""The mailbox poller: fetch new mail from a hosted mailbox over IMAP, keep it, and
never lose or delete any.

``NEWSDESK_INGEST_MAILBOX_URL`` names the mailbox: ``imaps://user:password@host/INBOX``
(or ``imap://`` for a server on the same machine; the port after the host, the
folder after the slash, ``INBOX`` by default, user and password percent-encoded).
The worker polls it every minute.

Each message is fetched without marking it read (``BODY.PEEK[]``), stored durably
(file fsynced, row committed) and only then flagged ``\\Seen``, for people who look
at the mailbox too. The poller remembers the last UID it stored for the folder's
UIDVALIDITY: a restart carries on after it, and a server that renumbers the folder
(a new UIDVALIDITY) is read again from the start, the messages already kept being
recognised by their UIDs and Message-IDs. Nothing is ever deleted or expunged.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .mailstore import raw_message_store
from .models import MailboxState, RawMessage

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
# Messages fetched per poll: a mailbox that filled up while the worker was down is
# caught up over a few minutes rather than in one long connection.
BATCH = 200
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


class MailboxError(Exception):
    """The mailbox could not be read (our side or the server's; retried later)."""


@dataclass(frozen=True)
class Mailbox:
    """Where a mailbox is and how to sign in to it."""

    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

    @property
    def key(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_from_url(url: str) -> Mailbox:
    """Read an imap:// or imaps:// address, or raise ImproperlyConfigured saying
    what is wrong with it (the password never appears in the message)."""
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"}:
        raise ImproperlyConfigured(
            "NEWSDESK_INGEST_MAILBOX_URL must start with imaps:// (or imap://), "
            f"not {parts.scheme or 'nothing'}://"
        )
    if not parts.hostname or not parts.username or parts.password is None:
        raise ImproperlyConfigured(
            "NEWSDESK_INGEST_MAILBOX_URL needs a user, a password and a host: "
            "imaps://user:password@host/INBOX"
        )
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "NEWSDESK_INGEST_MAILBOX_URL has a port that is not a number."
        ) from exc
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return Mailbox(
        secure=parts.scheme == "imaps",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password),
        folder=folder,
    )


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.secure:
        return imaplib.IMAP4_SSL(
            mailbox.host,
            mailbox.port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_SECONDS,
        )
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_poll(*, mailbox: Mailbox) -> int:
    """Fetch and keep the mailbox's messages not stored yet; return how many.

    Raises MailboxError when the server cannot be reached or refuses us.
    """
    try:
        client = _connect(mailbox)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"Cannot reach the mailbox {mailbox.key}: {exc}") from exc
    try:
        try:
            client.login(mailbox.user, mailbox.password)
            status, _ = client.select(_quoted(mailbox.folder))
            if status != "OK":
                raise MailboxError(f"No folder {mailbox.folder!r} in {mailbox.key}")
            return _fetch_new(client, mailbox)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"Reading {mailbox.key} failed: {exc}") from exc
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _uidvalidity(client: imaplib.IMAP4, mailbox: Mailbox) -> int:
    """Return the folder's UIDVALIDITY, from SELECT's answer or by asking."""
    _, data = client.response("UIDVALIDITY")
    for item in data or []:
        if isinstance(item, bytes) and item.strip().isdigit():
            return int(item)
    _, status = client.status(_quoted(mailbox.folder), "(UIDVALIDITY)")
    match = _UIDVALIDITY.search(b" ".join(s for s in status if isinstance(s, bytes)))
    return int(match.group(1)) if match else 0


def _fetch_new(client: imaplib.IMAP4, mailbox: Mailbox) -> int:
    uidvalidity = _uidvalidity(client, mailbox)
    state, _ = MailboxState.objects.get_or_create(mailbox=mailbox.key)
    if state.uidvalidity != uidvalidity:
        if state.uidvalidity:
            logger.warning(
                "Mailbox %s was renumbered (UIDVALIDITY %s, was %s); reading it again",
                mailbox.key,
                uidvalidity,
                state.uidvalidity,
            )
        state.uidvalidity, state.last_uid = uidvalidity, 0
        state.save(update_fields=["uidvalidity", "last_uid"])
    status, data = client.uid("SEARCH", f"UID {state.last_uid + 1}:*")
    if status != "OK":
        raise MailboxError(f"Searching {mailbox.key} failed")
    uids = sorted(
        uid
        for uid in (int(n) for n in (data[0] or b"").split())
        if uid > state.last_uid  # "n:*" always answers the last message
    )[:BATCH]
    stored = 0
    for uid in uids:
        status, parts = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        message = next(
            (part[1] for part in parts or [] if isinstance(part, tuple)), None
        )
        if status != "OK" or not isinstance(message, bytes):
            raise MailboxError(f"Fetching UID {uid} from {mailbox.key} failed")
        raw_message_store(
            data=message,
            source=RawMessage.Source.IMAP,
            envelope_to=[mailbox.user],
            source_key=f"imap:{mailbox.key}:{uidvalidity}:{uid}",
        )
        # Stored and committed: only now is the message ours to mark as read, and
        # only once it is marked do we move past it (killed in between, the next
        # poll fetches it again, and the store recognises it).
        client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
        state.last_uid = uid
        state.save(update_fields=["last_uid"])
        stored += 1
    MailboxState.objects.filter(pk=state.pk).update(polled_at=timezone.now())
    return stored


def mailbox_poll_configured() -> int:
    """Poll the mailbox NEWSDESK_INGEST_MAILBOX_URL names, if any (the worker's job)."""
    url = settings.NEWSDESK_INGEST_MAILBOX_URL
    if not url:
        return 0
    return mailbox_poll(mailbox=mailbox_from_url(url))
