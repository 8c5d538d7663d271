"""The built-in server: reader files from the output folder, the newsroom behind them."""

from __future__ import annotations

import email.utils
import gzip
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment
from wsgiref.util import setup_testing_defaults

import brotli  # type: ignore[import-untyped]  # it ships no type hints
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.urls import path as url_path
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.output import write_file
from newsdesk.publishing.server import OutputFolderApp

SECRET = b"root:x:0:0:secret outside the output folder"
PAGE = b"<!doctype html><title>Home</title><p>News</p>"


def submit_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"form {request.method}")


# A dynamic endpoint outside the fixed prefixes, for tests marked with this module.
urlpatterns = [url_path("submit/", submit_view)]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Inner:
    """The application behind the reader site; remembers what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.status = "418 I'm a teapot"

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        self.paths.append(environ["PATH_INFO"])
        start_response(self.status, [("Content-Type", "text/plain")])
        return [b"from the application"]


def call(
    app: Any, path: str, *, method: str = "GET", raw: bool = False, **headers: str
) -> Response:
    """Send one request; the path is decoded to WSGI form as a server does."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        # WSGI servers give the decoded path's UTF-8 bytes as Latin-1 characters.
        "PATH_INFO": path if raw else path.encode("utf-8").decode("latin-1"),
    }
    if "?" in path:
        environ["PATH_INFO"], environ["QUERY_STRING"] = environ["PATH_INFO"].split(
            "?", 1
        )
    for name, value in headers.items():
        environ[f"HTTP_{name.upper()}"] = value
    setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> Any:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)
        assert len(answer["headers"]) == len(response_headers), "a header repeated"

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Response(answer["status"], answer["headers"], body)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    site = tmp_path / "folder"
    (site / "world" / "floods-reach-the-city").mkdir(parents=True)
    (site / "index.html").write_bytes(PAGE)
    (site / "world" / "index.html").write_bytes(b"<p>World front</p>")
    (site / "world" / "floods-reach-the-city" / "index.html").write_bytes(
        b"<p>Floods</p>"
    )
    (tmp_path / "secret.txt").write_bytes(SECRET)
    return site


@pytest.fixture
def inner() -> Inner:
    return Inner()


@pytest.fixture
def app(root: Path, inner: Inner) -> OutputFolderApp:
    return OutputFolderApp(inner, root=root)


@pytest.fixture
def django_app(root: Path, db: None) -> Iterator[OutputFolderApp]:
    """The reader layer in front of the real Django application."""
    # As Django's test client does: the test's transaction must outlive a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield OutputFolderApp(get_wsgi_application(), root=root)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# --- finding files -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", PAGE),
        ("/world/", b"<p>World front</p>"),
        ("/world/floods-reach-the-city/", b"<p>Floods</p>"),
        ("/world/floods-reach-the-city/index.html", b"<p>Floods</p>"),
        ("/world//floods-reach-the-city/?utm=x", b"<p>Floods</p>"),
    ],
)
def test_folders_are_served_by_their_index(
    app: OutputFolderApp, inner: Inner, path: str, body: bytes
) -> None:
    response = call(app, path)

    assert (response.status, response.body) == (200, body)
    assert inner.paths == []


def test_a_folder_without_its_slash_redirects_to_it(app: OutputFolderApp) -> None:
    response = call(app, "/world/floods-reach-the-city?page=2")

    assert response.status == 301
    assert response.headers["Location"] == "/world/floods-reach-the-city/?page=2"
    assert response.body == b""


def test_the_redirect_never_leaves_the_site(app: OutputFolderApp, root: Path) -> None:
    (root / "evil.example").mkdir()

    response = call(app, "//evil.example")

    assert response.status == 301
    assert response.headers["Location"] == "/evil.example/"


def test_a_non_ascii_path_finds_its_file(app: OutputFolderApp, root: Path) -> None:
    folder = root / "world" / "کابل"
    folder.mkdir()
    (folder / "index.html").write_text("<p>کابل</p>", encoding="utf-8")

    assert call(app, "/world/کابل/").body == "<p>کابل</p>".encode()
    redirect = call(app, "/world/کابل")
    assert redirect.headers["Location"] == "/world/%DA%A9%D8%A7%D8%A8%D9%84/"


