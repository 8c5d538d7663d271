"""RSS 2.0, Atom (RFC 4287) and JSON Feed 1.1 documents made of feed entries.

Pure functions over values; what goes into an entry is worked out in
``newsdesk.publishing.feed_entries``. Each entry is serialised once per format and
the pieces are joined into documents, so a story in a dozen feeds (the site's, its
section's, its authors' and tags') costs one serialisation per format.

Every string is cleaned of what XML 1.0 cannot carry (control characters, lone
surrogates, non-characters) before it is escaped: a headline pasted from a word
processor must not make a feed unreadable. Text is always escaped, never put in a
CDATA section, so a "]]>" in a story is just text.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# XML 1.0's Char production leaves out C0 controls but tab, LF and CR, the
# surrogates, U+FFFE and U+FFFF; its section 2.2 discourages the C1 controls but
# NEL and the other non-characters. All of them go.
_NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
# The non-characters beyond the first plane (U+1FFFE, U+1FFFF ... U+10FFFF) are
# looked for only in text that has characters there: in one character class with
# the others they made every search 17 times slower.
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")
_NONCHARACTERS_BEYOND_BMP = re.compile(
    "["
    + "".join(
        chr(plane * 0x10000 + 0xFFFE) + "-" + chr(plane * 0x10000 + 0xFFFF)
        for plane in range(1, 17)
    )
    + "]"
)
# RFC 4287's atomLanguageTag (a simplified RFC 3066 tag).
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


def clean_text(text: str) -> str:
    """Return text without the characters XML 1.0 cannot carry or discourages."""
    text = _NOT_XML.sub("", text)
    if _BEYOND_BMP.search(text):
        text = _NONCHARACTERS_BEYOND_BMP.sub("", text)
    return text


def one_line(text: str) -> str:
    """Return cleaned text with its runs of white space made single spaces."""
    return " ".join(clean_text(text).split())


def language_tag(language: str) -> str | None:
    """Return a language code as an RFC 4287 language tag, or None if it is not one."""
    tag = language.replace("_", "-")
    return tag if _LANGUAGE_TAG.fullmatch(tag) else None


def _text(value: str) -> str:
    return escape(clean_text(value))


def _attribute(value: str) -> str:
    return escape(clean_text(value), _ATTRIBUTE_ENTITIES)


def rfc3339(when: datetime) -> str:
    """Return a time as RFC 3339 in UTC, as Atom and JSON Feed write times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc822(when: datetime) -> str:
    """Return a time as RSS writes it (RFC 822, in GMT)."""
    return email.utils.format_datetime(when.astimezone(UTC), usegmt=True)


@dataclass(frozen=True)
class FeedAuthor:
    """A name in a story's byline and the address of their author page."""

    name: str
    url: str


@dataclass(frozen=True)
class FeedImage:
    """A story's lead image as feeds offer it (a JPEG crop for link previews)."""

    url: str
    mime_type: str
    length: int  # bytes, 0 when not known
    width: int
    height: int


@dataclass(frozen=True)
class FeedEntry:
    """One story as every feed format carries it; all text already cleaned."""

    id: str  # permanent: stays the same when the story moves or changes
    url: str
    title: str
    summary: str
    content_html: str
    published: datetime
    updated: datetime  # the latest publish or correction
    authors: tuple[FeedAuthor, ...]
    categories: tuple[str, ...]
    image: FeedImage | None
    language: str


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself and the list it follows."""

    title: str
    description: str
    home_url: str  # the list's front page (its feeds sit in the same folder)
    feed_url: str  # the address of this feed itself
    language: str
    # Who the entries without a byline are by: the agency.
    author_name: str
    author_url: str


@dataclass(frozen=True)
class FeedFormat:
    """A feed format: its file name, content type and how it writes entries."""

    name: str
    file_name: str
    content_type: str
    item: Callable[[FeedEntry], str]
    document: Callable[[FeedInfo, Sequence[str], datetime | None], bytes]


# --- RSS 2.0 -------------------------------------------------------------------


def rss_item(entry: FeedEntry) -> str:
    """Return a story as an RSS 2.0 <item>: full text in content:encoded, the
    byline in dc:creator, the lead image as an enclosure."""
    parts = [
        "<item>",
        f"<title>{_text(entry.title)}</title>",
        f"<link>{_text(entry.url)}</link>",
        f"<description>{_text(entry.summary)}</description>",
        *(f"<dc:creator>{_text(author.name)}</dc:creator>" for author in entry.authors),
        f"<pubDate>{rfc822(entry.published)}</pubDate>",
        f"<atom:updated>{rfc3339(entry.updated)}</atom:updated>",
        f'<guid isPermaLink="false">{_text(entry.id)}</guid>',
        *(f"<category>{_text(name)}</category>" for name in entry.categories),
    ]
    if entry.image is not None:
        image = entry.image
        parts.append(
            f'<enclosure url="{_attribute(image.url)}" length="{image.length}" '
            f'type="{_attribute(image.mime_type)}"/>'
        )
    parts += [
        f"<content:encoded>{_text(entry.content_html)}</content:encoded>",
        "</item>",
    ]
    return "\n".join(parts)


def rss_document(
    info: FeedInfo, items: Sequence[str], updated: datetime | None
) -> bytes:
    """Return an RSS 2.0 document of items made by ``rss_item``."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0" xmlns:atom="{ATOM_NS}" xmlns:content="{CONTENT_NS}" '
        f'xmlns:dc="{DC_NS}">',
        "<channel>",
        f"<title>{_text(info.title)}</title>",
        f"<link>{_text(info.home_url)}</link>",
        f"<description>{_text(info.description)}</description>",
        f'<atom:link rel="self" type="application/rss+xml" '
        f'href="{_attribute(info.feed_url)}"/>',
    ]
    if language_tag(info.language):
        parts.append(f"<language>{_text(info.language)}</language>")
    if updated is not None:
        parts.append(f"<lastBuildDate>{rfc822(updated)}</lastBuildDate>")
    parts += [*items, "</channel>", "</rss>", ""]
    return "\n".join(parts).encode("utf-8")


