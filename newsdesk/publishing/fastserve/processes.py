"""The web server's processes: one worker per core, sharing the port."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from ..server_cache import DEFAULT_BUDGET_BYTES, ReaderFiles
from .connection import Connection, Site
from .proxy import CONNECT_RETRY_SECONDS

logger = logging.getLogger("newsdesk.publishing.fastserve")

SWEEP_SECONDS = 5
STOP_GRACE_SECONDS = 8


async def _serve(listener: socket.socket, site: Site, parent: int) -> None:
    loop = site.loop
    server = await loop.create_server(
        lambda: Connection(site), sock=listener, backlog=1024
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watch_fd = site.files.watch_fd()
    if watch_fd is not None:
        # Changes are read before each request; reading them while idle as well keeps
        # the kernel's queue from overflowing during a full rebuild.
        loop.add_reader(watch_fd, site.files.refresh)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_SECONDS)
        if os.getppid() != parent:
            break  # the parent process died without telling us
        now = site.now = loop.time()
        for connection in list(site.connections):
            if connection.idle_too_long(now):
                connection.close()
    site.stopping = True
    if watch_fd is not None:
        loop.remove_reader(watch_fd)
    server.close()
    deadline = loop.time() + STOP_GRACE_SECONDS
    for connection in list(site.connections):
        if not connection.queue:
            connection.close()
    while any(c.queue for c in site.connections) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    for connection in list(site.connections):
        if connection.transport is not None:
            connection.transport.abort()


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """Return uvloop's event loop where it is installed (not on Windows), else Python's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    # Measured: about a tenth less processor time per request than Python's loop.
    return uvloop.new_event_loop()


def _worker(
    listener: socket.socket,
    root: Path,
    upstream: str,
    budget: int,
    upstream_wait: float,
    parent: int,
) -> None:
    loop = _new_event_loop()
    asyncio.set_event_loop(loop)
    site = Site(
        ReaderFiles(root, budget_bytes=budget),
        upstream,
        loop=loop,
        upstream_wait=upstream_wait,
    )
    try:
        loop.run_until_complete(_serve(listener, site, parent))
    finally:
        site.files.close()
        loop.close()


def _listen(host: str, port: int, count: int) -> list[socket.socket]:
    """Return listening sockets for the workers, all on host:port."""
    if count > 1 and sys.platform.startswith("linux"):
        # One socket per worker (SO_REUSEPORT): Linux spreads new connections evenly
        # between them. Workers sharing one socket do not share the work: whichever
        # wakes first accepts a whole burst. (BSD and macOS would give every
        # connection to one of the sockets: there the workers share one.)
        listeners = []
        try:
            for _ in range(count):
                listeners.append(
                    socket.create_server((host, port), backlog=1024, reuse_port=True)
                )
        except OSError:
            for listener in listeners:
                listener.close()
            raise
    else:
        shared = socket.create_server((host, port), backlog=1024)
        listeners = [shared] * count
    for listener in listeners:
        listener.setblocking(False)
    return listeners


def serve(
    *,
    host: str,
    port: int,
    root: Path,
    upstream: str,
    workers: int,
    budget_bytes: int = DEFAULT_BUDGET_BYTES,
    upstream_wait: float = CONNECT_RETRY_SECONDS,
) -> int:
    """Serve the reader site on host:port with worker processes; return an exit code."""
    listeners = _listen(host, port, max(workers, 1))
    parent = os.getpid()
    children: set[int] = set()
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    # Told to stop from the moment the port is open: a stop asked for while the
    # workers are being started still reaches every one of them.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for listener in listeners:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                for other in listeners:
                    if other is not listener:
                        other.close()
                _worker(listener, root, upstream, budget_bytes, upstream_wait, parent)
            except BaseException:
                logger.exception("A web server worker stopped")
                code = 1
            finally:
                os._exit(code)
        children.add(pid)
    for listener in listeners:
        listener.close()
    if stopping:
        stop(signal.SIGTERM, None)
    code = 0
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            exit_code = os.waitstatus_to_exitcode(status)
            if exit_code != 0:
                # One worker gone means a fault: stop the others and say so.
                logger.error(
                    "A web server worker stopped unexpectedly (exit code %s); "
                    "stopping the others.",
                    exit_code,
                )
                code = 1
            # A worker that ended well was told to stop, as its group was.
            stop(signal.SIGTERM, None)
    return code


def web_server_commands(
    *,
    host: str,
    port: int,
    root: Path,
    workers: int,
    socket_path: Path,
    python: str = sys.executable,
) -> dict[str, list[str]]:
    """Return the commands of the web server's two parts, the application first.

    granian runs the Django application (``newsdesk.wsgi``, one worker per core) on
    a Unix socket in a folder only this user can reach; this server listens on
    host:port and passes it what it does not answer from the output folder.
    """
    return {
        "application server": [
            python,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--uds",
            str(socket_path),
            "--workers",
            str(workers),
            "--blocking-threads",
            "1",
            "--no-ws",
            "--no-access-log",
            "newsdesk.wsgi:application",
        ],
        "web server": [
            python,
            "-m",
            "newsdesk.publishing.fastserve",
            "--host",
            host,
            "--port",
            str(port),
            "--root",
            str(root),
            "--upstream",
            str(socket_path),
            "--workers",
            str(workers),
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the built-in web server from the command line (``newsdesk start`` does)."""
    parser = argparse.ArgumentParser(
        prog="python -m newsdesk.publishing.fastserve",
        description="Serve the reader site, passing other requests to the application.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--root", type=Path, required=True, help="the output folder")
    parser.add_argument(
        "--upstream", required=True, help="Unix socket of the Django application"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cache-mb",
        type=int,
        default=DEFAULT_BUDGET_BYTES // (1024 * 1024),
        help="memory for kept answers, per worker",
    )
    parser.add_argument(
        "--upstream-wait",
        type=float,
        default=CONNECT_RETRY_SECONDS,
        help="seconds a request waits for the application to accept it",
    )
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return serve(
            host=options.host,
            port=options.port,
            root=options.root,
            upstream=options.upstream,
            workers=options.workers,
            budget_bytes=options.cache_mb * 1024 * 1024,
            upstream_wait=options.upstream_wait,
        )
    except OSError as error:
        logger.error("Could not listen on %s:%s: %s", options.host, options.port, error)
        return 1