# --- what a file is served with ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "text/html; charset=utf-8"),
        ("rss.xml", "application/rss+xml; charset=utf-8"),
        ("sitemap.xml", "application/xml"),
        ("style.css", "text/css; charset=utf-8"),
        ("print.js", "text/javascript; charset=utf-8"),
        ("data.json", "application/json"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("photo.jpg", "image/jpeg"),
        ("logo.png", "image/png"),
        ("logo.svg", "image/svg+xml"),
        ("photo.webp", "image/webp"),
        ("blob.unknownext", "application/octet-stream"),
    ],
)
def test_files_get_their_content_type(
    app: OutputFolderApp, root: Path, name: str, content_type: str
) -> None:
    (root / name).write_bytes(b"content")

    response = call(app, f"/{name}")

    assert response.status == 200
    assert response.headers["Content-Type"] == content_type


def test_a_page_carries_validators_caching_and_safety_headers(
    app: OutputFolderApp, root: Path
) -> None:
    stats = (root / "index.html").stat()

    response = call(app, "/")

    headers = response.headers
    assert headers["Content-Length"] == str(len(PAGE))
    assert headers["ETag"] == f'"{stats.st_size:x}-{stats.st_mtime_ns:x}"'
    assert email.utils.parsedate_to_datetime(
        headers["Last-Modified"]
    ).timestamp() == int(stats.st_mtime)
    assert headers["Cache-Control"] == "public, max-age=60"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'none'" in policy
    assert "img-src 'self' data:" in policy
    assert not any(name.lower() == "set-cookie" for name in headers)


def test_head_answers_with_the_headers_and_no_body(app: OutputFolderApp) -> None:
    response = call(app, "/", method="HEAD")

    assert response.status == 200
    assert response.headers["Content-Length"] == str(len(PAGE))
    assert response.body == b""


# --- conditional requests ------------------------------------------------------------


def test_a_matching_etag_gets_304_without_a_body(app: OutputFolderApp) -> None:
    etag = call(app, "/").headers["ETag"]

    response = call(app, "/", if_none_match=etag)

    assert response.status == 304
    assert response.body == b""
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ('"0-0"', 200),
        ('"0-0", {etag}', 304),
        ("W/{etag}", 304),
        ("*", 304),
    ],
)
def test_if_none_match_compares_the_etags_listed(
    app: OutputFolderApp, if_none_match: str, status: int
) -> None:
    etag = call(app, "/").headers["ETag"]

    response = call(app, "/", if_none_match=if_none_match.format(etag=etag))

    assert response.status == status


def test_if_modified_since_gets_304_when_the_file_is_not_newer(
    app: OutputFolderApp, root: Path
) -> None:
    os.utime(root / "index.html", (1_700_000_000, 1_700_000_000))
    same = email.utils.formatdate(1_700_000_000, usegmt=True)
    later = email.utils.formatdate(1_700_000_100, usegmt=True)
    earlier = email.utils.formatdate(1_699_999_000, usegmt=True)

    assert call(app, "/", if_modified_since=same).status == 304
    assert call(app, "/", if_modified_since=later).status == 304
    assert call(app, "/", if_modified_since=earlier).status == 200
    assert call(app, "/", if_modified_since="yesterday").status == 200


def test_an_etag_that_no_longer_matches_wins_over_the_date(
    app: OutputFolderApp,
) -> None:
    later = email.utils.formatdate(4_000_000_000, usegmt=True)

    response = call(app, "/", if_none_match='"0-0"', if_modified_since=later)

    assert response.status == 200


def test_a_file_replaced_between_requests_is_served_fresh(
    app: OutputFolderApp, root: Path
) -> None:
    first = call(app, "/world/")
    replacement = root / "world" / ".index.html.new"
    replacement.write_bytes(b"<p>World front, updated</p>")
    os.replace(replacement, root / "world" / "index.html")

    second = call(app, "/world/", if_none_match=first.headers["ETag"])

    assert second.status == 200
    assert second.body == b"<p>World front, updated</p>"
    assert second.headers["ETag"] != first.headers["ETag"]


def test_a_file_written_in_place_after_it_was_served_is_served_fresh(
    app: OutputFolderApp, root: Path
) -> None:
    call(app, "/world/")
    call(app, "/world/")  # kept in memory by now

    (root / "world" / "index.html").write_bytes(b"<p>World front, v2</p>")

    assert call(app, "/world/").body == b"<p>World front, v2</p>"


