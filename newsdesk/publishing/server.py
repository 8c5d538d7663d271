"""Serve the reader site from the output folder, in front of the Django application.

The built-in web server answers readers with the files publishing wrote, read from
disk on every request (the folder changes on every publish), and hands the newsroom
(``/newsroom/``), static files, media, documents and any other URL Django knows to
the Django application. In production nginx or a CDN serves the same folder.

Text files are sent precompressed when the reader's browser accepts it: publishing
writes ``index.html.br`` and ``index.html.gz`` beside ``index.html``, and the variant
is chosen by ``Accept-Encoding`` (Brotli before gzip), as nginx's ``brotli_static``
and ``gzip_static`` do with the same files. The variants are never pages of their own.

``PATH_INFO`` arrives percent-decoded, as WSGI (PEP 3333) requires of the server
(granian does so); it is not decoded a second time, so files are found under the
same URLs as nginx finds them.
"""

from __future__ import annotations

import email.utils
import mimetypes
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from django.conf import settings
from django.urls import Resolver404, resolve

from .output import (
    ENCODINGS,
    OutputPathError,
    is_compressible,
    is_variant,
    output_path,
    variant_path,
)

# URL prefixes that always belong to the Django application.
DJANGO_PREFIXES = ("/newsroom/", "/static/", "/media/", "/documents/")
NOT_FOUND_FILE = "404.html"
READ_METHODS = frozenset({"GET", "HEAD"})
CHUNK_SIZE = 64 * 1024

# Reader pages carry no JavaScript (JSON-LD blocks are data, which script-src does not
# govern); nothing is loaded from elsewhere and nothing may frame the site.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SHORT_CACHE = "public, max-age=60"  # pages and feeds change with every publish
LONG_CACHE = "public, max-age=3600"  # images and fonts rarely do
# A fingerprinted asset's name changes with its content, so a copy never goes stale.
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
# "/assets/css/site.3f2a9c1b.css": a hash of 8 or more hex digits before the suffix.
FINGERPRINTED = re.compile(r"/assets/(?:[^/]+/)*[^/]+\.[0-9a-f]{8,}\.[0-9a-z]+", re.I)
# An Accept-Encoding entry's weight (RFC 9110, section 12.4.2).
QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")

