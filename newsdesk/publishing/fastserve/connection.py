"""One reader's connection: requests parsed, answered from memory or passed on."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from email.utils import formatdate
from typing import cast
from urllib.parse import unquote_to_bytes

import httptools

from ..server import is_django_path
from ..server_cache import Answer, ReaderFiles
from ..server_headers import encodings_for
from .proxy import CONNECT_RETRY_SECONDS, Proxy, connection_line

logger = logging.getLogger(__name__)

# A request head (request line and headers) larger than this is refused (431).
MAX_HEAD_BYTES = 64 * 1024
# A connection with no request under way is closed after this long.
KEEP_ALIVE_SECONDS = 75
# A request head must arrive whole within this long (a slow sender holds a socket).
HEAD_SECONDS = 30
# Request bodies waiting to be passed on, beyond which the client is not read.
BUFFER_LIMIT = 1024 * 1024
# How long a refused client's remaining bytes are read and dropped before closing.
LINGER_SECONDS = 2
REASONS = {200: b"OK", 304: b"Not Modified", 404: b"Not Found"}
FROM_MEMORY = frozenset({b"GET", b"HEAD"})


class _Clock:
    """The Date header of this second, made once a second."""

    def __init__(self) -> None:
        self.second = -1
        self.date_line = b""

    def now(self) -> int:
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.date_line = b"Date: %s\r\n" % formatdate(second, usegmt=True).encode()
        return second


class Site:
    """What the server's connections share: the files, the application, the clock."""

    def __init__(
        self,
        files: ReaderFiles,
        upstream: str,
        *,
        loop: asyncio.AbstractEventLoop,
        upstream_wait: float = CONNECT_RETRY_SECONDS,
    ) -> None:
        self.files = files
        self.upstream = upstream
        self.upstream_wait = upstream_wait
        self.loop = loop
        self.clock = _Clock()
        self.connections: set[Connection] = set()
        self.stopping = False
        # The loop's time, updated by the sweep: timeouts need no finer clock, and
        # reading the time for every request would cost more.
        self.now = loop.time()
        self._paths: dict[bytes, str | None] = {}
        self._encodings: dict[bytes | None, tuple[str, ...]] = {}

    def reader_path(self, raw: bytes) -> str | None:
        """Return a request target's path decoded as WSGI does, or None if unusable."""
        raw = raw.partition(b"?")[0]
        path = self._paths.get(raw, False)
        if path is False:
            path = None
            if raw.startswith(b"/"):
                try:
                    # As granian gives PATH_INFO: percent-decoded, then read as UTF-8.
                    path = unquote_to_bytes(raw).decode("utf-8")
                except UnicodeDecodeError:
                    path = None
                if path is not None and is_django_path(path):
                    path = None
            if len(self._paths) > 10_000:  # a crawler's distinct paths
                self._paths.clear()
            self._paths[raw] = path
        return path  # type: ignore[return-value]  # False was replaced above

    def encodings(self, accept_encoding: bytes | None) -> tuple[str, ...]:
        """Return the precompressed encodings an Accept-Encoding value accepts."""
        encodings = self._encodings.get(accept_encoding)
        if encodings is None:
            header = (
                None if accept_encoding is None else accept_encoding.decode("latin-1")
            )
            encodings = encodings_for(header)
            if len(self._encodings) > 1024:
                self._encodings.clear()
            self._encodings[accept_encoding] = encodings
        return encodings


