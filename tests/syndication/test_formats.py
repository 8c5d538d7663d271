"""Partner items in IPTC ninjs 3.1, ninjs 2.2 and NewsML-G2 2.35: valid against the
schemas IPTC publishes, with the story's facts where partners' tools look for them,
and unbroken by any text an editor or a contributor can type.

Validity is checked against the official files in ../shared/standards, the way its
README shows: ninjs with jsonschema (the GeoJSON schema every ninjs schema refers
to registered from its local copy), NewsML-G2 with both lxml and xmlschema
(``allow="local"``; xmlschema also checks the XHTML body against W3C's XHTML 1.0
Strict schema it ships, lxml skips it). jsonschema here has no checker for the
``date-time`` and ``uri`` formats, so the two below are added. The schemas are
loaded once per run.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from django.conf import settings
from jsonschema import FormatChecker, validators
from jsonschema.protocols import Validator
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints
from referencing import Registry, Resource

from newsdesk.syndication.formats import newsml_g2, newsml_g2_item, ninjs2, ninjs3
from newsdesk.syndication.items import Item

from .items import (
    CONTROLS,
    DARI_HEADLINE,
    EMBARGO,
    FIRST_PUBLISHED,
    HOSTILE_HEADLINE,
    KILL_REASON,
    STORIES,
    corrected_story,
    dari_story,
    embargoed_story,
    hostile_story,
    killed_story,
    make_item,
    opinion_with_image,
    plain_story,
    withdrawn_story,
)

STANDARDS = Path(settings.BASE_DIR).parent / "shared" / "standards"
NAR = "{http://iptc.org/std/nar/2006-10-01/}"
XHTML = "{http://www.w3.org/1999/xhtml}"
NS = {"n": NAR[1:-1], "h": XHTML[1:-1]}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# RFC 3339's date-time (section 5.6) and RFC 3986's URI (a scheme, then no space).
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
)
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")
# What XML 1.0 cannot carry or discourages (the characters CONTROLS holds).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\U0001fffe]")
WRITERS: dict[str, Callable[[Item], dict[str, Any]]] = {"3.1": ninjs3, "2.2": ninjs2}
SCHEMAS = {"3.1": "ninjs-schema_3.1.json", "2.2": "ninjs-schema_2.2.json"}

# --- validity -------------------------------------------------------------------

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or RFC3339.fullmatch(value) is not None


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or URI.fullmatch(value) is not None


@functools.cache
def _ninjs_validator(version: str) -> Validator:
    geojson = json.loads((STANDARDS / "ninjs" / "GeoJSON-schema.json").read_text())
    registry: Registry[Any] = Registry().with_resource(
        "https://geojson.org/schema/GeoJSON.json", Resource.from_contents(geojson)
    )
    schema = json.loads((STANDARDS / "ninjs" / SCHEMAS[version]).read_text())
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry, format_checker=FORMATS)


@functools.cache
def _newsml_lxml() -> etree.XMLSchema:
    path = STANDARDS / "newsml-g2" / "NewsML-G2_2.35-spec-All-Power.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


@functools.cache
def _newsml_xmlschema() -> xmlschema.XMLSchema:
    path = STANDARDS / "newsml-g2" / "NewsML-G2_2.35-spec-All-Power.xsd"
    return xmlschema.XMLSchema(str(path), allow="local")


def ninjs_problems(version: str, document: dict[str, Any]) -> list[str]:
    """Return why a document breaks IPTC's ninjs schema of that version."""
    errors = _ninjs_validator(version).iter_errors(document)
    return [
        "/" + "/".join(map(str, e.absolute_path)) + ": " + e.message for e in errors
    ]


def newsml_problems(document: bytes) -> list[str]:
    """Return why a document breaks IPTC's NewsML-G2 2.35 schema, for lxml or for
    xmlschema."""
    lxml_schema = _newsml_lxml()
    problems = []
    if not lxml_schema.validate(etree.fromstring(document).getroottree()):
        problems += [f"lxml: {e.line}: {e.message}" for e in lxml_schema.error_log]
    problems += [
        f"xmlschema: {e.path}: {e.reason}"
        for e in _newsml_xmlschema().iter_errors(document.decode("utf-8"))
    ]
    return problems


@pytest.mark.parametrize("version", ["3.1", "2.2"])
@pytest.mark.parametrize("story", STORIES.values(), ids=STORIES.keys())
def test_ninjs_is_valid(version: str, story: Callable[[], Item]) -> None:
    document = WRITERS[version](story())

    assert ninjs_problems(version, document) == []
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document