HTML = "text/html; charset=utf-8"
CONTENT_TYPES = {
    ".html": HTML,
    ".htm": HTML,
    ".xml": "application/xml",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
# Feeds are recognised by their file name.
NAMED_CONTENT_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
SHORT_CACHE_SUFFIXES = frozenset(
    {".html", ".htm", ".xml", ".json", ".txt", ".css", ".js"}
)

Headers = list[tuple[str, str]]


def content_type_for(path: Path) -> str:
    """Return the Content-Type to serve a file of the output folder with."""
    name = path.name.lower()
    if name in NAMED_CONTENT_TYPES:
        return NAMED_CONTENT_TYPES[name]
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def cache_control_for(path: Path, reader_path: str | None) -> str:
    """Return the Cache-Control of a file served for a reader path."""
    if reader_path is not None and FINGERPRINTED.fullmatch(reader_path):
        return IMMUTABLE_CACHE
    return SHORT_CACHE if path.suffix.lower() in SHORT_CACHE_SUFFIXES else LONG_CACHE


def accepted_encodings(accept_encoding: str | None) -> list[str]:
    """Return the precompressed encodings a client accepts, the preferred first.

    Brotli comes before gzip whenever both have a weight above 0, whatever their
    weights (its files are smaller); ``q=0`` refuses an encoding. Only encodings
    named count: ``*`` gets the file itself, as from nginx's ``gzip_static`` and
    ``brotli_static``, and so does a request without the header.
    """
    if not accept_encoding:
        return []
    accepted_by_name: dict[str, bool] = {}
    for entry in accept_encoding.split(","):
        name, *parameters = entry.split(";")
        name = name.strip().lower()
        if not name:
            continue
        accepted = True
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                # A weight that is not a number is no consent.
                accepted = bool(QVALUE.fullmatch(value)) and float(value) > 0
        accepted_by_name["gzip" if name == "x-gzip" else name] = accepted
    return [
        encoding for encoding, _ in ENCODINGS if accepted_by_name.get(encoding, False)
    ]


def _etag(stats: os.stat_result, encoding: str | None = None) -> str:
    # Each encoding's bytes are a representation of their own (RFC 9110, 8.8.3.3).
    suffix = f"-{'gz' if encoding == 'gzip' else encoding}" if encoding else ""
    return f'"{stats.st_size:x}-{stats.st_mtime_ns:x}{suffix}"'


def _not_modified(environ: WSGIEnvironment, etag: str, mtime: float) -> bool:
    """Say whether the client's copy is current (RFC 9110, section 13.1)."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        # If-None-Match compares weakly and, when present, overrides the date.
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:  # not an HTTP date (those are GMT)
            return False
        return int(mtime) <= since.timestamp()
    return False


class _FileBody:
    """A response body read from an open file in chunks; closed by the server."""

    def __init__(self, fd: int, size: int) -> None:
        self._file = os.fdopen(fd, "rb")
        self._size = size

    def __iter__(self) -> Iterator[bytes]:
        remaining = self._size
        while remaining > 0:
            chunk = self._file.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                return  # the file was truncated after it was opened
            remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._file.close()


def _decoded_path(environ: WSGIEnvironment) -> str | None:
    """Return the request path as text, or None when it is not UTF-8."""
    raw = environ.get("PATH_INFO", "") or "/"
    try:
        # WSGI gives the path's bytes as Latin-1 characters.
        path: str = raw.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        path = raw  # already text (an in-process caller)
    except UnicodeDecodeError:
        return None
    return path


def _names_a_variant(path: str) -> bool:
    """Say whether a path asks for a precompressed variant (``/x/index.html.gz``)."""
    return not path.endswith("/") and is_variant(Path(path))


def _is_django_path(path: str) -> bool:
    return any(
        path.startswith(prefix) or path == prefix.rstrip("/")
        for prefix in DJANGO_PREFIXES
    )


def _django_knows(path: str) -> bool:
    """Say whether Django's URLconf has a view for the path (or its slash form)."""
    candidates = [path] if path.endswith("/") else [path, path + "/"]
    for candidate in candidates:
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return True
    return False


class OutputFolderApp:
    """WSGI middleware: the reader site's files first, the Django application behind."""

    def __init__(self, app: WSGIApplication, *, root: Path | None = None) -> None:
        self.app = app
        self.root = root

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        path = _decoded_path(environ)
        if path is None or _is_django_path(path):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method not in READ_METHODS:
            if _django_knows(path):
                return self.app(environ, start_response)
            return self._method_not_allowed(start_response)
        root = (
            self.root if self.root is not None else Path(settings.NEWSDESK_OUTPUT_DIR)
        )
        try:
            target = None if _names_a_variant(path) else output_path(path, root=root)
        except OutputPathError:
            return self.app(environ, start_response)  # Django answers 404
        if target is not None:
            fd, stats = self._open(target)
            if fd is not None and stats is not None:
                if stat.S_ISDIR(stats.st_mode):
                    os.close(fd)
                    return self._redirect_to_folder(environ, path, start_response)
                return self._serve(
                    environ,
                    start_response,
                    fd,
                    stats,
                    target,
                    status="200 OK",
                    reader_path=path,
                )
        if _django_knows(path):
            return self.app(environ, start_response)
        not_found = root / NOT_FOUND_FILE
        fd, stats = self._open(not_found)
        if fd is not None and stats is not None and stat.S_ISREG(stats.st_mode):
            return self._serve(
                environ, start_response, fd, stats, not_found, status="404 Not Found"
            )
        if fd is not None:
            os.close(fd)
        return self.app(environ, start_response)

    @staticmethod
    def _open(
        path: Path, *, follow_links: bool = True
    ) -> tuple[int | None, os.stat_result | None]:
        """Open a file and stat the open file, so both describe the same version."""
        # Non-blocking, so a pipe put in the folder cannot hang the worker.
        flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_links else os.O_NOFOLLOW)
        try:
            fd = os.open(path, flags)
        except OSError:  # missing, a file where a folder was expected, unreadable
            return None, None
        try:
            return fd, os.fstat(fd)
        except OSError:
            os.close(fd)
            return None, None

    def _serve(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        fd: int,
        stats: os.stat_result,
        path: Path,
        *,
        status: str,
        reader_path: str | None = None,
    ) -> Iterable[bytes]:
        if not stat.S_ISREG(stats.st_mode):
            os.close(fd)
            return self._not_a_file(environ, start_response)
        headers: Headers = []
        encoding = None
        if is_compressible(path):
            headers.append(("Vary", "Accept-Encoding"))
            encoding, fd, stats = self._choose_variant(environ, path, fd, stats)
        etag = _etag(stats, encoding)
        headers += [
            ("ETag", etag),
            ("Last-Modified", email.utils.formatdate(stats.st_mtime, usegmt=True)),
            ("Cache-Control", cache_control_for(path, reader_path)),
            *self._security_headers(),
        ]
        if status.startswith("200") and _not_modified(environ, etag, stats.st_mtime):
            os.close(fd)
            start_response("304 Not Modified", headers)
            return []
        headers.append(("Content-Type", content_type_for(path)))
        if encoding is not None:
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(stats.st_size)))
        start_response(status, headers)
        if environ.get("REQUEST_METHOD", "GET").upper() == "HEAD":
            os.close(fd)
            return []
        return _FileBody(fd, stats.st_size)

    def _choose_variant(
        self,
        environ: WSGIEnvironment,
        path: Path,
        fd: int,
        stats: os.stat_result,
    ) -> tuple[str | None, int, os.stat_result]:
        """Return the encoding to send and the open file holding it."""
        for encoding in accepted_encodings(environ.get("HTTP_ACCEPT_ENCODING")):
            # Publishing writes variants as plain files: a link is never followed.
            variant_fd, variant_stats = self._open(
                variant_path(path, encoding), follow_links=False
            )
            if variant_fd is None or variant_stats is None:
                continue
            # Publishing renames variants into place before their file: a variant
            # newer than the file belongs to a write not finished (or one that died),
            # and the file itself is what readers get meanwhile.
            if (
                not stat.S_ISREG(variant_stats.st_mode)
                or variant_stats.st_mtime_ns > stats.st_mtime_ns
            ):
                os.close(variant_fd)
                continue
            os.close(fd)
            return encoding, variant_fd, variant_stats
        return None, fd, stats

    def _not_a_file(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        # A device or socket placed in the folder is never read.
        return self.app(environ, start_response)

    @staticmethod
    def _security_headers() -> Headers:
        return [
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("Referrer-Policy", "no-referrer"),
        ]

    def _redirect_to_folder(
        self, environ: WSGIEnvironment, path: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        # Built from the path's parts, so "//host" cannot become an off-site address.
        parts = [part for part in path.split("/") if part]
        location = quote(
            environ.get("SCRIPT_NAME", "").rstrip("/") + "/" + "/".join(parts) + "/"
        )
        query = environ.get("QUERY_STRING", "")
        if query:
            location += "?" + query
        start_response(
            "301 Moved Permanently",
            [
                ("Location", location),
                ("Content-Length", "0"),
                ("Cache-Control", SHORT_CACHE),
                *self._security_headers(),
            ],
        )
        return []

    def _method_not_allowed(self, start_response: StartResponse) -> Iterable[bytes]:
        body = b"Method not allowed: the reader site can only be read.\n"
        start_response(
            "405 Method Not Allowed",
            [
                ("Allow", "GET, HEAD"),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                *self._security_headers(),
            ],
        )
        return [body]
