"""The built-in web server over real sockets: reader files, and the application behind.

Starts ``python -m newsdesk.publishing.fastserve`` on a loopback port with granian
behind it on a Unix socket, running the reader layer over a stand-in application
(``fastserve_upstream``), as ``newsdesk start`` runs them, and talks HTTP to it.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import brotli  # type: ignore[import-untyped]  # it ships no type hints
import pytest

from newsdesk.publishing.fastserve import web_server_commands
from newsdesk.publishing.output import write_file
from newsdesk.publishing.server import OutputFolderApp

from .test_server import Inner, call

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
STORY = (
    b"<!doctype html><html lang=en><title>Floods reach the city</title><body>"
    + b"<p>The river rose overnight and the old town is under water.</p>" * 40
    + b"</body></html>"
)
STORY_PATH = "/world/floods-reach-the-city/"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped at start"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def read_reply(stream: BinaryIO, *, head: bool = False) -> Reply:
    """Read one HTTP/1.1 response from a connection's stream."""
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        assert name.lower() not in headers, f"{name} repeated"
        headers[name.lower()] = value.strip()
    status = int(status_line.split()[1])
    if head or status in (204, 304) or 100 <= status < 200:
        return Reply(status, headers, b"")
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while (size := int(stream.readline().strip(), 16)) > 0:
            body += stream.read(size)
            stream.readline()
        stream.readline()
        return Reply(status, headers, body)
    if "content-length" in headers:
        return Reply(status, headers, stream.read(int(headers["content-length"])))
    return Reply(status, headers, stream.read())


class Client:
    """One connection to the server, requests written raw."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.stream = self.socket.makefile("rb")

    def send(self, data: bytes) -> None:
        self.socket.sendall(data)

    def get(self, path: str, *, method: str = "GET", **headers: str) -> Reply:
        lines = [f"{method} {path} HTTP/1.1", "Host: news.example"]
        lines += [
            f"{name.replace('_', '-')}: {value}" for name, value in headers.items()
        ]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        return self.read(head=method == "HEAD")

    def read(self, *, head: bool = False) -> Reply:
        return read_reply(self.stream, head=head)

    def closed_by_server(self) -> bool:
        return self.stream.read(1) == b""

    def close(self) -> None:
        self.stream.close()
        self.socket.close()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("fastserve") / "site"
    write_file(site / "world" / "floods-reach-the-city" / "index.html", STORY)
    write_file(site / "index.html", b"<!doctype html><title>Home</title><p>News</p>")
    write_file(site / "404.html", b"<!doctype html><title>Not here</title>")
    (site.parent / "secret.txt").write_bytes(b"root:x:0:0:secret")
    return site


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[int]:
    """The built-in server's port, with the application behind it running."""
    port = free_port()
    # Unix socket paths are short (about 100 bytes): not under pytest's folders.
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-test-"))
    commands = web_server_commands(
        host="127.0.0.1",
        port=port,
        root=root,
        workers=1,
        socket_path=folder / "app.sock",
    )
    commands["application server"][-1] = (
        "tests.publishing.fastserve_upstream:application"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings.test",
        "NEWSDESK_TEST_ROOT": str(root),
    }
    processes = [
        subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True)
        for command in commands.values()
    ]
    try:
        wait_for_port(port, processes[-1])
        deadline = time.monotonic() + 60
        while not (folder / "app.sock").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield port
    finally:
        for process in processes:
            os.killpg(process.pid, 15)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def client(server: int) -> Iterator[Client]:
    connection = Client(server)
    yield connection
    connection.close()


def _same_as_wsgi(
    reply: Reply, root: Path, path: str, accept_encoding: str | None = None
) -> None:
    """Check a reply against what the WSGI reader layer answers for the same request."""
    inner = Inner()
    if not path.startswith("/newsroom/"):
        inner.status = "404 Not Found"  # as the stand-in Django answers there
    app = OutputFolderApp(inner, root=root)
    if accept_encoding is None:
        wsgi = call(app, path)
    else:
        wsgi = call(app, path, accept_encoding=accept_encoding)
    assert reply.status == wsgi.status
    assert reply.body == wsgi.body
    ours = {
        name: value
        for name, value in reply.headers.items()
        if name not in ("date", "connection", "server")
    }
    assert ours == {k.lower(): v for k, v in wsgi.headers.items()}


# --- reader files --------------------------------------------------------------------


@pytest.mark.parametrize("accept_encoding", ["", "gzip", "gzip, deflate, br, zstd"])
def test_a_story_page_is_served_as_the_wsgi_layer_serves_it(
    client: Client, root: Path, accept_encoding: str
) -> None:
    headers = {"accept_encoding": accept_encoding} if accept_encoding else {}

    first = client.get(STORY_PATH, **headers)
    again = client.get(STORY_PATH, **headers)  # from memory, on the same connection

    for reply in (first, again):
        _same_as_wsgi(reply, root, STORY_PATH, headers.get("accept_encoding"))
        assert "date" in reply.headers
    encoding = again.headers.get("content-encoding")
    decoded = {"br": brotli.decompress, "gzip": gzip.decompress}.get(
        encoding or "", lambda body: body
    )(again.body)
    assert decoded == STORY