@pytest.mark.parametrize("story", STORIES.values(), ids=STORIES.keys())
def test_newsml_g2_message_is_valid(story: Callable[[], Item]) -> None:
    assert newsml_problems(newsml_g2([story()])) == []


@pytest.mark.parametrize("story", STORIES.values(), ids=STORIES.keys())
def test_newsml_g2_item_is_valid(story: Callable[[], Item]) -> None:
    assert newsml_problems(newsml_g2_item(story())) == []


def test_the_validators_refuse_what_the_schemas_refuse() -> None:
    """The checks are not vacuous: a property ninjs lacks, a ninjs 1.x name in 2.2,
    a bad status and an item without its required metadata all fail."""
    document = ninjs3(plain_story())

    assert ninjs_problems("3.1", {**document, "pubstatus": "usable"})
    assert ninjs_problems("3.1", {**document, "pubStatus": "killed"})
    assert ninjs_problems("3.1", {**document, "versionCreated": "2 May 2025"})
    assert ninjs_problems("2.2", {**ninjs2(plain_story()), "headline": "Floods"})
    bad_g2 = newsml_g2([plain_story()]).replace(b"<itemClass", b"<itemKlass", 1)
    assert newsml_problems(bad_g2)
    bad_xhtml = newsml_g2([plain_story()]).replace(b"<p>", b'<p data-x="1">', 1)
    assert any("xmlschema" in p for p in newsml_problems(bad_xhtml))


# --- ninjs: what partners read --------------------------------------------------


def test_ninjs3_gives_a_plain_story_its_identity_times_and_text() -> None:
    item = plain_story()

    document = ninjs3(item)

    assert document["uri"] == "urn:newsdesk:news.example:story:101"
    assert document["standard"] == {
        "name": "ninjs",
        "version": "3.1",
        "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#",
    }
    assert (document["type"], document["version"]) == ("text", "1")
    assert document["pubStatus"] == "usable"
    assert document["representationType"] == "full"
    assert document["firstCreated"] == document["versionCreated"]
    assert document["versionCreated"] == "2025-05-02T09:30:00Z"
    assert "embargoedUntil" not in document
    assert "edNote" not in document
    assert document["language"] == "en"
    assert document["headlines"] == [
        {
            "role": "main",
            "contentType": "text/plain",
            "value": "Floods close the Salang pass",
        }
    ]
    assert document["descriptions"] == [
        {"role": "text", "contentType": "text/plain", "value": item.summary}
    ]
    html, text = document["bodies"]
    assert html == {"role": "html", "contentType": "text/html", "value": item.body_html}
    assert text["contentType"] == "text/plain"
    assert text["value"] == (
        "Mudslides closed the Salang pass on Tuesday.\n\n"
        "Drivers were told to wait in Jabal Saraj."
    )
    assert document["by"] == "Mariam Noori"
    assert document["people"] == [
        {
            "name": "Mariam Noori",
            "rel": "author",
            "uri": "https://news.example/authors/mariam/",
        }
    ]
    assert document["located"] == "KABUL"
    assert document["genres"] == [{"name": "News", "literal": "news"}]
    assert document["subjects"] == [
        {"name": "World", "literal": "section:world"},
        {"name": "Floods", "literal": "tag:Floods"},
        {"name": "Salang", "literal": "tag:Salang"},
    ]
    assert document["renditions"] == [
        {"name": "web", "href": item.uri, "contentType": "text/html"}
    ]
    assert document["copyrightHolder"] == "Newsdesk"
    assert document["usageTerms"] == item.usage_terms
    assert "associations" not in document


