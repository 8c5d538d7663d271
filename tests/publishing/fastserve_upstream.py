"""The application behind the built-in server in its tests, run by granian.

The reader layer (``OutputFolderApp``) over a stand-in for Django that knows no
reader address (404) and answers under ``/newsroom/``: ``echo/`` sends back what it was sent, ``stream/`` answers in chunks
without a length, ``empty/`` answers 204. The output folder is ``NEWSDESK_TEST_ROOT``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from wsgiref.types import StartResponse, WSGIEnvironment

import django

django.setup()

from newsdesk.publishing.server import OutputFolderApp  # noqa: E402 (after setup)


def newsroom(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """Answer as the stand-in Django application does."""
    path = environ["PATH_INFO"]
    if path == "/newsroom/echo/":
        body = environ["wsgi.input"].read()
        seen = {
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "headers": {
                key[5:].replace("_", "-").lower(): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            },
            "content_type": environ.get("CONTENT_TYPE", ""),
            "content_length": environ.get("CONTENT_LENGTH", ""),
            "body": body.decode("latin-1"),
        }
        answer = json.dumps(seen).encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(answer))),
            ],
        )
        return [answer]
    if path == "/newsroom/stream/":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def parts() -> Iterator[bytes]:
            for n in range(50):
                yield f"part {n}\n".encode() * 100

        return parts()
    if path == "/newsroom/empty/":
        start_response("204 No Content", [])
        return []
    body = b"from the application"
    if not path.startswith("/newsroom/"):
        # A reader address with no file that Django does not know either.
        start_response(
            "404 Not Found",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
        )
        return [body]
    start_response(
        "418 I'm a teapot",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]


application = OutputFolderApp(newsroom, root=Path(os.environ["NEWSDESK_TEST_ROOT"]))
