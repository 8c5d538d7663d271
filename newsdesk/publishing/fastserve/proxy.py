"""A request passed to the Django application, and its answer passed back."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

import httptools

if TYPE_CHECKING:
    from .connection import Connection, Request

logger = logging.getLogger(__name__)

# The application may still be starting when the first requests for it arrive.
CONNECT_RETRY_SECONDS = 10
# Headers about one connection, never passed on (RFC 9110, section 7.6.1).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


def connection_line(keep_alive: bool) -> bytes:
    """Return the Connection header that tells a client what comes after an answer."""
    return b"Connection: keep-alive\r\n" if keep_alive else b"Connection: close\r\n"


def raw_headers(headers: list[tuple[bytes, bytes]]) -> bytes:
    """Return headers as they are written on the wire."""
    return b"".join(b"%s: %s\r\n" % (name, value) for name, value in headers)


class Proxy(asyncio.Protocol):
    """One request passed to the application and its answer passed back."""

    def __init__(self, client: Connection, request: Request) -> None:
        self.client = client
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.connected = False
        self.parser = httptools.HttpResponseParser(self)
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False  # some of the answer was sent to the client
        self.chunked_out = False
        self.close_delimited = False
        self.done = False
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        loop = self.client.site.loop
        deadline = loop.time() + self.client.site.upstream_wait
        while True:
            try:
                await loop.create_unix_connection(
                    lambda: self, self.client.site.upstream
                )
            except (ConnectionRefusedError, FileNotFoundError) as error:
                if loop.time() >= deadline or self.client.closing:
                    logger.error("The newsdesk application does not answer: %s", error)
                    self._fail()
                    return
                await asyncio.sleep(0.1)
            except OSError as error:
                logger.error("The newsdesk application cannot be reached: %s", error)
                self._fail()
                return
            else:
                return

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.client.closing:
            transport.close()
            return
        self.transport = transport = cast(asyncio.Transport, transport)
        self.connected = True
        request = self.request
        lines = [b"%s %s HTTP/1.1\r\n" % (request.method, request.target)]
        # The edge of the site: an address a client claims is not passed on; the
        # application gets the one this connection comes from.
        dropped = set(HOP_BY_HOP) | {b"x-forwarded-for"}
        for name, value in request.headers:
            if name.lower() == b"connection":
                dropped.update(t.strip().lower() for t in value.split(b","))
        for name, value in request.headers:
            if name.lower() not in dropped:
                lines.append(b"%s: %s\r\n" % (name, value))
        if self.client.peer:
            lines.append(b"X-Forwarded-For: %s\r\n" % self.client.peer)
        if request.chunked:
            lines.append(b"Transfer-Encoding: chunked\r\n")
        # One request per connection: the end of the answer is the end of the stream.
        lines.append(b"Connection: close\r\n\r\n")
        transport.write(b"".join(lines))
        for chunk in request.pending:
            self.send_body(chunk)
        request.pending.clear()
        request.pending_bytes = 0
        self.client.resume_reading_for("buffer")
        if request.complete:
            self.end_body()
        if "writing" in self.client.paused:
            transport.pause_reading()

    def send_body(self, chunk: bytes) -> None:
        if self.transport is None or not chunk:
            return
        if self.request.chunked:
            self.transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        else:
            self.transport.write(chunk)

    def end_body(self) -> None:
        if self.transport is not None and self.request.chunked:
            self.transport.write(b"0\r\n\r\n")

    def pause_writing(self) -> None:
        self.client.pause_reading_for("application")

    def resume_writing(self) -> None:
        self.client.resume_reading_for("application")

    def pause_reading(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.done:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.done:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            logger.exception("The newsdesk application's answer could not be read")
            self._fail()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.client.resume_reading_for("application")
        if self.done:
            return
        if self.close_delimited and self.request.method != b"HEAD":
            self._end()  # the answer ran to the end of the stream
        else:
            self._fail()

    # --- the answer, read by httptools ---------------------------------------

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        client = self.client
        transport = client.transport
        status = self.parser.get_status_code()
        headers, self.headers = self.headers, []
        reason, self.reason = self.reason, b""
        if 100 <= status < 200:
            # An interim answer (100 Continue); the final one follows.
            if transport is not None and not self.request.http10 and status != 101:
                transport.write(
                    b"HTTP/1.1 %d %s\r\n%s\r\n" % (status, reason, raw_headers(headers))
                )
            return
        request = self.request
        has_length = any(name.lower() == b"content-length" for name, _ in headers)
        bodiless = request.method == b"HEAD" or status in (204, 304)
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
        lines += [
            b"%s: %s\r\n" % (name, value)
            for name, value in headers
            if name.lower() not in HOP_BY_HOP
        ]
        if not bodiless and not has_length:
            if request.http10:
                request.keep_alive = False  # the end of the stream ends the body
            else:
                self.chunked_out = True
                lines.append(b"Transfer-Encoding: chunked\r\n")
            self.close_delimited = True
        if not request.keep_alive or request.http10:
            lines.append(connection_line(request.keep_alive))
        lines.append(b"\r\n")
        self.started = True
        if transport is not None:
            transport.write(b"".join(lines))
        if request.method == b"HEAD":
            self._end()

    def on_body(self, body: bytes) -> None:
        transport = self.client.transport
        if transport is None or self.done:
            return
        if self.chunked_out:
            transport.write(b"%x\r\n%s\r\n" % (len(body), body))
        else:
            transport.write(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 or self.done:
            return
        self._end()

    # --- ending ----------------------------------------------------------------

    def _end(self) -> None:
        if self.done:
            return
        self.done = True
        transport = self.client.transport
        if self.chunked_out and transport is not None:
            transport.write(b"0\r\n\r\n")
        if self.transport is not None:
            self.transport.close()
        self.client.proxy_done(self.request, keep_alive=self.request.keep_alive)

    def _fail(self) -> None:
        """End an exchange that went wrong: 502 if nothing was sent, else cut it off."""
        if self.done:
            return
        self.done = True
        if self.transport is not None:
            self.transport.abort()
        client = self.client
        if client.transport is None or client.closing:
            return
        if self.started:
            client.transport.abort()  # the client sees a cut answer, not a wrong one
            return
        body = b"The newsdesk application is not answering; try again in a moment.\n"
        client.transport.write(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        client.close()

    def abort(self) -> None:
        """Drop the exchange: the client went away."""
        self.done = True
        if self.transport is not None:
            self.transport.abort()
