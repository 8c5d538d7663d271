"""deploy/nginx.conf: Debian's nginx serves the output folder as the built-in server does.

Each test publishes a story into its own output folder and starts nginx with the
configuration operators use, the site's four values replaced, on a free loopback
port, with a small HTTP server standing in for the app server.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli  # type: ignore[import-untyped]  # it ships no type hints
import pytest
from django.conf import settings

from newsdesk.publishing.output import write_file
from newsdesk.publishing.server import CONTENT_SECURITY_POLICY, OutputFolderApp
from newsdesk.publishing.services import site_rebuild

from .conftest import Publish
from .test_server import Inner, call

NGINX = Path("/usr/sbin/nginx")
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
MISSING = (
    "{what} is missing: run `make system-deps` (installs Debian's nginx and "
    "libnginx-mod-http-brotli-static) before the tests."
)
STORY_PATH = "/world/floods-reach-the-city/"
SECRET = b"a half-written page nobody may read"
APP_MARKER = b"a page from the app server"
STARTUP_SECONDS = 10


@dataclass
class Upstream:
    """The app server behind nginx: remembers the requests that reached it."""

    port: int
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


@dataclass
class Site:
    port: int
    root: Path
    upstream: Upstream


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Answer:
    """Send one request to nginx and return its answer, body as sent."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def render_config(*, root: Path, port: int, app_port: int) -> str:
    """Return deploy/nginx.conf with this site's values, as an operator sets them."""
    site_values = {
        "listen 80;": f"listen 127.0.0.1:{port};",
        "root /srv/newsdesk/var/site;": f"root {root};",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
    }
    lines = CONFIG.read_text(encoding="utf-8").splitlines(keepends=True)
    for default, value in site_values.items():
        found = [n for n, line in enumerate(lines) if line.strip().startswith(default)]
        assert len(found) == 1, f"deploy/nginx.conf should set {default!r} once"
        lines[found[0]] = lines[found[0]].replace(default, value)
    return "".join(lines)