def test_head_gets_the_headers_without_the_body(client: Client) -> None:
    full = client.get(STORY_PATH, accept_encoding="br")

    head = client.get(STORY_PATH, method="HEAD", accept_encoding="br")
    after = client.get("/")  # the connection is still in step

    assert (head.status, head.body) == (200, b"")
    assert head.headers["content-length"] == str(len(full.body))
    assert head.headers["content-encoding"] == "br"
    assert after.body.startswith(b"<!doctype html><title>Home")


def test_a_current_copy_gets_304(client: Client) -> None:
    page = client.get(STORY_PATH, accept_encoding="gzip")

    by_etag = client.get(
        STORY_PATH, accept_encoding="gzip", if_none_match=page.headers["etag"]
    )
    by_date = client.get(
        STORY_PATH,
        accept_encoding="gzip",
        if_modified_since=page.headers["last-modified"],
    )
    other_encoding = client.get(
        STORY_PATH, accept_encoding="br", if_none_match=page.headers["etag"]
    )

    for reply in (by_etag, by_date):
        assert (reply.status, reply.body) == (304, b"")
        assert reply.headers["etag"] == page.headers["etag"]
        assert reply.headers["vary"] == "Accept-Encoding"
        assert "content-length" not in reply.headers
    assert other_encoding.status == 200


def test_a_file_replaced_on_disk_is_served_fresh_at_once(
    client: Client, root: Path
) -> None:
    folder = root / "world" / "replaced"
    write_file(folder / "index.html", STORY)
    first = client.get("/world/replaced/", accept_encoding="br")

    write_file(folder / "index.html", STORY.replace(b"river", b"canal"))
    second = client.get("/world/replaced/", accept_encoding="br")
    (folder / "index.html").write_bytes(b"<p>written in place</p>")  # not atomic
    third = client.get("/world/replaced/")

    assert b"canal" in brotli.decompress(second.body)
    assert second.headers["etag"] != first.headers["etag"]
    assert third.body == b"<p>written in place</p>"


def test_a_removed_page_and_variant_are_not_served_from_memory(
    client: Client, root: Path
) -> None:
    page = write_file(root / "world" / "removed" / "index.html", STORY)
    client.get("/world/removed/", accept_encoding="br, gzip")

    page.with_name("index.html.br").unlink()
    gzipped = client.get("/world/removed/", accept_encoding="br, gzip")
    page.unlink()
    gone = client.get("/world/removed/", accept_encoding="br, gzip")

    assert gzipped.headers["content-encoding"] == "gzip"
    assert gone.status == 404
    assert b"Not here" in gone.body


def test_a_folder_replaced_by_another_serves_the_new_files(
    client: Client, root: Path
) -> None:
    write_file(root / "opinion" / "column" / "index.html", b"<p>first edition</p>")
    client.get("/opinion/column/")
    write_file(
        root / ".opinion.new" / "column" / "index.html", b"<p>second edition</p>"
    )

    (root / "opinion").rename(root / ".opinion.old")
    (root / ".opinion.new").rename(root / "opinion")

    assert client.get("/opinion/column/").body == b"<p>second edition</p>"


@pytest.mark.parametrize(
    "target",
    ["/../secret.txt", "/%2e%2e/secret.txt", "/world/..%2f..%2fsecret.txt", "/.hidden"],
)
def test_paths_never_read_outside_the_folder(
    client: Client, root: Path, target: str
) -> None:
    (root / ".hidden").write_bytes(b"secret")

    reply = client.get(target)

    # Passed to the application, whose stand-in answers 418 where Django says 404.
    assert reply.status in (404, 418)
    assert b"secret" not in reply.body


# --- what the application answers ----------------------------------------------------


def test_misses_redirects_and_other_methods_get_the_reader_layers_answers(
    client: Client, root: Path
) -> None:
    missing = client.get("/world/no-such-story/")
    folder = client.get("/world/floods-reach-the-city?page=2")
    posted = client.get(STORY_PATH, method="POST", content_length="0")
    variant = client.get(STORY_PATH + "index.html.gz")

    _same_as_wsgi(missing, root, "/world/no-such-story/")
    assert (folder.status, folder.headers["location"]) == (
        301,
        "/world/floods-reach-the-city/?page=2",
    )
    assert posted.status == 405
    assert variant.status == 404