# --- Atom (RFC 4287) -----------------------------------------------------------

# An empty feed still needs an atom:updated (RFC 4287, 4.1.1); this one never moves,
# so an empty feed's file stays the same from one rebuild to the next.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


def atom_entry(entry: FeedEntry) -> str:
    """Return a story as an Atom <entry>, its full text as escaped HTML content."""
    tag = language_tag(entry.language)
    parts = [
        f'<entry xml:lang="{tag}">' if tag else "<entry>",
        f"<id>{_text(entry.id)}</id>",
        f"<title>{_text(entry.title)}</title>",
        f'<link rel="alternate" type="text/html" href="{_attribute(entry.url)}"/>',
        f"<published>{rfc3339(entry.published)}</published>",
        f"<updated>{rfc3339(entry.updated)}</updated>",
        *(
            f"<author><name>{_text(author.name)}</name>"
            f"<uri>{_text(author.url)}</uri></author>"
            for author in entry.authors
        ),
        *(f'<category term="{_attribute(name)}"/>' for name in entry.categories),
    ]
    if entry.image is not None:
        image = entry.image
        length = f' length="{image.length}"' if image.length else ""
        parts.append(
            f'<link rel="enclosure" type="{_attribute(image.mime_type)}"{length} '
            f'href="{_attribute(image.url)}"/>'
        )
    parts += [
        f"<summary>{_text(entry.summary)}</summary>",
        f'<content type="html">{_text(entry.content_html)}</content>',
        "</entry>",
    ]
    return "\n".join(parts)


def atom_document(
    info: FeedInfo, entries: Sequence[str], updated: datetime | None
) -> bytes:
    """Return an Atom feed document of entries made by ``atom_entry``."""
    tag = language_tag(info.language)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}" xml:lang="{tag}">'
        if tag
        else f'<feed xmlns="{ATOM_NS}">',
        f"<id>{_text(info.home_url)}</id>",
        f"<title>{_text(info.title)}</title>",
        f"<subtitle>{_text(info.description)}</subtitle>",
        f'<link rel="alternate" type="text/html" href="{_attribute(info.home_url)}"/>',
        f'<link rel="self" type="application/atom+xml" '
        f'href="{_attribute(info.feed_url)}"/>',
        f"<updated>{rfc3339(updated or EMPTY_FEED_UPDATED)}</updated>",
        # Entries without a byline are the agency's (RFC 4287, 4.1.1: a feed names
        # an author unless every entry does).
        f"<author><name>{_text(info.author_name)}</name>"
        f"<uri>{_text(info.author_url)}</uri></author>",
        *entries,
        "</feed>",
        "",
    ]
    return "\n".join(parts).encode("utf-8")


# --- JSON Feed 1.1 ---------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_feed_item(entry: FeedEntry) -> str:
    """Return a story as a JSON Feed 1.1 item (a JSON object's text)."""
    # JSON could carry control characters, but not a lone surrogate in UTF-8; and
    # the three formats should say the same.
    text = clean_text
    item: dict[str, Any] = {
        "id": text(entry.id),
        "url": text(entry.url),
        "title": text(entry.title),
        "content_html": text(entry.content_html),
        "summary": text(entry.summary),
    }
    if entry.image is not None:
        item["image"] = text(entry.image.url)
    item["date_published"] = rfc3339(entry.published)
    item["date_modified"] = rfc3339(entry.updated)
    if entry.authors:
        item["authors"] = [
            {"name": text(a.name), "url": text(a.url)} for a in entry.authors
        ]
    if entry.categories:
        item["tags"] = [text(name) for name in entry.categories]
    if language_tag(entry.language):
        item["language"] = entry.language
    return _json(item)


def json_feed_document(
    info: FeedInfo, items: Sequence[str], updated: datetime | None
) -> bytes:
    """Return a JSON Feed 1.1 document of items made by ``json_feed_item``."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": clean_text(info.title),
        "home_page_url": clean_text(info.home_url),
        "feed_url": clean_text(info.feed_url),
        "description": clean_text(info.description),
        "authors": [
            {"name": clean_text(info.author_name), "url": clean_text(info.author_url)}
        ],
    }
    if language_tag(info.language):
        feed["language"] = info.language
    # The items, already JSON, go in as they are: the object's closing brace is
    # taken off and put back after them.
    head = _json(feed)[:-1]
    return f'{head},"items":[{",".join(items)}]}}\n'.encode()


RSS = FeedFormat(
    name="RSS",
    file_name="rss.xml",
    content_type="application/rss+xml",
    item=rss_item,
    document=rss_document,
)
ATOM = FeedFormat(
    name="Atom",
    file_name="atom.xml",
    content_type="application/atom+xml",
    item=atom_entry,
    document=atom_document,
)
JSON_FEED = FeedFormat(
    name="JSON Feed",
    file_name="feed.json",
    content_type="application/feed+json",
    item=json_feed_item,
    document=json_feed_document,
)
FEED_FORMATS = (RSS, ATOM, JSON_FEED)
FEED_FILE_NAMES = frozenset(fmt.file_name for fmt in FEED_FORMATS)