class Request:
    """One request of a connection: its head, and its body while it is passed on."""

    __slots__ = (
        "accept_encoding",
        "answered",
        "chunked",
        "complete",
        "headers",
        "http10",
        "if_modified_since",
        "if_none_match",
        "keep_alive",
        "method",
        "pending",
        "pending_bytes",
        "proxy",
        "target",
    )

    def __init__(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> None:
        self.method = method
        self.target = target
        self.headers = headers
        self.keep_alive = True
        self.http10 = False
        self.chunked = False
        self.complete = False
        self.answered = False  # from memory
        self.accept_encoding: bytes | None = None
        self.if_none_match: bytes | None = None
        self.if_modified_since: bytes | None = None
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.proxy: Proxy | None = None


class Connection(asyncio.Protocol):
    """One reader's connection: requests answered in the order they came."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.transport: asyncio.Transport | None = None
        self.peer = b""
        self.parser = httptools.HttpRequestParser(self)
        self.queue: collections.deque[Request] = collections.deque()
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_bytes = 0
        self.head_started: float | None = None
        self.last_active = 0.0
        self.closing = False
        self.paused: set[str] = set()
        # The request being read was answered from memory as soon as its head came.
        self.answered_now = False
        self.keep_alive_now = True

    # --- asyncio -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream server's
        # Who is at the other end, told to the application (X-Forwarded-For): it
        # counts wrong passwords and form posts per address.
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]).encode() if isinstance(peer, tuple) and peer else b""
        self.last_active = self.site.now
        self.site.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.site.connections.discard(self)
        for request in self.queue:
            if request.proxy is not None:
                request.proxy.abort()
        self.queue.clear()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        self.last_active = self.site.now
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # The request was answered as an ordinary one (the Upgrade header is not
            # passed on); what follows is read as HTTP again.
            offset = int(upgrade.args[0])
            if self.queue and self.queue[-1].method == b"CONNECT":
                self._refuse(405, b"Method Not Allowed")
            elif offset < len(data):
                self.data_received(data[offset:])
        except httptools.HttpParserCallbackError:
            logger.exception("Could not answer a request")
            self._refuse(500, b"Internal Server Error")
        except httptools.HttpParserError:
            self._refuse(400, b"Bad Request")
        # A head still unfinished after these bytes: llhttp sets no limit of its own.
        if self.head_started is not None and not self.closing:
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, b"Request Header Fields Too Large")

    def pause_writing(self) -> None:
        # A client that does not read its answers is not read from either.
        self.pause_reading_for("writing")
        for request in self.queue:
            if request.proxy is not None:
                request.proxy.pause_reading()

    def resume_writing(self) -> None:
        self.resume_reading_for("writing")
        for request in self.queue:
            if request.proxy is not None:
                request.proxy.resume_reading()

    # --- httptools ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.head_bytes = 0
        self.head_started = self.site.now

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_started = None
        if self.closing:
            return
        parser = self.parser
        method = parser.get_method()
        accept_encoding = if_none_match = if_modified_since = None
        chunked = False
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"accept-encoding":
                accept_encoding = value
            elif lowered == b"if-none-match":
                if_none_match = value
            elif lowered == b"if-modified-since":
                if_modified_since = value
            elif lowered == b"transfer-encoding":
                # llhttp refuses a request whose last coding is not chunked; one that
                # compresses the body as well is refused here (RFC 9112, 6.1).
                if value.strip().lower() != b"chunked":
                    self._refuse(501, b"Not Implemented")
                    return
                chunked = True
        keep_alive = parser.should_keep_alive()
        http10 = parser.get_http_version() == "1.0"
        if not self.queue and method in FROM_MEMORY:
            # Nothing before it: answered now, without queueing (most requests).
            answer = self._from_memory(self.url, accept_encoding)
            if answer is not None:
                self.answered_now = True
                self.keep_alive_now = keep_alive
                self._send(
                    method, answer, if_none_match, if_modified_since, keep_alive, http10
                )
                return
        request = Request(method, self.url, self.headers)
        request.keep_alive = keep_alive
        request.http10 = http10
        request.chunked = chunked
        request.accept_encoding = accept_encoding
        request.if_none_match = if_none_match
        request.if_modified_since = if_modified_since
        self.queue.append(request)
        if len(self.queue) == 1:
            self._start(request)

    def on_body(self, body: bytes) -> None:
        if self.answered_now or not self.queue:
            return  # closing: the rest of a body no one will read
        request = self.queue[-1]
        proxy = request.proxy
        if proxy is not None and proxy.connected:
            proxy.send_body(body)
        elif not request.answered:
            request.pending.append(body)
            request.pending_bytes += len(body)
            if request.pending_bytes > BUFFER_LIMIT:
                self.pause_reading_for("buffer")

    def on_message_complete(self) -> None:
        if self.answered_now:
            self.answered_now = False
            if not self.keep_alive_now or self.site.stopping:
                self.close()
            return
        if not self.queue:
            return
        request = self.queue[-1]
        request.complete = True
        if request.proxy is not None and request.proxy.connected:
            request.proxy.end_body()
        elif request.answered:
            self._finish(request)

    # --- answering ---------------------------------------------------------------

    def _start(self, request: Request) -> None:
        """Answer the oldest request: from memory, or through the application."""
        if request.method in FROM_MEMORY:
            answer = self._from_memory(request.target, request.accept_encoding)
            if answer is not None:
                request.answered = True
                request.pending.clear()
                self._send(
                    request.method,
                    answer,
                    request.if_none_match,
                    request.if_modified_since,
                    request.keep_alive,
                    request.http10,
                )
                if request.complete:
                    self._finish(request)
                return
        proxy = request.proxy = Proxy(self, request)
        # Kept: the loop holds only a weak reference to a task.
        proxy.task = self.site.loop.create_task(proxy.run())

    def _from_memory(
        self, target: bytes, accept_encoding: bytes | None
    ) -> Answer | None:
        """Return the answer kept for a reader file, or None to ask the application."""
        site = self.site
        path = site.reader_path(target)
        if path is None:
            return None
        found = site.files.find(path, site.encodings(accept_encoding))
        if not isinstance(found, Answer):
            return None  # redirects, missing pages and the rest: the application's
        if found.body is None:
            found.release()  # a large file: the application streams it
            return None
        return found

    def _send(
        self,
        method: bytes,
        answer: Answer,
        if_none_match: bytes | None,
        if_modified_since: bytes | None,
        keep_alive: bool,
        http10: bool,
    ) -> None:
        transport = self.transport
        if transport is None:
            return
        clock = self.site.clock
        second = clock.now()
        connection = b"" if keep_alive and not http10 else connection_line(keep_alive)
        if (
            if_none_match is not None or if_modified_since is not None
        ) and answer.not_modified(
            None if if_none_match is None else if_none_match.decode("latin-1"),
            None if if_modified_since is None else if_modified_since.decode("latin-1"),
        ):
            if answer.wire_not_modified is None:
                answer.wire_not_modified = b"HTTP/1.1 304 Not Modified\r\n" + _wire(
                    answer.not_modified_headers
                )
            transport.write(
                b"".join(
                    (answer.wire_not_modified, clock.date_line, connection, b"\r\n")
                )
            )
            return
        if answer.wire_headers is None:
            answer.wire_headers = b"HTTP/1.1 %d %s\r\n" % (
                answer.status,
                REASONS[answer.status],
            ) + _wire(answer.headers)
        body = answer.body or b""
        if method == b"HEAD":
            transport.write(
                b"".join((answer.wire_headers, clock.date_line, connection, b"\r\n"))
            )
        elif connection:
            transport.write(
                b"".join(
                    (answer.wire_headers, clock.date_line, connection, b"\r\n", body)
                )
            )
        else:
            # The whole response is made once a second (its Date changes) and sent as
            # it is to every reader of the page meanwhile.
            if answer.wire_second != second or answer.wire_response is None:
                answer.wire_response = b"".join(
                    (answer.wire_headers, clock.date_line, b"\r\n", body)
                )
                answer.wire_second = second
            transport.write(answer.wire_response)

    def _finish(self, request: Request) -> None:
        """Close or go on to the next request once an answer has been sent."""
        if self.queue and self.queue[0] is request:
            self.queue.popleft()
        if not request.keep_alive or self.site.stopping:
            self.close()
            return
        if self.paused:
            self.resume_reading_for("buffer")
        if self.queue:
            self._start(self.queue[0])

    def proxy_done(self, request: Request, *, keep_alive: bool) -> None:
        """Go on once the application's answer has been passed on."""
        if not keep_alive:
            request.keep_alive = False
        if not request.complete:
            # The answer came before the whole body (a refusal): the rest of the
            # body cannot be told from a next request without reading it all.
            request.keep_alive = False
        self._finish(request)

    def _refuse(self, status: int, reason: bytes) -> None:
        body = reason + b"\n"
        transport = self.transport
        if transport is None or any(r.proxy for r in self.queue):
            self.close()
            return
        transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (status, reason, len(body), body)
        )
        self.closing = True  # what comes now is read and thrown away
        if transport.can_write_eof():
            # Closed at once with unread bytes, the socket would reset and the client
            # could lose the answer: end our side, read theirs a while (nginx's
            # lingering close).
            transport.write_eof()
            self.site.loop.call_later(LINGER_SECONDS, self.close)
        else:
            self.close()

    def close(self) -> None:
        """Close the connection once what was written is sent."""
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def idle_too_long(self, now: float) -> bool:
        """Say whether the connection waited too long for a request or its head."""
        if self.head_started is not None:
            return now - self.head_started > HEAD_SECONDS
        return not self.queue and now - self.last_active > KEEP_ALIVE_SECONDS

    def pause_reading_for(self, reason: str) -> None:
        """Stop reading from the client until every reason given is gone."""
        if not self.paused and self.transport is not None:
            self.transport.pause_reading()
        self.paused.add(reason)

    def resume_reading_for(self, reason: str) -> None:
        """Read from the client again, unless another reason still holds."""
        if reason in self.paused:
            self.paused.discard(reason)
            if not self.paused and self.transport is not None and not self.closing:
                self.transport.resume_reading()


def _wire(headers: list[tuple[str, str]]) -> bytes:
    return "".join(f"{name}: {value}\r\n" for name, value in headers).encode("latin-1")