def test_a_variant_removed_after_it_was_served_is_not_sent_again(
    app: OutputFolderApp, story_file: Path
) -> None:
    first = call(app, STORY_PATH, accept_encoding="br, gzip")

    story_file.with_name("index.html.br").unlink()
    second = call(app, STORY_PATH, accept_encoding="br, gzip")

    assert first.headers["Content-Encoding"] == "br"
    assert second.headers["Content-Encoding"] == "gzip"
    assert _decoded(second) == STORY


# --- what is not there ---------------------------------------------------------------


def test_a_missing_page_the_application_does_not_know_gets_the_sites_404_page(
    app: OutputFolderApp, root: Path, inner: Inner
) -> None:
    (root / "404.html").write_bytes(b"<p>Not here</p>")
    inner.status = "404 Not Found"

    response = call(app, "/world/no-such-story/")
    head = call(app, "/world/no-such-story/", method="HEAD")

    assert (response.status, response.body) == (404, b"<p>Not here</p>")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert (head.status, head.body) == (404, b"")
    # the application was asked first: it may know the address (a killed story's)
    assert inner.paths == ["/world/no-such-story/"] * 2


def test_a_missing_page_the_application_answers_gets_its_answer(
    app: OutputFolderApp, root: Path, inner: Inner
) -> None:
    (root / "404.html").write_bytes(b"<p>Not here</p>")
    inner.status = "410 Gone"

    response = call(app, "/world/a-killed-story/")

    assert (response.status, response.body) == (410, b"from the application")


def test_a_killed_story_s_address_answers_410_with_its_notice(
    django_app: OutputFolderApp, root: Path, publish: Any, editor: Any
) -> None:
    from newsdesk.stories.services import story_kill

    (root / "404.html").write_bytes(b"<p>Not here</p>")
    story = publish(title="Floods reach the capital")
    path = story.url
    story_kill(story=story, by=editor, reason="Not confirmed by a second source.")

    response = call(django_app, path)

    assert response.status == 410
    assert b"Not confirmed by a second source." in response.body
    assert call(django_app, "/world/no-such-story/").status == 404


def test_a_missing_page_goes_to_django_without_a_404_page(
    app: OutputFolderApp, inner: Inner
) -> None:
    response = call(app, "/world/no-such-story/")

    assert response.status == 418
    assert inner.paths == ["/world/no-such-story/"]


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/../secret.txt", False),
        ("/world/../../secret.txt", False),
        ("/%2e%2e/secret.txt", False),  # a server that did not decode the path
        ("/%2e%2e/secret.txt", True),
        ("/..%2fsecret.txt", False),
        ("/world/..\\..\\secret.txt", False),
        ("/index.html\x00.txt", False),
        ("/world/%00/../../secret.txt", False),
        ("/link.txt", False),
        ("/.hidden.html.tmp", False),
    ],
)
def test_paths_never_read_outside_the_folder(
    django_app: OutputFolderApp, root: Path, path: str, raw: bool
) -> None:
    (root / "link.txt").symlink_to(root.parent / "secret.txt")
    (root / ".hidden.html.tmp").write_bytes(SECRET)
    if not raw:
        path = path.replace("%2e", ".").replace("%2f", "/").replace("%00", "\x00")

    response = call(django_app, path)

    assert response.status == 404
    assert b"secret" not in response.body


def test_a_path_that_is_not_utf8_goes_to_django(
    app: OutputFolderApp, inner: Inner
) -> None:
    response = call(app, "/caf\xe9/", raw=True)

    assert response.status == 418
    assert inner.paths == ["/caf\xe9/"]


# --- the newsroom and other methods --------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/newsroom/",
        "/newsroom",
        "/newsroom/pages/3/edit/",
        "/static/wagtailadmin/css/core.css",
        "/media/images/photo.jpg",
        "/documents/1/report.pdf",
    ],
)
def test_the_applications_paths_pass_through(
    app: OutputFolderApp, root: Path, inner: Inner, path: str
) -> None:
    (root / "static").mkdir()  # a folder of that name in the output changes nothing

    response = call(app, path)
    posted = call(app, path, method="POST")

    assert (response.status, posted.status) == (418, 418)
    assert inner.paths == [path, path]


def test_the_newsroom_sign_in_page_comes_from_django(
    django_app: OutputFolderApp,
) -> None:
    response = call(django_app, "/newsroom/login/")

    assert response.status == 200
    assert b"password" in response.body.lower()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_on_reader_paths_are_not_allowed(
    app: OutputFolderApp, inner: Inner, method: str
) -> None:
    response = call(app, "/world/", method=method)

    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert inner.paths == []