def test_ninjs2_names_the_same_facts_in_lower_case() -> None:
    three, two = ninjs3(embargoed_story()), ninjs2(embargoed_story())

    def names(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {n for v in value.values() for n in names(v)}
        if isinstance(value, list):
            return {n for v in value for n in names(v)}
        return set()

    assert two["standard"]["version"] == "2.2"
    assert two["standard"]["schema"].endswith("ninjs-schema_2.2.json#")
    assert all(name == name.lower() for name in names(two))
    assert (two["versioncreated"], two["pubstatus"]) == (
        three["versionCreated"],
        three["pubStatus"],
    )
    assert two["embargoed"] == three["embargoedUntil"] == "2025-05-03T06:00:00Z"
    assert two["headlines"][0]["contenttype"] == "text/plain"
    assert two["copyrightholder"] == "Newsdesk"


@pytest.mark.parametrize("writer", [ninjs3, ninjs2])
def test_ninjs_gives_every_author_and_the_lead_image(
    writer: Callable[[Item], dict[str, Any]],
) -> None:
    document = writer(opinion_with_image())

    assert document["by"] == "Farid Ahmadi, Lena Vogt"
    assert document["people"] == [
        {
            "name": "Farid Ahmadi",
            "rel": "author",
            "uri": "https://news.example/authors/farid/",
        },
        {"name": "Lena Vogt", "rel": "author"},
    ]
    assert document["genres"] == [{"name": "Opinion", "literal": "opinion"}]
    (picture,) = document["associations"]
    assert picture["name"] == "mainpic"
    assert picture["type"] == "picture"
    href = "https://news.example/media/images/salang.width-1200.jpg"
    assert picture["uri"] == href
    (rendition,) = picture["renditions"]
    content_type = "contentType" if writer is ninjs3 else "contenttype"
    assert rendition == {
        "name": "main",
        "href": href,
        content_type: "image/jpeg",
        "width": 1200,
        "height": 675,
    }
    assert {d["role"]: d["value"] for d in picture["descriptions"]} == {
        "caption": "The Salang tunnel, 3,400 m up, on Monday.",
        "alt": "Lorries queue at the southern mouth of the Salang tunnel",
        "creditline": "Photo: Farid Ahmadi",
    }
    credit = {d["role"]: d["value"] for d in document["descriptions"]}["creditline"]
    assert credit == "First published in the Kabul Engineering Review."


def test_ninjs_carries_corrections_and_updates_and_tells_editors() -> None:
    document = ninjs3(corrected_story())

    assert document["version"] == "3"
    assert document["versionCreated"] == "2025-05-02T14:30:00Z"
    assert document["firstCreated"] == "2025-05-02T09:30:00Z"
    assert document["pubStatus"] == "usable"
    by_role = {d["role"]: d for d in document["descriptions"]}
    assert by_role["correction"] == {
        "role": "correction",
        "contentType": "text/plain",
        "value": "2025-05-02T14:30:00Z: "
        "An earlier version gave the pass's height as 4,300 m.",
    }
    assert by_role["update"]["contentType"] == "text/html"
    assert by_role["update"]["value"].endswith(
        "<p>The road reopened to <b>southbound</b> traffic.</p>"
    )
    assert '<time datetime="2025-05-02T11:30:00Z">' in by_role["update"]["value"]
    assert document["edNote"] == (
        "Corrected (2025-05-02T14:30:00Z): "
        "An earlier version gave the pass's height as 4,300 m."
    )


def test_ninjs_marks_a_later_version_without_correction_as_replacing() -> None:
    document = ninjs3(make_item(version=2))

    assert document["edNote"] == "Version 2: replaces the earlier versions."


def test_ninjs_withholds_an_embargoed_story_until_its_time() -> None:
    document = ninjs3(embargoed_story())

    assert document["pubStatus"] == "withheld"
    assert document["embargoedUntil"] == "2025-05-03T06:00:00Z"
    assert document["edNote"] == (
        "Embargoed: not for publication before 2025-05-03T06:00:00Z."
    )
    assert document["bodies"]  # partners with the right get the copy


@pytest.mark.parametrize("writer", [ninjs3, ninjs2])
def test_ninjs_kill_names_the_story_and_the_reason_without_its_copy(
    writer: Callable[[Item], dict[str, Any]],
) -> None:
    document = writer(killed_story())
    status = "pubStatus" if writer is ninjs3 else "pubstatus"
    note = "edNote" if writer is ninjs3 else "ednote"

    assert document["uri"] == "urn:newsdesk:news.example:story:101"
    assert document["version"] == "2"
    assert document[status] == "canceled"
    assert document[note].startswith("Killed: do not use this story")
    assert document[note].endswith(f"Reason: {KILL_REASON}")
    assert document["headlines"][0]["value"] == "Floods close the Salang pass"
    for copy in ("bodies", "descriptions", "associations", "renditions", "people"):
        assert copy not in document


def test_ninjs_withdrawal_without_a_reason_says_withdrawn() -> None:
    document = ninjs3(withdrawn_story())

    assert document["pubStatus"] == "canceled"
    assert document["edNote"].startswith("Withdrawn: do not use this story")
    assert "Reason" not in document["edNote"]


def test_ninjs_keeps_a_dari_story_in_its_language() -> None:
    document = ninjs3(dari_story())

    assert document["language"] == "prs"
    assert document["headlines"][0]["value"] == DARI_HEADLINE
    assert document["by"] == "مریم نوری، فرید احمدی"
    assert document["located"] == "کابل"
    assert document["subjects"][0] == {"name": "جهان", "literal": "section:prs-world"}
    assert "رانش زمین" in document["bodies"][1]["value"]


@pytest.mark.parametrize("writer", [ninjs3, ninjs2])
def test_ninjs_strips_control_characters_and_keeps_markup_as_text(
    writer: Callable[[Item], dict[str, Any]],
) -> None:
    document = writer(hostile_story())
    text = json.dumps(document, ensure_ascii=False)

    assert NOT_XML.search(text) is None
    assert document["headlines"][0]["value"] == (
        "Breaking]]> <script>alert('x')</script> & more"
    )
    assert document["headlines"][0]["value"] == HOSTILE_HEADLINE.replace(CONTROLS, "")
    assert document["by"] == "Name <i>"
    plain = next(b for b in document["bodies"] if b["role"] == "text")["value"]
    assert plain == "Body ]]> text\n\nclicked"  # the script is not text


# --- NewsML-G2: what partners read ----------------------------------------------


def _item_of(document: bytes) -> Any:
    (item,) = etree.fromstring(document).iterfind(".//n:newsItem", NS)
    return item


def _text(item: Any, path: str) -> list[str]:
    return [e.text or "" for e in item.iterfind(path, NS)]


def _qcodes(item: Any, path: str) -> list[str]:
    return [e.get("qcode") for e in item.iterfind(path, NS)]


def test_newsml_g2_gives_a_plain_story_its_identity_times_and_text() -> None:
    item = plain_story()

    news_item = _item_of(newsml_g2([item]))

    assert news_item.get("guid") == "urn:newsdesk:news.example:story:101"
    assert news_item.get("version") == "1"
    assert news_item.get("standard") == "NewsML-G2"
    assert news_item.get("standardversion") == "2.35"
    assert news_item.get("conformance") == "power"
    assert news_item.get(XML_LANG) == "en"
    catalog = news_item.find("n:catalogRef", NS).get("href")
    assert catalog.startswith(
        "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_"
    )
    assert _qcodes(news_item, "n:itemMeta/n:itemClass") == ["ninat:text"]
    assert news_item.find("n:itemMeta/n:provider", NS).get("uri") == (
        "https://news.example/"
    )
    assert _text(news_item, "n:itemMeta/n:versionCreated") == ["2025-05-02T09:30:00Z"]
    assert _text(news_item, "n:itemMeta/n:firstCreated") == ["2025-05-02T09:30:00Z"]
    assert _qcodes(news_item, "n:itemMeta/n:pubStatus") == ["stat:usable"]
    assert news_item.find("n:itemMeta/n:embargoed", NS) is None
    assert news_item.find("n:itemMeta/n:edNote", NS) is None
    assert _qcodes(news_item, "n:itemMeta/n:signal") == []
    (page,) = news_item.iterfind("n:itemMeta/n:link", NS)
    assert (page.get("rel"), page.get("href")) == ("irel:seeAlso", item.uri)
    assert _text(news_item, "n:rightsInfo/n:copyrightHolder/n:name") == ["Newsdesk"]
    assert _text(news_item, "n:rightsInfo/n:usageTerms") == [item.usage_terms]
    meta = "n:contentMeta/"
    assert _text(news_item, meta + "n:headline") == ["Floods close the Salang pass"]
    assert _text(news_item, meta + "n:description[@role='drol:summary']") == [
        item.summary
    ]
    assert _text(news_item, meta + "n:creator/n:name") == ["Mariam Noori"]
    assert _text(news_item, meta + "n:by") == ["Mariam Noori"]
    assert news_item.find(meta + "n:language", NS).get("tag") == "en"
    assert _text(news_item, meta + "n:located/n:name") == ["KABUL"]
    assert _text(news_item, meta + "n:dateline") == ["KABUL"]
    assert _text(news_item, meta + "n:subject/n:name") == ["World", "Floods", "Salang"]
    assert [s.get("literal") for s in news_item.iterfind(meta + "n:subject", NS)] == [
        "section:world",
        "tag:Floods",
        "tag:Salang",
    ]
    assert _text(news_item, meta + "n:genre/n:name") == ["News"]
    inline = news_item.find("n:contentSet/n:inlineXML", NS)
    assert inline.get("contenttype") == "application/xhtml+xml"
    assert _text(inline, "h:html/h:head/h:title") == ["Floods close the Salang pass"]
    assert _text(inline, "h:html/h:body/h:p") == [
        "Mudslides closed the Salang pass on Tuesday.",
        "Drivers were told to wait in Jabal Saraj.",
    ]


def test_newsml_g2_gives_every_author_and_links_the_lead_image() -> None:
    news_item = _item_of(newsml_g2([opinion_with_image()]))

    creators = news_item.findall("n:contentMeta/n:creator", NS)
    assert [(c.get("uri"), c.findtext("n:name", namespaces=NS)) for c in creators] == [
        ("https://news.example/authors/farid/", "Farid Ahmadi"),
        (None, "Lena Vogt"),
    ]
    assert _text(news_item, "n:contentMeta/n:by") == ["Farid Ahmadi, Lena Vogt"]
    assert _text(news_item, "n:contentMeta/n:genre/n:name") == ["Opinion"]
    (image,) = news_item.iterfind("n:itemMeta/n:link[@rel='irel:associatedWith']", NS)
    assert (
        image.get("href") == "https://news.example/media/images/salang.width-1200.jpg"
    )
    assert image.get("contenttype") == "image/jpeg"
    assert image.get("title") == (
        "Lorries queue at the southern mouth of the Salang tunnel"
    )
    assert _qcodes(image, "n:itemClass") == ["ninat:picture"]
    assert _text(image, "n:description[@role='drol:caption']") == [
        "The Salang tunnel, 3,400 m up, on Monday."
    ]
    assert _text(image, "n:creditline") == ["Photo: Farid Ahmadi"]
    body = news_item.find("n:contentSet/n:inlineXML/h:html/h:body", NS)
    # The editor's image and quote, straight in the body, sit where XHTML 1.0
    # Strict lets them: inside a paragraph.
    assert body.find("h:p/h:img", NS).get("alt") == "The tunnel mouth"
    assert _text(body, "h:blockquote/h:p") == ["We patch it every spring."]


def test_newsml_g2_signals_a_correction_and_carries_its_note() -> None:
    news_item = _item_of(newsml_g2([corrected_story()]))

    assert news_item.get("version") == "3"
    assert _qcodes(news_item, "n:itemMeta/n:signal") == ["sig:correction", "sig:update"]
    assert _text(news_item, "n:itemMeta/n:edNote") == [
        "Corrected (2025-05-02T14:30:00Z): "
        "An earlier version gave the pass's height as 4,300 m."
    ]
    body = news_item.find("n:contentSet/n:inlineXML/h:html/h:body", NS)
    correction = body.find("h:div[@class='corrections']/h:p[@class='correction']", NS)
    assert "".join(correction.itertext()) == (
        "2025-05-02T14:30:00Z An earlier version gave the pass's height as 4,300 m."
    )
    update = body.find("h:div[@class='updates']/h:div[@class='update']", NS)
    assert "".join(update.itertext()) == (
        "2025-05-02T11:30:00ZThe road reopened to southbound traffic."
    )


def test_newsml_g2_withholds_an_embargoed_story_until_its_time() -> None:
    news_item = _item_of(newsml_g2([embargoed_story()]))

    assert _qcodes(news_item, "n:itemMeta/n:pubStatus") == ["stat:withheld"]
    assert _text(news_item, "n:itemMeta/n:embargoed") == ["2025-05-03T06:00:00Z"]
    assert _text(news_item, "n:itemMeta/n:edNote") == [
        "Embargoed: not for publication before 2025-05-03T06:00:00Z."
    ]
    assert news_item.find("n:contentSet", NS) is not None


def test_newsml_g2_kill_names_the_story_and_the_reason_without_its_copy() -> None:
    news_item = _item_of(newsml_g2([killed_story()]))

    assert news_item.get("guid") == "urn:newsdesk:news.example:story:101"
    assert news_item.get("version") == "2"
    assert _qcodes(news_item, "n:itemMeta/n:pubStatus") == ["stat:canceled"]
    (note,) = _text(news_item, "n:itemMeta/n:edNote")
    assert note.endswith(f"Reason: {KILL_REASON}")
    assert _text(news_item, "n:contentMeta/n:headline") == [
        "Floods close the Salang pass"
    ]
    assert news_item.find("n:contentSet", NS) is None
    assert news_item.find("n:itemMeta/n:link", NS) is None
    assert news_item.find("n:contentMeta/n:description", NS) is None


def test_newsml_g2_writes_a_dari_story_right_to_left() -> None:
    news_item = _item_of(newsml_g2([dari_story()]))

    assert (news_item.get(XML_LANG), news_item.get("dir")) == ("prs", "rtl")
    assert news_item.find("n:contentMeta/n:language", NS).get("tag") == "prs"
    assert _text(news_item, "n:contentMeta/n:headline") == [DARI_HEADLINE]
    assert _text(news_item, "n:contentMeta/n:by") == ["مریم نوری، فرید احمدی"]
    html = news_item.find("n:contentSet/n:inlineXML/h:html", NS)
    assert (html.get("lang"), html.get("dir")) == ("prs", "rtl")


def test_newsml_g2_marks_its_english_notes_left_to_right_in_a_dari_story() -> None:
    news_item = _item_of(newsml_g2([dataclasses.replace(dari_story(), version=2)]))

    (note,) = news_item.iterfind("n:itemMeta/n:edNote", NS)
    assert (note.get(XML_LANG), note.get("dir")) == ("en", "ltr")


def test_newsml_g2_strips_control_characters_and_escapes_markup() -> None:
    document = newsml_g2([hostile_story()])
    news_item = _item_of(document)

    assert NOT_XML.search(document.decode("utf-8")) is None
    assert b"<![CDATA[" not in document
    assert b"<script" not in document
    assert _text(news_item, "n:contentMeta/n:headline") == [
        "Breaking]]> <script>alert('x')</script> & more"
    ]
    assert _text(news_item, "n:contentMeta/n:by") == ["Name <i>"]
    body = news_item.find("n:contentSet/n:inlineXML/h:html/h:body", NS)
    assert body.find(".//h:script", NS) is None
    assert all(not name.startswith("on") for e in body.iter() for name in e.attrib)
    assert _text(body, "h:p") == ["Body ]]> text", "clicked"]


def test_newsml_g2_message_holds_every_item_in_order_dated_by_the_newest() -> None:
    items = [plain_story(), corrected_story(), dari_story()]

    document = newsml_g2(items)
    root = etree.fromstring(document)

    assert root.tag == NAR + "newsMessage"
    assert [i.get("guid") for i in root.iterfind("n:itemSet/n:newsItem", NS)] == [
        i.guid for i in items
    ]
    assert root.findtext("n:header/n:sent", namespaces=NS) == "2025-05-02T14:30:00Z"
    assert newsml_problems(document) == []


def test_the_same_items_give_the_same_bytes() -> None:
    """A partner asking again gets the same answer, so its ETag still matches."""
    items = [plain_story(), opinion_with_image()]

    assert newsml_g2(items) == newsml_g2(list(items))
    assert ninjs3(items[1]) == ninjs3(opinion_with_image())


def test_a_message_can_be_dated_by_its_sender() -> None:
    sent = FIRST_PUBLISHED.replace(hour=12, minute=0)

    root = etree.fromstring(newsml_g2([plain_story()], sent=sent))

    assert root.findtext("n:header/n:sent", namespaces=NS) == "2025-05-02T12:00:00Z"


def test_a_message_without_items_is_the_same_every_time() -> None:
    """NewsML-G2 wants at least one item in a message, so an empty one (a poll with
    nothing new) is well-formed but not valid; it is at least stable."""
    document = newsml_g2([])
    root = etree.fromstring(document)

    assert document == newsml_g2([])
    assert root.find("n:itemSet", NS) is not None
    assert len(root.find("n:itemSet", NS)) == 0
    assert any("itemSet" in p for p in newsml_problems(document))


def test_embargo_time_is_the_items_in_every_format() -> None:
    item = embargoed_story()

    assert item.embargo_until == EMBARGO
    assert ninjs3(item)["embargoedUntil"] == ninjs2(item)["embargoed"]
    news_item = _item_of(newsml_g2([item]))
    assert _text(news_item, "n:itemMeta/n:embargoed") == [
        ninjs3(item)["embargoedUntil"]
    ]
