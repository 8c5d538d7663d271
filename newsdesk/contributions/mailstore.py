"""Keep every message exactly as it arrived, on disk and in the database, durably."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from newsdesk.core.files import make_folders, write_atomically

from .models import RawMessage
from .tasks import parse_raw_message

logger = logging.getLogger(__name__)

RAW_FOLDER = "raw"
FILES_FOLDER = "files"
# The end of the header block: the first empty line (RFC 5322 s 2.1), either style.
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_WHITESPACE = re.compile(r"\s+")
_MESSAGE_ID_MAX = RawMessage._meta.get_field("message_id").max_length or 998
_ENVELOPE_FROM_MAX = RawMessage._meta.get_field("envelope_from").max_length or 320


def raw_message_store(
    *,
    data: bytes,
    source: str = RawMessage.Source.SMTP,
    envelope_from: str = "",
    envelope_to: Sequence[str] = (),
    received_at: datetime | None = None,
    source_key: str = "",
) -> RawMessage:
    """Write a message to the mail folder and record it, both durably, then queue it.

    A ``source_key`` (a mailbox's UIDVALIDITY and UID) names where it was fetched
    from: a message fetched again is not stored again.

    When this returns, the file is fsynced and its row committed, so the sender may
    be told the message arrived. It must not run inside ``transaction.atomic()``: a
    row that an outer transaction could still roll back is not stored.
    """
    if transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "raw_message_store() must not run inside transaction.atomic(): the raw "
            "message must be committed before the sender is told it arrived."
        )
    if source_key:
        known = RawMessage.objects.filter(source_key=source_key).first()
        if known is not None:
            return known
    received = received_at or timezone.now()
    if timezone.is_naive(received):
        raise ValueError("received_at must be timezone-aware")
    sha256 = hashlib.sha256(data).hexdigest()
    relative = _write_durably(data=data, sha256=sha256, received=received)
    with transaction.atomic():
        raw = RawMessage.objects.filter(path=relative).first()
        if raw is None:
            raw = RawMessage.objects.create(
                source=source,
                path=relative,
                sha256=sha256,
                size=len(data),
                received_at=received,
                envelope_from=_clean(envelope_from)[:_ENVELOPE_FROM_MAX],
                envelope_to="\n".join(_clean(address) for address in envelope_to),
                message_id=message_id_from_headers(data),
                source_key=source_key,
            )
    try:
        parse_raw_message.enqueue(raw.pk)
    except Exception:
        # The message is safe; the worker's sweep reads every unread one when it starts.
        logger.exception("Could not queue raw message #%s for reading", raw.pk)
    return raw


def message_id_from_headers(data: bytes) -> str:
    """Return the message's Message-ID from its headers, or "" if it has none."""
    match = _HEADER_END.search(data)
    headers = data[: match.end()] if match else data
    try:
        value = BytesHeaderParser().parsebytes(headers).get("Message-ID")
    except Exception:  # a hostile header block must never stop the message being stored
        logger.warning("Could not read the headers of a message", exc_info=True)
        return ""
    if value is None:
        return ""
    return _WHITESPACE.sub("", _clean(str(value)))[:_MESSAGE_ID_MAX]


def _clean(text: str) -> str:
    # Undecodable bytes arrive as surrogates and NUL is refused by PostgreSQL; neither
    # belongs in a database column.
    return (
        text.encode("utf-8", "surrogateescape")
        .decode("utf-8", "replace")
        .replace("\x00", "")
    )


def _write_durably(*, data: bytes, sha256: str, received: datetime) -> str:
    """Write the bytes under raw/YYYY/MM/DD/ and return the path in the mail folder."""
    root = Path(settings.NEWSDESK_MAIL_DIR)
    utc = received.astimezone(UTC)
    folder = Path(RAW_FOLDER, f"{utc:%Y}", f"{utc:%m}", f"{utc:%d}")
    make_folders(root / folder)
    stem = f"{utc:%Y%m%dT%H%M%S.%fZ}-{sha256[:16]}"
    for attempt in range(100):
        name = f"{stem}.eml" if attempt == 0 else f"{stem}-{attempt}.eml"
        target = root / folder / name
        if not target.exists():
            write_atomically(target, data)  # private: 0600
            return (folder / name).as_posix()
        if _sha256_of(target) == sha256:
            return (folder / name).as_posix()
    raise FileExistsError(f"No free file name for {stem} in {root / folder}")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def attachment_store(data: bytes) -> tuple[str, str]:
    """Keep a file a message carried; return its path in the mail folder and SHA-256.

    Files are named by their content, so the same photo sent twice is kept once.
    Like raw messages, they are private (0600) and flushed to disk.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    root = Path(settings.NEWSDESK_MAIL_DIR)
    folder = Path(FILES_FOLDER, sha256[:2])
    make_folders(root / folder)
    target = root / folder / sha256
    if not target.exists() or _sha256_of(target) != sha256:
        write_atomically(target, data)
    return (folder / sha256).as_posix(), sha256
