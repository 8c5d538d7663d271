"""The feeds: RSS 2.0, Atom and JSON Feed 1.1, valid, with the newest live stories in
full (summary, byline, categories, lead image, dated corrections, updated time), and
unbroken by any text an editor or a contributor can type.

Validity is checked against the standards in ../shared/standards: Atom against RFC
4287's RELAX NG grammar, and all three by the rules of their specifications written
out below; RSS and Atom are also read by feedparser, which must meet no error
("bozo"). feedparser 6.0.14, the latest release, has no JSON Feed reader (it is on
its unreleased development branch), so a JSON Feed is checked by its
specification's rules and the community JSON schema in ../shared/standards/jsonfeed,
then read into feedparser's shape by ``_json_feed_as_parsed``. The helpers here are
shared with test_feeds_lists.py.
"""

from __future__ import annotations

import email.utils
import functools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
import time_machine
from django.conf import settings
from jsonschema import Draft7Validator, FormatChecker
from lxml import etree
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.feed_formats import clean_text
from newsdesk.publishing.feeds import (
    ATOM,
    FEED_FORMATS,
    JSON_FEED,
    FeedFormat,
    render_feed,
)
from newsdesk.stories.models import Correction, StoryPage, StoryUpdate
from tests.conftest import PublishAt
from tests.stories.factories import make_person

from .conftest import Publish, read

STANDARDS = Path(settings.BASE_DIR).parent / "shared" / "standards"
ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# RFC 3339's date-time (section 5.6), which JSON Feed and Atom dates must be.
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})"
)
# RFC 5646 language tags, in the shape JSON Feed's "language" takes.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
FILES = {fmt.file_name: fmt for fmt in FEED_FORMATS}

# --- validity -------------------------------------------------------------------


@functools.cache
def _atom_grammar() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(STANDARDS / "atom" / "atom.rng")))


@functools.cache
def _json_feed_schema() -> Draft7Validator:
    path = STANDARDS / "jsonfeed" / "community-schema" / "schema-v1.1.json"
    schema = json.loads(path.read_text("utf-8"))
    return Draft7Validator(schema, format_checker=FormatChecker())


def atom_problems(document: bytes) -> list[str]:
    """Return why an Atom document breaks RFC 4287's grammar or its rules the
    grammar cannot say (those of section 4.1 on ids, authors and links)."""
    tree = etree.fromstring(document)
    grammar = _atom_grammar()
    if not grammar.validate(tree):
        return [str(error) for error in grammar.error_log]
    ns = {"a": ATOM_NS}
    problems = []
    feed_has_author = bool(tree.xpath("a:author", namespaces=ns))
    ids = [str(i) for i in tree.xpath("a:entry/a:id/text()", namespaces=ns)]
    if len(ids) != len(set(ids)):
        problems.append("two entries share an id")
    for entry in tree.xpath("a:entry", namespaces=ns):
        if not feed_has_author and not entry.xpath("a:author", namespaces=ns):
            problems.append("an entry has no author and the feed names none")
        alternates = entry.xpath("a:link[@rel='alternate']", namespaces=ns)
        if not alternates and not entry.xpath("a:content", namespaces=ns):
            problems.append("an entry has neither content nor an alternate link")
    if not tree.xpath("a:link[@rel='self']", namespaces=ns):
        problems.append("the feed does not say where it is (rel=self)")
    return problems