def _top_level_config(folder: Path, site_config: Path) -> str:
    """Return a main configuration keeping every file nginx writes in ``folder``."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
daemon off;
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
load_module {BROTLI_MODULE};
events {{
    worker_connections 64;
}}
http {{
    access_log {folder / "access.log"};
{temp_paths}
    include {site_config};
}}
"""


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """Run a stand-in app server on a free loopback port."""
    seen = Upstream(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.requests.append((self.command, self.path, dict(self.headers)))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.path.startswith(("/newsroom/", "/submit/")):
                status, body = 200, APP_MARKER
            else:
                status, body = 404, b"the app server has no such page"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the requests are recorded above

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx stopped at start:\n{log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            time.sleep(0.02)
        else:
            return
    pytest.fail(f"nginx did not listen on port {port} within {STARTUP_SECONDS} s")


@pytest.fixture
def nginx_port(tmp_path: Path, upstream: Upstream) -> Iterator[int]:
    """Start Debian's nginx with deploy/nginx.conf on a free port; stop it after."""
    if not NGINX.exists():
        pytest.fail(MISSING.format(what=NGINX))
    if not BROTLI_MODULE.exists():
        pytest.fail(MISSING.format(what=f"The brotli_static module ({BROTLI_MODULE})"))
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = _free_port()
    site_config = folder / "newsdesk.conf"
    site_config.write_text(
        render_config(
            root=Path(settings.NEWSDESK_OUTPUT_DIR), port=port, app_port=upstream.port
        )
    )
    main_config = folder / "nginx.conf"
    main_config.write_text(_top_level_config(folder, site_config))
    log = folder / "error.log"
    command = [str(NGINX), "-c", str(main_config), "-e", str(log)]
    checked = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, f"nginx rejects the configuration:\n{checked}"
    assert "[warn]" not in checked.stderr, checked.stderr
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(process, port, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def site(publish: Publish, nginx_port: int, upstream: Upstream) -> Site:
    """A published story, the site's 404 page and feed, served by nginx."""
    publish(
        title="Floods reach the city",
        slug="floods-reach-the-city",
        body="<p>The river rose overnight and the old town is under water.</p>" * 20,
    )
    site_rebuild()
    return Site(
        port=nginx_port,
        root=Path(settings.NEWSDESK_OUTPUT_DIR),
        upstream=upstream,
    )


def _decoded(answer: Answer) -> bytes:
    encoding = answer.headers.get("Content-Encoding")
    if encoding == "br":
        body: bytes = brotli.decompress(answer.body)
        return body
    if encoding == "gzip":
        return gzip.decompress(answer.body)
    assert encoding is None, encoding
    return answer.body


# --- pages ---------------------------------------------------------------------------


def test_a_story_page_is_served_with_its_type_caching_and_safety_headers(
    site: Site,
) -> None:
    answer = fetch(site.port, STORY_PATH)

    assert answer.status == 200
    assert (
        answer.body == (site.root / STORY_PATH.strip("/") / "index.html").read_bytes()
    )
    assert b"Floods reach the city" in answer.body
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Content-Length"] == str(len(answer.body))
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert answer.headers["ETag"]
    assert answer.headers["Last-Modified"]


def test_a_folder_without_its_slash_redirects_to_it(site: Site) -> None:
    answer = fetch(site.port, STORY_PATH.rstrip("/") + "?from=feed")

    assert answer.status == 301
    assert answer.headers["Location"] == STORY_PATH + "?from=feed"


@pytest.mark.parametrize(
    ("accept_encoding", "encoding"),
    [
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip;q=1.0", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        (None, None),
    ],
)
def test_browsers_get_the_precompressed_variant_they_accept(
    site: Site, accept_encoding: str | None, encoding: str | None
) -> None:
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    plain = fetch(site.port, STORY_PATH)

    answer = fetch(site.port, STORY_PATH, headers=headers)

    assert answer.status == 200
    assert answer.headers.get("Content-Encoding") == encoding
    assert answer.headers["Content-Length"] == str(len(answer.body))
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert _decoded(answer) == plain.body
    if encoding is not None:
        assert len(answer.body) < len(plain.body)
        assert answer.headers["ETag"] != plain.headers["ETag"]


@pytest.mark.parametrize("accept_encoding", ["br", "gzip", "identity"])
def test_a_current_copy_gets_304_for_each_encoding(
    site: Site, accept_encoding: str
) -> None:
    headers = {"Accept-Encoding": accept_encoding}
    first = fetch(site.port, STORY_PATH, headers=headers)

    again = fetch(
        site.port,
        STORY_PATH,
        headers={**headers, "If-None-Match": first.headers["ETag"]},
    )
    changed = fetch(site.port, STORY_PATH, headers={**headers, "If-None-Match": '"x"'})
    modified = email.utils.parsedate_to_datetime(first.headers["Last-Modified"])
    later = email.utils.format_datetime(modified + timedelta(hours=1), usegmt=True)
    earlier = email.utils.format_datetime(modified - timedelta(hours=1), usegmt=True)
    since_later = fetch(
        site.port, STORY_PATH, headers={**headers, "If-Modified-Since": later}
    )
    since_earlier = fetch(
        site.port, STORY_PATH, headers={**headers, "If-Modified-Since": earlier}
    )

    assert (again.status, again.body) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]
    assert changed.status == 200
    assert (since_later.status, since_earlier.status) == (304, 200)


def test_a_republished_page_is_served_fresh(site: Site) -> None:
    before = fetch(site.port, STORY_PATH, headers={"Accept-Encoding": "br"})
    page = site.root / STORY_PATH.strip("/") / "index.html"
    # nginx's ETag is the file's size and mtime in whole seconds: a correction within
    # the same second is told apart by its size.
    correction = b"<p>Correction: the bridge stayed open.</p></body>"
    updated = page.read_bytes().replace(b"</body>", correction)
    write_file(page, updated)

    after = fetch(
        site.port,
        STORY_PATH,
        headers={"Accept-Encoding": "br", "If-None-Match": before.headers["ETag"]},
    )

    assert after.status == 200
    assert _decoded(after) == updated


# --- what is not there ---------------------------------------------------------------


def test_a_missing_page_gets_the_sites_404_page_with_status_404(site: Site) -> None:
    answer = fetch(site.port, "/world/no-such-story/")

    assert answer.status == 404
    assert answer.body == (site.root / "404.html").read_bytes()
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    # The app server was asked first (it may know a dynamic page there).
    assert ("GET", "/world/no-such-story/") in [
        (method, path) for method, path, _ in site.upstream.requests
    ]


@pytest.mark.parametrize(
    "path",
    [
        STORY_PATH + "index.html.gz",
        STORY_PATH + "index.html.br",
        STORY_PATH + ".index.html.x1y2z3.tmp",
        STORY_PATH + "draft.tmp",
        "/.newsdesk-built",
        "/.git/config",
    ],
)
def test_hidden_temporary_and_variant_files_are_never_served(
    site: Site, path: str
) -> None:
    folder = site.root / STORY_PATH.strip("/")
    for name in (".index.html.x1y2z3.tmp", "draft.tmp"):
        (folder / name).write_bytes(SECRET)
    (site.root / ".git").mkdir()
    (site.root / ".git" / "config").write_bytes(SECRET)

    answer = fetch(site.port, path, headers={"Accept-Encoding": "identity"})

    assert answer.status == 404
    assert answer.body == (site.root / "404.html").read_bytes()
    assert not site.upstream.requests


def test_a_folder_without_an_index_page_is_not_found(site: Site) -> None:
    write_file(site.root / "world" / "photos" / "flood.jpg", b"\xff\xd8jpeg")

    answer = fetch(site.port, "/world/photos/")
    django = Inner()
    django.status = "404 Not Found"  # it knows no reader page there either
    built_in = call(OutputFolderApp(django, root=site.root), "/world/photos/")

    assert (answer.status, built_in.status) == (404, 404)
    assert answer.body == built_in.body == (site.root / "404.html").read_bytes()


# --- types and caching ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("rss.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json; charset=utf-8"),
        ("world/rss.xml", "application/rss+xml; charset=utf-8"),
        ("sitemap.xml", "application/xml"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("assets/site.css", "text/css; charset=utf-8"),
        ("assets/logo.svg", "image/svg+xml"),
        ("assets/photo.webp", "image/webp"),
    ],
)
def test_files_get_the_same_content_type_as_from_the_built_in_server(
    site: Site, name: str, content_type: str
) -> None:
    path = site.root / name
    if not path.exists():
        write_file(path, b"content of " + name.encode())

    answer = fetch(site.port, f"/{name}")
    built_in = call(OutputFolderApp(Inner(), root=site.root), f"/{name}")

    assert answer.status == 200
    assert answer.headers["Content-Type"] == content_type
    assert built_in.headers["Content-Type"] == content_type


@pytest.mark.parametrize(
    ("name", "cache_control"),
    [
        ("assets/site.3f2a9c1b.css", "public, max-age=31536000, immutable"),
        (
            "assets/fonts/serif.0123456789abcdef.woff2",
            "public, max-age=31536000, immutable",
        ),
        ("assets/site.css", "public, max-age=60"),
        ("assets/site.3f2a.css", "public, max-age=60"),
        ("assets/logo.png", "public, max-age=3600"),
        ("3f2a9c1b.3f2a9c1b.css", "public, max-age=60"),
    ],
)
def test_only_fingerprinted_assets_are_cached_for_a_year(
    site: Site, name: str, cache_control: str
) -> None:
    write_file(site.root / name, b"body { color: #222 }\n" * 20)

    answer = fetch(site.port, f"/{name}", headers={"Accept-Encoding": "gzip"})
    built_in = call(
        OutputFolderApp(Inner(), root=site.root), f"/{name}", accept_encoding="gzip"
    )

    assert answer.status == 200
    assert answer.headers["Cache-Control"] == cache_control
    assert built_in.headers["Cache-Control"] == cache_control


# --- the app server ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_newsroom_is_passed_to_the_app_server_with_forwarded_headers(
    site: Site, method: str
) -> None:
    answer = fetch(
        site.port,
        "/newsroom/login/?next=/newsroom/",
        method=method,
        headers={"Host": "news.example", "Content-Length": "0"},
    )

    assert (answer.status, answer.body) == (200, APP_MARKER)
    assert "Content-Security-Policy" not in answer.headers
    [(seen_method, path, headers)] = site.upstream.requests
    assert (seen_method, path) == (method, "/newsroom/login/?next=/newsroom/")
    assert headers["Host"] == "news.example"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-For"] == "127.0.0.1"


