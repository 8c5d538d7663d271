"""What the built-in server sends a reader file with: type, caching, safety, encoding.

The rules nginx follows with ``deploy/nginx.conf`` for the same folder, kept in one
place for the server's two sides (``server`` and ``fastserve``).
"""

from __future__ import annotations

import email.utils
import mimetypes
import re
from pathlib import Path

from .output import ENCODINGS

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


def security_headers() -> Headers:
    """Return the headers that every answer of the reader site carries."""
    return [
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("Referrer-Policy", "no-referrer"),
    ]


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


_ENCODINGS_BY_HEADER: dict[str | None, tuple[str, ...]] = {}


def encodings_for(accept_encoding: str | None) -> tuple[str, ...]:
    """Return ``accepted_encodings`` as a tuple, remembered for each header seen."""
    encodings = _ENCODINGS_BY_HEADER.get(accept_encoding)
    if encodings is None:
        encodings = tuple(accepted_encodings(accept_encoding))
        if len(_ENCODINGS_BY_HEADER) > 1024:  # browsers send a handful of values
            _ENCODINGS_BY_HEADER.clear()
        _ENCODINGS_BY_HEADER[accept_encoding] = encodings
    return encodings


_HTTP_DATES: dict[str, float | None] = {}


def http_date_timestamp(value: str) -> float | None:
    """Return the time an HTTP date names, or None when it is not an HTTP date."""
    if value in _HTTP_DATES:
        return _HTTP_DATES[value]
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        timestamp = None
    else:
        # A date without a zone is not an HTTP date (those are GMT).
        timestamp = None if when.tzinfo is None else when.timestamp()
    if len(_HTTP_DATES) > 1024:  # clients send back the few dates they were given
        _HTTP_DATES.clear()
    _HTTP_DATES[value] = timestamp
    return timestamp
