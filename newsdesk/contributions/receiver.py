"""The SMTP mail receiver: contributors' mail is stored durably, then accepted."""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import threading
from collections.abc import Awaitable
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections

from .mailstore import raw_message_store
from .models import RawMessage

logger = logging.getLogger(__name__)

# RFC 5321 allows 1000 octets a line, but some mail programs send a whole paragraph
# on one line; refusing those would bounce real stories, so allow far longer ones.
MAX_LINE_BYTES = 64 * 1024
# RFC 5321 s 4.5.3.1.8: a server must accept at least 100 recipients.
MAX_RECIPIENTS = 100
STOP_GRACE_SECONDS = 10.0
IDENT = "newsdesk mail receiver"

STORE_FAILED_REPLY = (
    "451 4.3.0 The message could not be stored because of a problem on our side; "
    "please try again later"
)
INTERNAL_ERROR_REPLY = "451 4.3.0 Temporary problem on our side; please try again later"
LINE_TOO_LONG_REPLY = (
    f"500 5.5.2 Line too long: lines may be at most {MAX_LINE_BYTES // 1024} KB. "
    "Send long text as an attachment."
)
TOO_MANY_RECIPIENTS_REPLY = f"452 4.5.3 Too many recipients (at most {MAX_RECIPIENTS})"
# aiosmtpd answers these itself, before any handler hook runs; their text is replaced.
_AIOSMTPD_TOO_BIG = ("552 Error: Too much mail data", "552 Error: message size exceeds")
_AIOSMTPD_LINE_TOO_LONG = "500 Line too long"


def size_text(size: int) -> str:
    """Return a size in bytes as people say it: 25 MB, 10 KB, 900 bytes."""
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def too_big_reply(max_bytes: int) -> str:
    """Return the SMTP reply to a message over the size limit."""
    return (
        f"552 5.3.4 Message too big: the limit is {size_text(max_bytes)}. "
        "Send large files as links, or split them into several messages."
    )


class MailHandler:
    """Store each message received, and answer 250 only once it is stored."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._in_flight = 0
        self._idle = threading.Condition()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept any recipient: every address here reaches the newsroom for now."""
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS_REPLY
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Store the message exactly as received, then tell the sender its reference."""
        data = envelope.original_content or b""
        if len(data) > self.max_bytes:
            return too_big_reply(self.max_bytes)
        store = functools.partial(
            self._store,
            data=data,
            envelope_from=envelope.mail_from or "",
            envelope_to=list(envelope.rcpt_tos),
        )
        self._begin()
        try:
            stored = asyncio.get_running_loop().run_in_executor(None, store)
        except BaseException:
            self._end()
            raise
        try:
            raw = await stored
        except Exception:
            logger.exception(
                "Could not store a message from %r (%d bytes); answered 451 so the "
                "sender's server tries again",
                envelope.mail_from,
                len(data),
            )
            return STORE_FAILED_REPLY
        logger.info(
            "Stored message #%s from %r (%d bytes)",
            raw.pk,
            envelope.mail_from,
            len(data),
        )
        return f"250 2.0.0 Message received, thank you (reference #{raw.pk})"

    async def handle_exception(self, error: Exception) -> str:
        """Log an unexpected error and answer with a temporary failure."""
        logger.error("Mail receiver error", exc_info=error)
        return INTERNAL_ERROR_REPLY

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no message is being stored; return whether that happened."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    def _store(
        self, *, data: bytes, envelope_from: str, envelope_to: list[str]
    ) -> RawMessage:
        # Runs in a worker thread: database work must not block the event loop.
        try:
            close_old_connections()
            try:
                return raw_message_store(
                    data=data,
                    source=RawMessage.Source.SMTP,
                    envelope_from=envelope_from,
                    envelope_to=envelope_to,
                )
            finally:
                # Executor threads are not ours to clean up later: close this thread's
                # connection now rather than leave it open for ever (mail is rare
                # enough that reconnecting per message costs nothing noticeable).
                connections.close_all()
        finally:
            self._end()

    def _begin(self) -> None:
        with self._idle:
            self._in_flight += 1

    def _end(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()


class _ReceiverSMTP(SMTP):
    """aiosmtpd's SMTP protocol with longer lines and our wording for its refusals."""

    line_length_limit = MAX_LINE_BYTES

    def __init__(self, handler: MailHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._too_big_reply = too_big_reply(handler.max_bytes)

    async def push(self, status: str | bytes) -> None:
        # aiosmtpd refuses oversized mail and over-long lines itself, in terse words a
        # contributor's mail program shows them; say what to do instead.
        if isinstance(status, bytes):
            await super().push(status)
        elif status.startswith(_AIOSMTPD_TOO_BIG):
            await super().push(self._too_big_reply)
        elif status.startswith(_AIOSMTPD_LINE_TOO_LONG):
            await super().push(LINE_TOO_LONG_REPLY)
        else:
            await super().push(status)


class _Controller(Controller):
    """aiosmtpd's threaded controller, serving on a socket we bound ourselves."""

    def __init__(
        self, handler: MailHandler, *, sock: socket.socket, **kwargs: Any
    ) -> None:
        address = sock.getsockname()
        super().__init__(handler, hostname=address[0], port=address[1], **kwargs)
        self._sock = sock
        self._probe_address = (_loopback_for(address[0]), address[1])

    def factory(self) -> SMTP:
        return _ReceiverSMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(
            self._factory_invoker, sock=self._sock, ssl=self.ssl_context
        )

    def _trigger_server(self) -> None:
        # aiosmtpd builds the protocol on the first connection; make one so a broken
        # setup fails at start, not at the first contributor's message.
        with socket.create_connection(self._probe_address, timeout=1.0) as probe:
            probe.recv(1024)


def _loopback_for(host: str) -> str:
    # A server listening on every address is reached, from here, on loopback.
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        # Reuse a port in TIME_WAIT after a restart; a live listener still refuses us.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


class MailReceiver:
    """Listen for SMTP on host:port in a background thread (port 0 picks a free one)."""

    def __init__(self, *, host: str, port: int, max_bytes: int) -> None:
        self.host = host
        self.port = port
        self.max_bytes = max_bytes
        self.handler = MailHandler(max_bytes=max_bytes)
        self._controller: _Controller | None = None

    def start(self) -> None:
        """Start listening; raise OSError (EADDRINUSE) when the port is taken."""
        if self._controller is not None:
            raise RuntimeError("The mail receiver is already running")
        sock = _listen(self.host, self.port)
        self.port = int(sock.getsockname()[1])
        controller = _Controller(
            self.handler,
            sock=sock,
            server_hostname=socket.gethostname(),
            ident=IDENT,
            data_size_limit=self.max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,  # keeps 8BITMIME on, and the bytes as they came
        )
        try:
            controller.start()
        except BaseException:
            sock.close()
            controller.stop(no_assert=True)
            raise
        self._controller = controller

    def stop(self, *, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop listening, let messages being stored finish, then stop the thread."""
        controller = self._controller
        if controller is None:
            return
        self._controller = None
        server = controller.server
        if server is not None:
            controller.loop.call_soon_threadsafe(server.close)
        if not self.handler.wait_idle(grace):
            logger.warning(
                "A message was still being stored after %s s; stopping anyway "
                "(its sender was not answered and will send it again)",
                grace,
            )
        controller.stop()

    def __enter__(self) -> MailReceiver:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