@pytest.mark.parametrize(
    "path",
    ["/static/newsdesk/site.css", "/media/images/a.jpg", "/documents/1/report.pdf"],
)
def test_static_media_and_documents_go_to_the_app_server(site: Site, path: str) -> None:
    # A file of that name in the output folder changes nothing.
    write_file(site.root / path.lstrip("/"), b"left in the output folder")

    answer = fetch(site.port, path)

    assert answer.body != b"left in the output folder"
    assert [seen_path for _, seen_path, _ in site.upstream.requests] == [path]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_dynamic_page_without_a_file_is_answered_by_the_app_server(
    site: Site, method: str
) -> None:
    answer = fetch(
        site.port, "/submit/", method=method, headers={"Content-Length": "0"}
    )

    assert (answer.status, answer.body) == (200, APP_MARKER)
    assert [(m, p) for m, p, _ in site.upstream.requests] == [(method, "/submit/")]


def test_a_reader_page_cannot_be_posted_to(site: Site) -> None:
    answer = fetch(
        site.port, STORY_PATH, method="POST", headers={"Content-Length": "0"}
    )
    built_in = call(OutputFolderApp(Inner(), root=site.root), STORY_PATH, method="POST")

    assert (answer.status, built_in.status) == (405, 405)
    assert not site.upstream.requests
