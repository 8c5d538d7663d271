"""IPTC NewsML-G2 2.35 (https://iptc.org/standards/newsml-g2/): items as
``newsItem`` elements, sent together in a ``newsMessage``.

QCodes come only from IPTC NewsCodes, resolved through the IPTC catalog every item
refers to: ``ninat`` (nature), ``stat`` (publication status), ``sig`` (signal),
``irel`` (item relation), ``drol`` (description role), ``cpnat`` (concept nature).
What has no IPTC code (the section, the tags, the story's kind) is a ``literal``
with a name, never a made-up scheme.

The body travels as XHTML 1.0 Strict inside ``inlineXML`` (see ``_xhtml``). All
XML is built with lxml, which escapes every text and attribute value, never
writing CDATA: a "]]>" or a "<script>" in a headline is just text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints

from newsdesk.syndication.items import Item, ItemImage

from . import _xhtml as xhtml
from ._common import (
    GENRE_NAMES,
    byline,
    clean,
    clean_line,
    editor_notes,
    html_fragment,
    is_rtl,
    is_withdrawn,
    iso,
    plain_text,
    signals,
    version_created,
)

NAR = "http://iptc.org/std/nar/2006-10-01/"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The newest IPTC catalog that IPTC's own NewsML-G2 2.35 examples refer to.
IPTC_CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_40.xml"
STANDARD_VERSION = "2.35"

# When a message holds no item there is no item to date it by; a fixed time keeps
# the same answer byte for byte (and so its ETag) from one poll to the next.
_NO_ITEMS_SENT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def newsml_g2(items: Iterable[Item], *, sent: dt.datetime | None = None) -> bytes:
    """Return a NewsML-G2 ``newsMessage`` holding a ``newsItem`` for each item.

    ``sent`` dates the message; by default it is when the newest of its items was
    made. NewsML-G2 requires at least one item in a message: given none, the
    message has an empty ``itemSet``, which strict partners refuse.
    """
    items = list(items)
    if sent is None:
        sent = max((version_created(item) for item in items), default=_NO_ITEMS_SENT)
    message = etree.Element(_nar("newsMessage"), nsmap={None: NAR})
    header = _sub(message, "header")
    _sub(header, "sent", iso(sent))
    item_set = _sub(message, "itemSet")
    item_set.extend(_news_item(item) for item in items)
    return _serialise(message)


def newsml_g2_item(item: Item) -> bytes:
    """Return one item as a standalone NewsML-G2 ``newsItem`` document."""
    return _serialise(_news_item(item))


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _nar(name: str) -> str:
    return f"{{{NAR}}}{name}"


def _sub(
    parent: etree._Element, name: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, _nar(name), attributes)
    if text is not None:
        element.text = text
    return element


def _news_item(item: Item) -> etree._Element:
    root = etree.Element(
        _nar("newsItem"),
        {
            "guid": clean_line(item.guid),
            "version": str(item.version),
            "standard": "NewsML-G2",
            "standardversion": STANDARD_VERSION,
            "conformance": "power",
        },
        nsmap={None: NAR},
    )
    language = _language(item)
    if language:
        root.set(XML_LANG, language)
        if is_rtl(language):
            root.set("dir", "rtl")
    _sub(root, "catalogRef", href=IPTC_CATALOG)
    _rights_info(root, item)
    _item_meta(root, item)
    _content_meta(root, item, language)
    if not is_withdrawn(item) and (
        item.body_html.strip() or item.corrections or item.updates
    ):
        _content_set(root, item, language)
    return root


def _language(item: Item) -> str:
    # xml:lang and <language tag> take a BCP 47 tag (xs:language); anything else
    # the item holds is left out rather than made invalid.
    language = clean_line(item.language)
    if re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", language):
        return language
    return ""


def _rights_info(root: etree._Element, item: Item) -> None:
    holder = clean_line(item.copyright_holder)
    terms = clean_line(item.usage_terms)
    if not holder and not terms:
        return
    rights = _sub(root, "rightsInfo")
    if holder:
        _sub(_sub(rights, "copyrightHolder"), "name", holder)
    if terms:
        _sub(rights, "usageTerms", terms)


def _item_meta(root: etree._Element, item: Item) -> None:
    meta = _sub(root, "itemMeta")
    _sub(meta, "itemClass", qcode="ninat:text")
    provider = _sub(meta, "provider", **_provider(item))
    if holder := clean_line(item.copyright_holder):
        _sub(provider, "name", holder)
    _sub(meta, "versionCreated", iso(version_created(item)))
    if item.first_published_at is not None:
        _sub(meta, "firstCreated", iso(item.first_published_at))
    if item.embargo_until is not None:
        _sub(meta, "embargoed", iso(item.embargo_until))
    _sub(meta, "pubStatus", qcode=f"stat:{item.status}")
    # The notes are the agency's English, also in a Dari or Pashto item.
    english = {XML_LANG: "en"}
    if is_rtl(item.language):
        english["dir"] = "ltr"
    for note in editor_notes(item):
        _sub(meta, "edNote", note, **english)
    for signal in signals(item):
        _sub(meta, "signal", qcode=f"sig:{signal}")
    if is_withdrawn(item):
        return
    if item.uri:
        _sub(
            meta,
            "link",
            rel="irel:seeAlso",
            href=clean(item.uri),
            contenttype="text/html",
        )
    if item.image is not None and item.image.uri:
        _image_link(meta, item.image)


def _provider(item: Item) -> dict[str, str]:
    # The agency is known by its site's address (the item's page is on it); IPTC's
    # own provider codes are for agencies IPTC lists.
    parts = urlsplit(clean_line(item.uri))
    if parts.scheme and parts.netloc:
        return {"uri": f"{parts.scheme}://{parts.netloc}/"}
    return {"literal": clean_line(item.copyright_holder) or "newsdesk"}


def _image_link(meta: etree._Element, image: ItemImage) -> None:
    """Link the lead image, with the properties a partner needs before fetching it
    as hints (a link's children, which the schema allows from the NAR namespace):
    what it is, its caption and its credit. The alt text is the link's title,
    "a short natural-language name for the target resource"; NewsML-G2 has no
    width or height for a link, ninjs carries them."""
    attributes = {"rel": "irel:associatedWith", "href": clean(image.uri)}
    if image.media_type:
        attributes["contenttype"] = clean_line(image.media_type)
    if alt := clean_line(image.alt):
        attributes["title"] = alt
    link = _sub(meta, "link", **attributes)
    _sub(link, "itemClass", qcode="ninat:picture")
    if caption := clean_line(image.caption):
        _sub(link, "description", caption, role="drol:caption")
    if credit := clean_line(image.credit):
        _sub(link, "creditline", credit)


def _content_meta(root: etree._Element, item: Item, language: str) -> None:
    meta = _sub(root, "contentMeta")
    # Administrative properties first, then descriptive ones: the schema's order.
    withdrawn = is_withdrawn(item)
    if not withdrawn:
        if dateline := clean_line(item.dateline):
            _sub(_sub(meta, "located"), "name", dateline)
        for author in item.authors:
            if name := clean_line(author.name):
                kind = "organisation" if author.kind == "organisation" else "person"
                attributes = {"type": f"cpnat:{kind}"}
                if author.uri:
                    attributes["uri"] = clean(author.uri)
                _sub(_sub(meta, "creator", **attributes), "name", name)
    if language:
        _sub(meta, "language", tag=language)
    if not withdrawn:
        if item.kind:
            genre = _sub(meta, "genre", literal=clean_line(item.kind))
            _sub(genre, "name", GENRE_NAMES.get(item.kind, item.kind.title()))
        if section := clean_line(item.section):
            slug = clean_line(item.section_slug) or section
            subject = _sub(
                meta, "subject", type="cpnat:abstract", literal=f"section:{slug}"
            )
            _sub(subject, "name", section)
        tags = [name for name in (clean_line(tag) for tag in item.tags) if name]
        for tag in tags:
            subject = _sub(meta, "subject", type="cpnat:abstract", literal=f"tag:{tag}")
            _sub(subject, "name", tag)
        for tag in tags:
            _sub(meta, "keyword", tag)
    _sub(meta, "headline", clean_line(item.headline))
    if withdrawn:
        return
    if dateline := clean_line(item.dateline):
        _sub(meta, "dateline", dateline)
    if by := byline(item):
        _sub(meta, "by", by)
    if credit := clean_line(item.source_credit):
        _sub(meta, "creditline", credit)
    if summary := clean_line(item.summary):
        _sub(meta, "description", summary, role="drol:summary")


def _content_set(root: etree._Element, item: Item, language: str) -> None:
    html = _xhtml(item, language)
    attributes = {"contenttype": "application/xhtml+xml"}
    if words := len(plain_text(item.body_html).split()):
        attributes["wordcount"] = str(words)
    if language:
        attributes[XML_LANG] = language
    inline = _sub(_sub(root, "contentSet"), "inlineXML", **attributes)
    inline.append(html)


def _xhtml(item: Item, language: str) -> etree._Element:
    """Return the story as an XHTML document: the body, then its corrections and
    updates, each marked with a class and its time, as the reader site shows them
    with the story (NewsML-G2 has no IPTC description role for them)."""
    html = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
    if language:
        html.set("lang", language)
        html.set(XML_LANG, language)
        if is_rtl(language):
            html.set("dir", "rtl")
    head = xhtml.element(html, "head")
    xhtml.element(head, "title", clean_line(item.headline))
    body = xhtml.element(html, "body")
    xhtml.fill(body, html_fragment(item.body_html))
    if item.corrections:
        box = xhtml.element(body, "div", **{"class": "corrections"})
        for note in sorted(item.corrections, key=lambda n: n.at):
            paragraph = xhtml.element(box, "p", **{"class": "correction"})
            _time(paragraph, note.at).tail = f" {clean_line(note.text)}"
    if item.updates:
        box = xhtml.element(body, "div", **{"class": "updates"})
        for note in sorted(item.updates, key=lambda n: n.at):
            update = xhtml.element(box, "div", **{"class": "update"})
            _time(xhtml.element(update, "p"), note.at)
            xhtml.fill(update, html_fragment(note.text))
    return html


def _time(parent: etree._Element, at: dt.datetime) -> etree._Element:
    # XHTML 1.0 has no <time>: the time is the text, and its class says what it is.
    return xhtml.element(parent, "span", iso(at), **{"class": "time"})