def rss_problems(document: bytes) -> list[str]:
    """Return why an RSS 2.0 document breaks the specification's rules (required
    channel elements, an item's title or description, RFC 822 dates)."""
    channel = etree.fromstring(document).find("channel")
    if channel is None:
        return ["no channel"]
    problems = [
        f"the channel has no {name}"
        for name in ("title", "link", "description")
        if channel.find(name) is None
    ]
    dates = channel.findall("lastBuildDate") + channel.findall("item/pubDate")
    for date in dates:
        try:
            parsed = email.utils.parsedate_to_datetime(date.text or "")
        except (TypeError, ValueError):
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            problems.append(f"not an RFC 822 date: {date.text!r}")
    for item in channel.findall("item"):
        if item.find("title") is None and item.find("description") is None:
            problems.append("an item has neither title nor description")
        for enclosure in item.findall("enclosure"):
            if {"url", "length", "type"} - set(enclosure.keys()):
                problems.append("an enclosure lacks url, length or type")
    guids = [g.text for g in channel.findall("item/guid")]
    if len(guids) != len(set(guids)):
        problems.append("two items share a guid")
    return problems


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _author_problems(authors: Any, where: str) -> list[str]:
    if not isinstance(authors, list) or not authors:
        return [f"{where}: authors is not a non-empty array"]
    problems = []
    for author in authors:
        # "if you provide an author object, then at least one is required"
        if not isinstance(author, dict) or not {"name", "url", "avatar"} & set(author):
            problems.append(f"{where}: an author has no name, url or avatar")
        elif "url" in author and not _is_url(author["url"]):
            problems.append(f"{where}: an author's url is not a URL")
    return problems