@pytest.mark.urls(__name__)
def test_a_dynamic_endpoint_django_knows_is_answered_by_django(
    django_app: OutputFolderApp, root: Path
) -> None:
    (root / "404.html").write_bytes(b"<p>Not here</p>")

    shown = call(django_app, "/submit/")
    posted = call(django_app, "/submit/", method="POST")

    assert (shown.status, shown.body) == (200, b"form GET")
    # CSRF protection answers for the form's view, not the reader site's 405
    assert posted.status == 403


# --- configuration -------------------------------------------------------------------


def test_the_folder_is_the_output_setting_read_at_each_request(
    inner: Inner, tmp_path: Path, settings: SettingsWrapper
) -> None:
    app = OutputFolderApp(inner)
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text(name)

    settings.NEWSDESK_OUTPUT_DIR = tmp_path / "one"
    first = call(app, "/")
    settings.NEWSDESK_OUTPUT_DIR = tmp_path / "two"
    second = call(app, "/")

    assert (first.body, second.body) == (b"one", b"two")


def test_the_wsgi_application_serves_the_output_folder(
    settings: SettingsWrapper, root: Path
) -> None:
    from newsdesk.wsgi import application

    settings.NEWSDESK_OUTPUT_DIR = root

    response = call(application, "/")

    assert isinstance(application, OutputFolderApp)
    assert (response.status, response.body) == (200, PAGE)


# --- precompressed variants ----------------------------------------------------------

STORY = (
    b"<!doctype html><html lang=en><title>Floods reach the city</title><body>"
    + b"<p>The river rose overnight and the old town is under water.</p>" * 30
    + b"</body></html>"
)
STORY_PATH = "/world/floods-reach-the-city/"


@pytest.fixture
def story_file(root: Path) -> Path:
    """A story page written by publishing, with its gzip and Brotli variants."""
    return write_file(root / "world" / "floods-reach-the-city" / "index.html", STORY)


def _decoded(response: Response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        body: bytes = brotli.decompress(response.body)
        return body
    if encoding == "gzip":
        return gzip.decompress(response.body)
    assert encoding is None, encoding
    return response.body


@pytest.mark.parametrize(
    ("accept_encoding", "encoding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip;q=1.0", "br"),
        ("BR", "br"),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("br;q=0.000, gzip;q=0.001", "gzip"),
        ("br;q=nonsense, gzip", "gzip"),
        ("gzip;q=0", None),
        ("identity", None),
        ("*", None),
        ("", None),
    ],
)
def test_browsers_get_the_precompressed_variant_they_accept(
    app: OutputFolderApp, story_file: Path, accept_encoding: str, encoding: str | None
) -> None:
    response = call(app, STORY_PATH, accept_encoding=accept_encoding)

    assert response.status == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == str(len(response.body))
    assert response.headers["Vary"] == "Accept-Encoding"
    assert _decoded(response) == STORY


def test_each_encoding_has_its_own_etag_and_gets_its_own_304(
    app: OutputFolderApp, story_file: Path
) -> None:
    etags = {
        accept: call(app, STORY_PATH, accept_encoding=accept).headers["ETag"]
        for accept in ("br", "gzip", "identity")
    }

    assert etags["br"].endswith('-br"')
    assert etags["gzip"].endswith('-gz"')
    assert len(set(etags.values())) == 3
    for accept, etag in etags.items():
        again = call(app, STORY_PATH, accept_encoding=accept, if_none_match=etag)
        assert (again.status, again.body) == (304, b"")
        assert again.headers["ETag"] == etag
        assert again.headers["Vary"] == "Accept-Encoding"
    other = call(app, STORY_PATH, accept_encoding="gzip", if_none_match=etags["br"])
    assert other.status == 200


def test_head_answers_with_the_variants_length(
    app: OutputFolderApp, story_file: Path
) -> None:
    full = call(app, STORY_PATH, accept_encoding="br")

    head = call(app, STORY_PATH, method="HEAD", accept_encoding="br")

    assert (head.status, head.body) == (200, b"")
    assert head.headers["Content-Encoding"] == "br"
    assert head.headers["Content-Length"] == str(len(full.body))


