"""What every format needs from an item: clean text, times, the writing direction,
the byline, the notes for the partner's editors and the plain text of the body."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import lxml.html  # type: ignore[import-untyped]  # lxml ships no type hints

from newsdesk.syndication.items import Item

# A JSON document as json.dumps takes it.
JsonValue = (
    str | int | float | bool | None | Sequence["JsonValue"] | Mapping[str, "JsonValue"]
)
JsonObject = dict[str, JsonValue]

# XML 1.0's Char production leaves out the C0 controls but tab, LF and CR, the
# surrogates, U+FFFE and U+FFFF; its section 2.2 discourages the C1 controls and
# the other non-characters. None of them belongs in a story, in any format: a
# partner's XML tooling would refuse the whole message, and JSON tooling often
# passes them on to XML later.
_NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
# The non-characters beyond the first plane (U+1FFFE ... U+10FFFF) are looked for
# only in text that has characters there: in the class above they make every
# search many times slower.
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")
_NONCHARACTERS_BEYOND_BMP = re.compile(
    "["
    + "".join(
        chr(plane * 0x10000 + 0xFFFE) + "-" + chr(plane * 0x10000 + 0xFFFF)
        for plane in range(1, 17)
    )
    + "]"
)
_SPACES = re.compile(r"\s+")

# Primary language subtags written right to left (Dari is "prs", Pashto "ps").
# fmt: off
_RTL_LANGUAGES = frozenset({
    "ar", "arc", "ckb", "dv", "fa", "he", "khw", "ks", "prs", "ps", "sd", "ug", "ur",
    "yi",
})
# fmt: on
# Languages written in Arabic script separate the names of a byline with "،".
_ARABIC_COMMA_LANGUAGES = _RTL_LANGUAGES - {"he", "yi"}

GENRE_NAMES = {
    "news": "News",
    "opinion": "Opinion",
    "editorial": "Editorial",
    "analysis": "Analysis",
    "feature": "Feature",
}

# fmt: off
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "ol", "p", "pre", "section", "table", "tr", "ul",
})
# Elements whose content is never story text (scripts, styles, embedded objects,
# form controls): left out of the text and the XHTML body.
NOT_TEXT = frozenset({
    "applet", "base", "button", "col", "colgroup", "datalist", "embed", "frame",
    "frameset", "head", "iframe", "input", "link", "math", "meta", "noembed",
    "noframes", "noscript", "object", "optgroup", "option", "param", "script",
    "select", "style", "svg", "template", "textarea", "title",
})
# fmt: on
_PARAGRAPH = "\u2029"  # markers the whitespace clean-up turns back into breaks
_LINE = "\u2028"


def clean(text: str) -> str:
    """Return text without the characters XML 1.0 cannot carry or discourages."""
    text = _NOT_XML.sub("", text)
    if _BEYOND_BMP.search(text):
        text = _NONCHARACTERS_BEYOND_BMP.sub("", text)
    return text


def clean_line(text: str) -> str:
    """Return text cleaned and on one line, its runs of white space made one space:
    for headlines, names and attribute values."""
    return _SPACES.sub(" ", clean(text)).strip()


def iso(at: dt.datetime) -> str:
    """Return a time as RFC 3339 in UTC ("2025-05-02T10:00:00Z"), as ninjs's
    ``date-time`` and NewsML-G2's ``xs:dateTime`` take it. A naive time (which an
    item should never hold) is taken to be UTC rather than the server's zone."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def primary_language(language: str) -> str:
    """Return the primary subtag of a BCP 47 tag, lower-cased ("prs" of "prs-AF")."""
    return language.split("-", 1)[0].strip().lower()


def is_rtl(language: str) -> bool:
    """Say whether text in this language is written right to left."""
    return primary_language(language) in _RTL_LANGUAGES


def byline(item: Item) -> str:
    """Return the names of the byline as one natural-language line."""
    comma = "، " if primary_language(item.language) in _ARABIC_COMMA_LANGUAGES else ", "
    return comma.join(n for n in (clean_line(a.name) for a in item.authors) if n)


def version_created(item: Item) -> dt.datetime:
    """Return when this version was made (NewsML-G2 requires it)."""
    at = item.version_created_at or item.first_published_at
    if at is None:
        # Every item made by story_item has one; an item without would otherwise
        # make a partner's whole message invalid.
        at = dt.datetime.now(dt.UTC)
    return at


def is_withdrawn(item: Item) -> bool:
    """Say whether the item is killed or withdrawn: partners get a notice naming
    it, never its copy again (a kill is often for a legal or safety reason)."""
    return item.status == "canceled"


def editor_notes(item: Item) -> list[str]:
    """Return the notes for the partner's editors, not for publication: the embargo,
    the kill and its reason, what this version changes."""
    notes = []
    if item.status == "withheld":
        if item.embargo_until is not None:
            notes.append(
                f"Embargoed: not for publication before {iso(item.embargo_until)}."
            )
        else:
            notes.append("Withheld: not for publication until a later version.")
    elif item.status == "canceled":
        reason = clean_line(item.kill_reason)
        what = "Killed" if reason else "Withdrawn"
        notes.append(
            f"{what}: do not use this story, and take it down wherever it was"
            " published." + (f" Reason: {reason}" if reason else "")
        )
        return notes
    if item.version > 1 and _corrected(item):
        latest = max(item.corrections, key=lambda note: note.at)
        notes.append(f"Corrected ({iso(latest.at)}): {clean_line(latest.text)}")
    elif item.version > 1:
        notes.append(f"Version {item.version}: replaces the earlier versions.")
    return notes


def _corrected(item: Item) -> bool:
    # Items stored before they said what made them: any correction counts.
    if item.change:
        return item.change == "corrected"
    return bool(item.corrections)


def signals(item: Item) -> list[str]:
    """Return the IPTC signals (http://cv.iptc.org/newscodes/signal/) of this
    version: "correction" when a correction made it, "update" for any version
    after the first."""
    if item.status == "canceled" or item.version < 2:
        return []
    return (["correction"] if _corrected(item) else []) + ["update"]


def html_fragment(html: str) -> lxml.html.HtmlElement:
    """Return sanitised HTML parsed as the children of a ``div``."""
    return lxml.html.fragment_fromstring(clean(html), create_parent="div")


def plain_text(html: str) -> str:
    """Return the text of HTML: paragraphs apart by a blank line, ``br`` as a line
    break, scripts and styles left out."""
    root = html_fragment(html)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.tag in NOT_TEXT:
            element.drop_tree()
        elif element.tag == "br":
            element.tail = _LINE + (element.tail or "")
        elif element.tag in _BLOCKS:
            element.text = _PARAGRAPH + (element.text or "")
            element.tail = _PARAGRAPH + (element.tail or "")
    paragraphs = []
    for paragraph in root.text_content().split(_PARAGRAPH):
        lines = (_SPACES.sub(" ", line).strip() for line in paragraph.split(_LINE))
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)