def json_feed_problems(document: bytes) -> list[str]:
    """Return why a document breaks JSON Feed 1.1 (the rules of its specification,
    then the community schema as a safety net)."""
    try:
        feed = json.loads(document.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return [f"not JSON in UTF-8: {error}"]
    if not isinstance(feed, dict):
        return ["not a JSON object"]
    problems = []
    if feed.get("version") != JSON_FEED_VERSION:
        problems.append(f"version is not {JSON_FEED_VERSION}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        problems.append("no title")
    # Optional, but "should be considered required for feeds on the public web".
    for name in ("home_page_url", "feed_url"):
        if not _is_url(feed.get(name)):
            problems.append(f"{name} is not a URL")
    if "author" in feed:
        problems.append("the deprecated 1.0 'author' is used")
    if "authors" in feed:
        problems += _author_problems(feed["authors"], "feed")
    if "language" in feed and not LANGUAGE_TAG.fullmatch(str(feed["language"])):
        problems.append("the feed's language is not a language tag")
    items = feed.get("items")
    if not isinstance(items, list):
        return [*problems, "items is not an array"]
    ids = []
    for n, item in enumerate(items):
        where = f"item {n}"
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"{where}: id is not a non-empty string")
        ids.append(item.get("id"))
        if not any(
            isinstance(item.get(k), str) for k in ("content_html", "content_text")
        ):
            problems.append(f"{where}: neither content_html nor content_text")
        for name in ("url", "image", "banner_image", "external_url"):
            if name in item and not _is_url(item[name]):
                problems.append(f"{where}: {name} is not a URL")
        for name in ("title", "summary"):
            if name in item and not isinstance(item[name], str):
                problems.append(f"{where}: {name} is not a string")
        for name in ("date_published", "date_modified"):
            if name in item and not RFC3339.fullmatch(str(item[name])):
                problems.append(f"{where}: {name} is not an RFC 3339 date")
        if "author" in item:
            problems.append(f"{where}: the deprecated 1.0 'author' is used")
        if "authors" in item:
            problems += _author_problems(item["authors"], where)
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            problems.append(f"{where}: tags is not an array of strings")
        if "language" in item and not LANGUAGE_TAG.fullmatch(str(item["language"])):
            problems.append(f"{where}: language is not a language tag")
    if len(ids) != len(set(map(str, ids))):
        problems.append("two items share an id")
    problems += [e.message for e in _json_feed_schema().iter_errors(feed)]
    return problems


def parse(document: bytes | str) -> Any:
    """Return a feed as feedparser reads it, failing on any error it meets."""
    feed = feedparser.parse(document)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def _json_feed_as_parsed(document: bytes) -> Any:
    """Return a JSON Feed in the shape feedparser gives the other two formats."""
    feed = json.loads(document)
    return feedparser.FeedParserDict(
        version="json11",
        feed=feedparser.FeedParserDict(title=feed["title"], link=feed["home_page_url"]),
        entries=[
            feedparser.FeedParserDict(
                id=item["id"],
                link=item.get("url"),
                title=item.get("title"),
                summary=item.get("summary"),
                content=[{"type": "text/html", "value": item["content_html"]}],
                tags=[{"term": tag} for tag in item.get("tags", [])],
                authors=[
                    {"name": a.get("name"), "href": a.get("url")}
                    for a in item.get("authors", [])
                ],
            )
            for item in feed["items"]
        ],
    )


def check(document: bytes, fmt: FeedFormat) -> Any:
    """Fail unless a feed is valid in its format; return it as feedparser reads it."""
    if fmt is JSON_FEED:
        assert json_feed_problems(document) == []
        return _json_feed_as_parsed(document)
    problems = atom_problems(document) if fmt is ATOM else rss_problems(document)
    assert problems == []
    feed = parse(document)
    assert feed.version == ("atom10" if fmt is ATOM else "rss20")
    return feed


def check_file(reader_file: str) -> Any:
    """Read a feed file of the output folder, check it, and return it parsed."""
    path = Path(settings.NEWSDESK_OUTPUT_DIR) / reader_file
    return check(path.read_bytes(), FILES[path.name])


def links(feed: Any) -> list[str]:
    """Return the addresses of a parsed feed's entries, in order."""
    return [entry.link for entry in feed.entries]


def json_items(reader_file: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(read(reader_file))["items"]
    return items


# --- what an entry carries -------------------------------------------------------


def test_rss_carries_the_story_in_full(publish_at: PublishAt) -> None:
    story = publish_at(
        minutes=1,
        tags=["Kabul", "Floods"],
        title="Floods reach <Kabul> & more",
        slug="floods",
        standfirst="The river rose.",
        body='<p>Residents moved <a href="/world/">uphill</a>.</p>',
        authors=[make_person(name="Farida Noori"), make_person(name="Ali Reza")],
    )

    feed = check_file("rss.xml")

    assert feed.feed.title == "Newsdesk"
    assert feed.feed.link == "https://news.example/"
    (entry,) = feed.entries
    assert entry.title == "Floods reach <Kabul> & more"
    assert entry.link == "https://news.example/world/floods/"
    assert (
        entry.id
        == f"tag:news.example,{story.first_published_at:%Y-%m-%d}:story/{story.pk}"
    )
    assert entry.guidislink is False
    assert entry.summary == "The river rose."
    assert [a["name"] for a in entry.authors] == ["Farida Noori", "Ali Reza"]
    assert [t["term"] for t in entry.tags] == ["World", "Floods", "Kabul"]
    assert entry.published_parsed is not None
    assert entry.updated_parsed is not None
    assert 'Residents moved <a href="https://news.example/world/">uphill</a>.' in (
        entry.content[0].value
    )


def test_atom_carries_the_story_in_full(publish: Publish) -> None:
    story = publish(
        title="Floods reach Kabul",
        slug="floods",
        standfirst="The river rose.",
        body='<p>Residents moved <a href="/world/">uphill</a>.</p>',
        authors=[make_person(name="Farida Noori"), make_person(name="Ali Reza")],
    )

    feed = check_file("atom.xml")

    assert feed.feed.title == "Newsdesk"
    assert feed.feed.link == "https://news.example/"
    (entry,) = feed.entries
    assert entry.title == "Floods reach Kabul"
    assert entry.link == "https://news.example/world/floods/"
    assert entry.id.endswith(f":story/{story.pk}")
    assert entry.summary == "The river rose."
    assert [(a["name"], a["href"]) for a in entry.authors] == [
        ("Farida Noori", "https://news.example/authors/farida-noori/"),
        ("Ali Reza", "https://news.example/authors/ali-reza/"),
    ]
    assert [t["term"] for t in entry.tags] == ["World"]
    assert entry.content[0].type == "text/html"
    assert 'href="https://news.example/world/"' in entry.content[0].value
    assert story.first_published_at is not None
    assert entry.published == story.first_published_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_json_feed_carries_the_story_in_full(publish_at: PublishAt) -> None:
    story = publish_at(
        minutes=1,
        tags=["Kabul"],
        title="Floods reach Kabul",
        slug="floods",
        standfirst="The river rose.",
        body='<p>Residents moved <a href="/world/">uphill</a>.</p>',
        authors=[make_person(name="Farida Noori")],
    )

    check_file("feed.json")
    feed = json.loads(read("feed.json"))

    assert feed["title"] == "Newsdesk"
    assert feed["home_page_url"] == "https://news.example/"
    assert feed["feed_url"] == "https://news.example/feed.json"
    assert feed["language"] == "en"
    (item,) = feed["items"]
    assert item["id"].endswith(f":story/{story.pk}")
    assert item["url"] == "https://news.example/world/floods/"
    assert item["title"] == "Floods reach Kabul"
    assert item["summary"] == "The river rose."
    assert item["authors"] == [
        {"name": "Farida Noori", "url": "https://news.example/authors/farida-noori/"}
    ]
    assert item["tags"] == ["World", "Kabul"]
    assert 'href="https://news.example/world/"' in item["content_html"]
    assert datetime.fromisoformat(item["date_published"]) == story.first_published_at


def test_an_entry_keeps_its_id_when_the_story_gets_a_new_address(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(title="Floods", slug="floods")
    (before,) = json_items("feed.json")

    draft = StoryPage.objects.get(pk=story.pk)
    draft.slug = "floods-reach-kabul"
    with django_capture_on_commit_callbacks(execute=True):
        draft.save_revision().publish()

    for fmt in FEED_FORMATS:
        (entry,) = check_file(fmt.file_name).entries
        assert entry.id == before["id"]
        assert entry.link == "https://news.example/world/floods-reach-kabul/"


@pytest.mark.parametrize("fmt", FEED_FORMATS, ids=lambda fmt: fmt.file_name)
def test_a_feed_holds_the_newest_stories_up_to_its_size(
    publish: Publish, settings: SettingsWrapper, fmt: FeedFormat
) -> None:
    settings.NEWSDESK_FEED_SIZE = 2
    for n in range(3):
        publish(title=f"Story {n}")

    feed = check(render_feed(fmt=fmt), fmt)

    assert [e.title for e in feed.entries] == ["Story 2", "Story 1"]


@pytest.mark.parametrize("fmt", FEED_FORMATS, ids=lambda fmt: fmt.file_name)
def test_an_empty_feed_is_still_valid(db: None, fmt: FeedFormat) -> None:
    assert check(render_feed(fmt=fmt), fmt).entries == []


# --- corrections and updated times -----------------------------------------------

FIRST = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
CORRECTED = datetime(2026, 3, 16, 17, 30, tzinfo=UTC)


def test_a_correction_is_dated_in_every_format_and_moves_the_updated_time(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a story published on the 14th
    with time_machine.travel(FIRST, tick=False):
        story = publish(title="Dam inspection finds cracks", slug="dam")

    # when: a correction is published with it on the 16th
    with (
        time_machine.travel(CORRECTED, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        story.corrections.add(Correction(note="The dam is in Kajaki, not Kandahar."))
        story.save_revision().publish()

    # then: every feed carries the note with its date, and says the story changed
    for fmt in FEED_FORMATS:
        (entry,) = check_file(fmt.file_name).entries
        content = entry.content[0].value if fmt is not JSON_FEED else None
        if fmt is JSON_FEED:
            (item,) = json_items(fmt.file_name)
            content = item["content_html"]
            assert datetime.fromisoformat(item["date_modified"]) == CORRECTED
            assert datetime.fromisoformat(item["date_published"]) == FIRST
        else:
            assert entry.updated_parsed[:6] == CORRECTED.timetuple()[:6]
            assert entry.published_parsed[:6] == FIRST.timetuple()[:6]
        assert content is not None
        assert "The dam is in Kajaki, not Kandahar." in content
        assert '<time datetime="2026-03-16T17:30:00+00:00">' in content
        assert "16 March 2026, 17:30 UTC" in content
        assert "<h2>Correction</h2>" in content
    assert "Dam inspection finds cracks" in read("world/rss.xml")


def test_corrections_are_listed_oldest_first_and_the_latest_dates_the_entry(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(FIRST, tick=False):
        story = publish(title="Budget passes", slug="budget")
        story.corrections.add(
            Correction(note="It passed on Monday.", published_at=CORRECTED)
        )
        story.corrections.add(
            Correction(
                note="The vote was 40 to 12.", published_at=FIRST + timedelta(hours=1)
            )
        )
        with django_capture_on_commit_callbacks(execute=True):
            story.save_revision().publish()

    (item,) = json_items("feed.json")

    content = item["content_html"]
    assert "<h2>Corrections</h2>" in content
    assert content.index("40 to 12") < content.index("on Monday")
    # a correction dated after the last publish still counts as the latest change
    assert datetime.fromisoformat(item["date_modified"]) == CORRECTED


def test_a_developing_story_s_updates_are_timed_newest_first_in_every_format(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a story published on the 14th
    with time_machine.travel(FIRST, tick=False):
        story = publish(title="Floodwater rises", slug="floods")

    # when: two updates are published with it, the later one on the 16th
    with (
        time_machine.travel(CORRECTED, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        story.updates.add(
            StoryUpdate(
                text="<p>Roads to the north are <b>closed</b>.</p>",
                posted_at=FIRST + timedelta(hours=3),
            )
        )
        story.updates.add(
            StoryUpdate(
                text='<p>The water is <a linktype="page" id="'
                f'{story.pk}">falling</a>.</p><script>x()</script>'
            )
        )
        story.save_revision().publish()

    # then
    for fmt in FEED_FORMATS:
        (entry,) = check_file(fmt.file_name).entries
        content = (
            json_items(fmt.file_name)[0]["content_html"]
            if fmt is JSON_FEED
            else entry.content[0].value
        )
        assert "<h2>Updates</h2>" in content
        newer = content.index("16 March 2026, 17:30 UTC")
        older = content.index("14 March 2026, 11:00 UTC")
        assert newer < content.index("falling") < older < content.index("closed")
        assert 'href="https://news.example/world/floods/"' in content
        assert "x()" not in content
    (item,) = json_items("feed.json")
    assert datetime.fromisoformat(item["date_modified"]) == CORRECTED


# --- the lead image ------------------------------------------------------------------


def test_the_lead_image_is_an_enclosure_and_in_the_content(
    publish: Publish, photo: Any
) -> None:
    publish(
        title="Floods reach Kabul",
        slug="floods",
        lead_image=photo,
        lead_image_alt='Boats carry families past the "old bridge"',
        lead_image_caption="Families leave the riverbank.",
        lead_image_credit="Photo: Farida Noori",
    )
    root = Path(settings.NEWSDESK_OUTPUT_DIR)

    (rss,) = check_file("rss.xml").entries
    (enclosure,) = rss.enclosures
    image = root / urlsplit(enclosure.href).path.lstrip("/")
    assert image.is_file(), "the enclosure must be in the output folder"
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == image.stat().st_size
    (atom,) = check_file("atom.xml").entries
    assert [link.href for link in atom.links if link.rel == "enclosure"] == [
        enclosure.href
    ]
    check_file("feed.json")
    (item,) = json_items("feed.json")
    assert item["image"] == enclosure.href
    for content in (rss.content[0].value, atom.content[0].value, item["content_html"]):
        assert 'alt="Boats carry families past the &quot;old bridge&quot;"' in content
        assert "Families leave the riverbank. Photo: Farida Noori" in content
        src = re.search(r'<img [^>]*src="([^"]+)"', content)
        assert src, content
        assert src.group(1).startswith("https://news.example/images/")
        assert (root / urlsplit(src.group(1)).path.lstrip("/")).is_file()


# --- text an editor or contributor typed --------------------------------------------

HOSTILE_TITLE = "Floods\x01 reach\x0b Kabul\x1f ]]> <b>&amp;\x7f\x9f"
HOSTILE_BODY = (
    "<p>Level ]]> 3\x01m &amp; rising\x08.</p>"
    '<p onclick="steal()">Click <a href="javascript:steal()">here</a>.</p>'
    "<script>steal()</script><style>p{}</style><iframe src='https://x.example'></iframe>"
    "<p><![CDATA[ not data ]]></p><!-- a comment ]]> -->"
)
DARI_TITLE = "سیلاب به کابل رسید"
DARI_BODY = "<p>سطح آب دریا ۳ متر بالا رفت.</p>"


def test_text_illegal_in_xml_breaks_no_feed(
    publish: Publish, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a story whose every field holds what XML cannot carry, "]]>" and markup
    story = publish(
        title=HOSTILE_TITLE,
        slug="floods",
        standfirst="The river\x0c rose ]]> again\x02.",
        body=HOSTILE_BODY,
        authors=[make_person(name="Farida\x1b Noori ]]>")],
        source_credit="Wire\x03 copy ]]>",
    )
    story.tags.add("Kabul ]]> <i>\x05")
    story.corrections.add(Correction(note="Not 4\x06m ]]> but 3m."))
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()
    root = Path(settings.NEWSDESK_OUTPUT_DIR)

    # then: every feed the story is in is valid and carries the text, cleaned
    files = [p.relative_to(root) for p in root.rglob("*") if p.name in FILES]
    assert len(files) == 12  # the site's, the section's, the author's, the tag's
    for name in files:
        (entry,) = check_file(str(name)).entries
        assert entry.title == "Floods reach Kabul ]]> <b>&amp;"
        assert entry.summary == "The river rose ]]> again."
    for fmt in FEED_FORMATS:
        (entry,) = check_file(fmt.file_name).entries
        content = (
            json_items(fmt.file_name)[0]["content_html"]
            if fmt is JSON_FEED
            else entry.content[0].value
        )
        assert "Level ]]&gt; 3m &amp; rising." in content
        assert "Not 4m ]]&gt; but 3m." in content
        for gone in ("steal", "onclick", "<script", "<style", "iframe", "<!--"):
            assert gone not in content
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", content)
    (item,) = json_items("feed.json")
    assert item["authors"][0]["name"] == "Farida Noori ]]>"
    assert item["tags"] == ["World", "Kabul ]]> <i>"]


def test_a_right_to_left_story_keeps_its_language_and_direction(
    publish: Publish,
) -> None:
    publish(
        title=DARI_TITLE,
        slug="dari",
        body=DARI_BODY,
        language=StoryPage.Language.DARI,
        authors=[make_person(name="فریده نوری")],
    )

    for fmt in FEED_FORMATS:
        (entry,) = check_file(fmt.file_name).entries
        assert entry.title == DARI_TITLE
    atom = etree.fromstring(read("atom.xml").encode())
    (entry,) = atom.findall(f"{{{ATOM_NS}}}entry")
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "prs"
    (item,) = json_items("feed.json")
    assert item["language"] == "prs"
    assert item["content_html"].startswith('<div lang="prs" dir="rtl">')
    assert "سطح آب دریا ۳ متر بالا رفت." in item["content_html"]
    assert item["authors"][0]["url"] == (
        "https://news.example/authors/%D9%81%D8%B1%DB%8C%D8%AF%D9%87-%D9%86%D9%88%D8%B1%DB%8C/"
    )


def test_clean_text_drops_what_xml_cannot_carry() -> None:
    dirty = "a\x00b\x08c\x0bd\x1fe\x7ff\x84g\x86h\x9fi\ud800j\ufffek\uffffl\U0001fffem"

    assert clean_text(dirty) == "abcdefghijklm"
    # tab, line breaks, NEL, right-to-left marks and text beyond the BMP stay
    kept = "a\tb\nc\rd\x85e\u200ff\u202bg\U0001f30ah"
    assert clean_text(kept) == kept