def test_a_variant_newer_than_its_file_is_not_sent(
    app: OutputFolderApp, story_file: Path
) -> None:
    """A write renames the variants first: until the file follows, readers get it."""
    brotli_file = story_file.with_name("index.html.br")
    stats = story_file.stat()
    os.utime(brotli_file, ns=(stats.st_atime_ns, stats.st_mtime_ns + 1))

    response = call(app, STORY_PATH, accept_encoding="br, gzip")

    assert response.headers["Content-Encoding"] == "gzip"
    assert _decoded(response) == STORY


def test_a_missing_variant_falls_back_to_the_next_encoding_or_the_file(
    app: OutputFolderApp, story_file: Path
) -> None:
    story_file.with_name("index.html.br").unlink()

    gzipped = call(app, STORY_PATH, accept_encoding="br, gzip")
    story_file.with_name("index.html.gz").unlink()
    plain = call(app, STORY_PATH, accept_encoding="br, gzip")

    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert plain.body == STORY


def test_a_variant_that_is_a_link_is_never_followed(
    app: OutputFolderApp, root: Path, story_file: Path
) -> None:
    secret = root.parent / "secret.html.br"
    secret.write_bytes(brotli.compress(SECRET))
    os.utime(secret, (1_000_000_000, 1_000_000_000))  # older than the page
    story_file.with_name("index.html.br").unlink()
    story_file.with_name("index.html.br").symlink_to(secret)

    response = call(app, STORY_PATH, accept_encoding="br")

    assert "Content-Encoding" not in response.headers
    assert response.body == STORY


def test_a_small_page_without_variants_is_sent_as_it_is(
    app: OutputFolderApp,
) -> None:
    response = call(app, "/", accept_encoding="br, gzip")

    assert (response.body, response.headers["Vary"]) == (PAGE, "Accept-Encoding")
    assert "Content-Encoding" not in response.headers


def test_an_image_does_not_vary_by_encoding(app: OutputFolderApp, root: Path) -> None:
    (root / "photo.jpg").write_bytes(b"\xff\xd8" + b"jpeg" * 100)
    (root / "photo.jpg.gz").write_bytes(gzip.compress(b"not to be sent"))

    response = call(app, "/photo.jpg", accept_encoding="gzip")

    assert "Vary" not in response.headers
    assert "Content-Encoding" not in response.headers


def test_the_404_page_is_sent_compressed_too(
    app: OutputFolderApp, root: Path, inner: Inner
) -> None:
    write_file(root / "404.html", STORY)
    inner.status = "404 Not Found"

    response = call(app, "/world/no-such-story/", accept_encoding="br")

    assert response.status == 404
    assert response.headers["Content-Encoding"] == "br"
    assert _decoded(response) == STORY


@pytest.mark.parametrize(
    "path",
    [
        STORY_PATH + "index.html.gz",
        STORY_PATH + "index.html.br",
        STORY_PATH + "index.html.BR",
        "/index.html.gz",
    ],
)
def test_variants_are_never_pages_of_their_own(
    app: OutputFolderApp, root: Path, story_file: Path, inner: Inner, path: str
) -> None:
    write_file(root / "index.html", STORY)
    (root / "404.html").write_bytes(b"<p>Not here</p>")

    response = call(app, path)

    assert (response.status, response.body) == (404, b"<p>Not here</p>")
    assert inner.paths == []


# --- caching of assets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cache_control"),
    [
        ("assets/site.3f2a9c1b.css", "public, max-age=31536000, immutable"),
        ("assets/site.3F2A9C1B0D.css", "public, max-age=31536000, immutable"),
        (
            "assets/fonts/serif.0123456789abcdef.woff2",
            "public, max-age=31536000, immutable",
        ),
        ("assets/site.css", "public, max-age=60"),
        ("assets/site.3f2a9c1.css", "public, max-age=60"),
        ("assets/site.3f2a9c1z.css", "public, max-age=60"),
        ("assets/logo.png", "public, max-age=3600"),
        ("site.3f2a9c1b.css", "public, max-age=60"),
        ("world/assets/site.3f2a9c1b.css", "public, max-age=60"),
    ],
)
def test_only_fingerprinted_assets_are_cached_for_a_year(
    app: OutputFolderApp, root: Path, name: str, cache_control: str
) -> None:
    write_file(root / name, b"body { color: #222 }\n" * 20)

    plain = call(app, f"/{name}")
    compressed = call(app, f"/{name}", accept_encoding="gzip")

    assert plain.headers["Cache-Control"] == cache_control
    assert compressed.headers["Cache-Control"] == cache_control