def test_a_request_body_reaches_the_application(client: Client) -> None:
    body = b"headline=Floods&body=" + b"x" * 200_000
    client.send(
        b"POST /newsroom/echo/?draft=1 HTTP/1.1\r\nHost: news.example\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )

    seen = json.loads(client.read().body)

    assert (seen["method"], seen["path"], seen["query"]) == (
        "POST",
        "/newsroom/echo/",
        "draft=1",
    )
    assert seen["body"].encode("latin-1") == body
    assert seen["headers"]["host"] == "news.example"
    assert seen["content_type"] == "application/x-www-form-urlencoded"


def test_a_chunked_request_body_reaches_the_application(client: Client) -> None:
    client.send(
        b"POST /newsroom/echo/ HTTP/1.1\r\nHost: news.example\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"5\r\nFlood\r\n7\r\nwaters \r\n4\r\nrise\r\n0\r\n\r\n"
    )

    seen = json.loads(client.read().body)

    assert seen["body"] == "Floodwaters rise"


def test_a_streamed_answer_is_passed_on_in_chunks(client: Client) -> None:
    streamed = client.get("/newsroom/stream/")
    after = client.get("/newsroom/empty/")

    assert streamed.status == 200
    assert streamed.body == b"".join(f"part {n}\n".encode() * 100 for n in range(50))
    assert after.status == 204


def test_connection_headers_are_not_passed_on(client: Client) -> None:
    seen = json.loads(
        client.get(
            "/newsroom/echo/", connection="keep-alive, x-private", x_private="1"
        ).body
    )

    assert "x-private" not in seen["headers"]
    assert seen["headers"]["connection"] == "close"  # the server's own, to granian


def test_the_application_is_told_the_readers_address_not_one_they_claim(
    client: Client,
) -> None:
    seen = json.loads(client.get("/newsroom/echo/", x_forwarded_for="203.0.113.7").body)

    # the address the connection came from (this test, on loopback), only
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"


def test_pipelined_requests_are_answered_in_order(client: Client) -> None:
    client.send(
        b"GET /newsroom/stream/ HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /newsroom/echo/ HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nnews"
        b"GET /world/ HTTP/1.1\r\nHost: a\r\n\r\n"
    )

    replies = [client.read() for _ in range(4)]

    assert replies[0].body.startswith(b"part 0")
    assert replies[1].body.startswith(b"<!doctype html><title>Home")
    assert json.loads(replies[2].body)["body"] == "news"
    assert replies[3].status == 404


# --- the connection ------------------------------------------------------------------


def test_http10_and_connection_close_end_the_connection(server: int) -> None:
    for request in (
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        b"GET /newsroom/echo/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    ):
        client = Client(server)
        client.send(request)
        reply = client.read()
        assert reply.status == 200
        assert reply.headers["connection"] == "close"
        assert client.closed_by_server()
        client.close()


def test_http10_keep_alive_is_honoured(client: Client) -> None:
    client.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    first = client.read()
    second = client.get("/")

    assert first.headers["connection"] == "keep-alive"
    assert second.status == 200


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ],
)
def test_a_malformed_request_gets_400_and_the_connection_closes(
    client: Client, request_bytes: bytes
) -> None:
    client.send(request_bytes)

    assert client.read().status == 400
    assert client.closed_by_server()


def test_a_compressed_request_body_gets_501(client: Client) -> None:
    client.send(
        b"POST /newsroom/echo/ HTTP/1.1\r\nHost: a\r\n"
        b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    )

    assert client.read().status == 501
    assert client.closed_by_server()


@pytest.mark.parametrize("pieces", [1, 30])
def test_an_oversized_request_head_gets_431(client: Client, pieces: int) -> None:
    head = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Padding: " + b"x" * 120_000
    size = len(head) // pieces + 1
    for start in range(0, len(head), size):
        client.send(head[start : start + size])

    assert client.read().status == 431
    assert client.closed_by_server()


def test_without_the_application_dynamic_requests_get_502(root: Path) -> None:
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-test-"))
    command = web_server_commands(
        host="127.0.0.1", port=port, root=root, workers=1, socket_path=folder / "none"
    )["web server"] + ["--upstream-wait", "1"]
    process = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, process)
        client = Client(port)
        page = client.get(STORY_PATH)
        started = time.monotonic()
        dynamic = client.get("/newsroom/echo/")
        client.close()
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=15)
        shutil.rmtree(folder, ignore_errors=True)

    assert page.status == 200  # readers still get the site
    assert dynamic.status == 502
    assert b"not answering" in dynamic.body
    assert time.monotonic() - started >= 1  # it waited for the application to start
    assert b"does not answer" in errors
    assert process.returncode == 0


def test_the_server_stops_on_sigterm_with_its_workers(root: Path) -> None:
    port = free_port()
    command = web_server_commands(
        host="127.0.0.1", port=port, root=root, workers=2, socket_path=Path("/nowhere")
    )["web server"]
    process = subprocess.Popen(command, start_new_session=True)
    wait_for_port(port, process)
    deadline = time.monotonic() + 30
    while len(workers := _children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)

    process.terminate()

    assert process.wait(timeout=15) == 0
    assert len(workers) == 2
    assert not [pid for pid in workers if _parent_of(pid) is not None]


def _children(parent: int) -> list[int]:
    return [
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and _parent_of(int(pid)) == parent
    ]


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


if not sys.platform.startswith("linux"):  # the test above reads /proc
    test_the_server_stops_on_sigterm_with_its_workers = pytest.mark.skip(  # type: ignore[assignment]
        reason="reads /proc"
    )(test_the_server_stops_on_sigterm_with_its_workers)
