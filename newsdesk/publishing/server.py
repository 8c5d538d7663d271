"""Serve the reader site from the output folder, in front of the Django application.

The built-in web server answers readers with the files publishing wrote, and hands
the newsroom (``/newsroom/``), static files, media, documents and any other URL
Django knows to the Django application. In production nginx or a CDN serves the
same folder. What a file is answered with (type, precompressed variant, validators,
caching, safety headers) is in ``server_headers``, how recent answers are kept in
memory while the folder does not change in ``server_cache``; this module is the WSGI
side of them, and ``fastserve`` the HTTP server that ``newsdesk start`` puts in
front.

``PATH_INFO`` arrives percent-decoded, as WSGI (PEP 3333) requires of the server
(granian does so); it is not decoded a second time, so files are found under the
same URLs as nginx finds them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from django.conf import settings
from django.urls import Resolver404, resolve

from .server_cache import FOLDER, MISSING, Answer, Outcome, ReaderFiles
from .server_headers import (
    CONTENT_SECURITY_POLICY,
    IMMUTABLE_CACHE,
    LONG_CACHE,
    SHORT_CACHE,
    accepted_encodings,
    cache_control_for,
    content_type_for,
    encodings_for,
    security_headers,
)

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "DJANGO_PREFIXES",
    "IMMUTABLE_CACHE",
    "LONG_CACHE",
    "SHORT_CACHE",
    "OutputFolderApp",
    "accepted_encodings",
    "cache_control_for",
    "content_type_for",
    "is_django_path",
]

# URL prefixes that always belong to the Django application.
DJANGO_PREFIXES = ("/newsroom/", "/static/", "/media/", "/documents/")
READ_METHODS = frozenset({"GET", "HEAD"})
CHUNK_SIZE = 64 * 1024


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


def is_django_path(path: str) -> bool:
    """Say whether a path belongs to the Django application whatever the folder holds."""
    return any(
        path.startswith(prefix) or path == prefix.rstrip("/")
        for prefix in DJANGO_PREFIXES
    )


# The URL pattern standing for every reader page (see newsdesk.publishing.views): a
# reader path with no file is not found, answered here with the site's 404 page.
READER_PAGES = "wagtail_serve"
# Hidden files, files being written and precompressed variants: never a page, nor
# an address the app could know (nginx answers them 404 itself too).
NEVER_A_PAGE = re.compile(r"(?:^|/)\.|\.(?:tmp|gz|br)$", re.IGNORECASE)


def _django_knows(path: str) -> bool:
    """Say whether Django's URLconf has a view for the path (or its slash form),
    other than the one standing for reader pages."""
    candidates = [path] if path.endswith("/") else [path, path + "/"]
    for candidate in candidates:
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if match.url_name != READER_PAGES:
            return True
    return False


class OutputFolderApp:
    """WSGI middleware: the reader site's files first, the Django application behind."""

    def __init__(self, app: WSGIApplication, *, root: Path | None = None) -> None:
        self.app = app
        self.root = root
        self._files: ReaderFiles | None = None

    def files(self) -> ReaderFiles:
        """Return the reader files of the output folder (the setting, read now)."""
        root = (
            self.root if self.root is not None else Path(settings.NEWSDESK_OUTPUT_DIR)
        )
        files = self._files
        if files is None or files.root != root:
            if files is not None:
                files.close()
            files = self._files = ReaderFiles(root)
        return files

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        path = _decoded_path(environ)
        if path is None or is_django_path(path):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method not in READ_METHODS:
            if _django_knows(path):
                return self.app(environ, start_response)
            return self._method_not_allowed(start_response)
        files = self.files()
        encodings = encodings_for(environ.get("HTTP_ACCEPT_ENCODING"))
        found = files.find(path, encodings)
        if isinstance(found, Answer):
            return self._send(environ, start_response, found, method)
        if found is FOLDER:
            return self._redirect_to_folder(environ, path, start_response)
        if found is not MISSING and isinstance(found, Outcome):
            # Refused paths get Django's 404; a device or socket is never read.
            return self.app(environ, start_response)
        if _django_knows(path):
            return self.app(environ, start_response)
        if NEVER_A_PAGE.search(path):
            not_found = files.find_not_found(encodings)
            if not_found is not None:
                return self._send(environ, start_response, not_found, method)
        return self._app_or_not_found(environ, start_response, files, encodings, method)

    def _app_or_not_found(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        files: ReaderFiles,
        encodings: tuple[str, ...],
        method: str,
    ) -> Iterable[bytes]:
        """Ask the app about a reader path with no file (a killed story's address
        answers 410 with its notice); where the app has nothing either, send the
        site's 404 page, as nginx does with ``proxy_intercept_errors``."""
        answered: list[tuple[str, list[tuple[str, str]]]] = []

        def hold(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            answered.append((status, headers))
            return lambda data: None  # Django never writes through it

        body = self.app(environ, hold)
        status, headers = answered[-1]
        if status.startswith("404"):
            not_found = files.find_not_found(encodings)
            if not_found is not None:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
                return self._send(environ, start_response, not_found, method)
        start_response(status, headers)
        return body

    @staticmethod
    def _send(
        environ: WSGIEnvironment,
        start_response: StartResponse,
        answer: Answer,
        method: str,
    ) -> Iterable[bytes]:
        if answer.not_modified(
            environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_IF_MODIFIED_SINCE")
        ):
            answer.release()
            start_response("304 Not Modified", list(answer.not_modified_headers))
            return []
        status = "200 OK" if answer.status == 200 else "404 Not Found"
        start_response(status, list(answer.headers))
        if method == "HEAD":
            answer.release()
            return []
        if answer.body is not None:
            return [answer.body]
        fd, answer.fd = answer.fd, None
        if fd is None:  # an answer that is not kept holds its file for one reader
            return []
        return _FileBody(fd, answer.content_length)

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
                *security_headers(),
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
                *security_headers(),
            ],
        )
        return [body]
