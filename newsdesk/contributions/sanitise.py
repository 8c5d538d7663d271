"""Reduce contributor HTML to what the newsroom's rich-text editor can hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape, unescape

import nh3

# The tags behind BODY_FEATURES in newsdesk/stories/models.py (bold and italic
# arrive as either spelling; links, lists, quotes and rules as themselves).
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "h2",
        "h3",
        "h4",
        "b",
        "strong",
        "i",
        "em",
        "ul",
        "ol",
        "li",
        "a",
        "blockquote",
        "hr",
    }
)
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Tags whose text never belongs in a story: code, styling, embedded documents and
# the head of a full HTML mail.
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "noscript",
        "noembed",
        "noframes",
        "template",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "title",
        "head",
        "select",
        "textarea",
        "button",
    }
)

# Headings the editor lacks become the nearest one it has.
_RENAMED = {"h1": "h2", "h5": "h4", "h6": "h4"}
# Block wrappers from mail programs (one <div> per line in many of them) become
# paragraphs, so their text does not run together.
_BLOCKS_AS_PARAGRAPHS = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "main",
        "nav",
        "center",
        "address",
        "pre",
        "figure",
        "figcaption",
        "caption",
        "td",
        "th",
        "dt",
        "dd",
    }
)
for _name in _BLOCKS_AS_PARAGRAPHS:
    _RENAMED[_name] = "p"

_FIRST_PASS = nh3.Cleaner(
    tags=set(ALLOWED_TAGS | _RENAMED.keys()),
    clean_content_tags=set(_DROPPED_WITH_CONTENT),
    attributes={"*": set(), "a": {"href"}},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    # Relative links mean nothing outside the sender's own site.
    url_relative="deny",
    link_rel=None,
    strip_comments=True,
)
_FINAL_PASS = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROPPED_WITH_CONTENT),
    attributes={"*": set(), "a": {"href"}},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    url_relative="deny",
    link_rel=None,
    strip_comments=True,
)

# In nh3's output every "<" that is not a tag is escaped, also inside attribute
# values, so this matches tags and nothing else.
_TAG = re.compile(r"<(/?)([a-z][a-z0-9]*)((?:\s[^<>]*)?)>")
# Control characters other than tab and newline are invalid in HTML text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_EMPTY_ELEMENT = re.compile(
    r"<(p|h2|h3|h4|blockquote|b|strong|i|em)>(?:\s|&nbsp;|<br>)*</\1>"
)
_BLOCK = r"(?:p|h2|h3|h4|ul|ol|li|blockquote)"
# Line breaks between blocks are layout in the source, not text.
_SPACE_BETWEEN_BLOCKS = re.compile(rf"(</?{_BLOCK}>|<hr>)\s+(?=</?{_BLOCK}>|<hr>)")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_MAX_PASSES = 4

# html5 tree building slows down with the square of the nesting depth (50,000
# nested <div>s take seconds), so elements nested deeper than this lose their tags.
MAX_NESTING = 100
NESTING_FLATTENED = (
    f"The message's formatting was nested more than {MAX_NESTING} levels deep; "
    "the deeper formatting was removed, the text kept."
)
_SOURCE_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^<>]*)>")
# Elements that never hold others, and those whose end tag may be left out (the
# parser closes them itself, so they cannot nest without an end tag).
_ESCAPES_PER_RUN = 64
_SOURCE_MARKUP = re.compile(r"<[^<>]*>")
_ESCAPE = re.compile(r"&#?\w*;?|\xa0")
_NOT_NESTING = frozenset(
    {
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "html",
        "head",
        "body",
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
        "rb",
        "rt",
        "rp",
        "rtc",
    }
)


@dataclass(frozen=True)
class SanitisedHtml:
    """Contributor HTML reduced to the allow-list, and whether formatting was lost."""

    html: str
    # Tags nested deeper than MAX_NESTING were removed (their text kept).
    flattened: bool = False


def sanitise_html(html: str) -> str:
    """Return contributor HTML reduced to the newsroom's allow-list of tags and attributes."""
    return sanitise_html_checked(html).html


def sanitise_html_checked(html: str) -> SanitisedHtml:
    """Return contributor HTML reduced to the allow-list, saying whether formatting
    nested too deep was flattened (which its writer should be told)."""
    current = _CONTROL.sub("", html.replace("\r\n", "\n").replace("\r", "\n"))
    current, flattened = _limit_nesting(current)
    for _ in range(_MAX_PASSES):
        cleaned = _sanitise_once(current)
        if cleaned == current:
            break
        current = cleaned
    return SanitisedHtml(html=current, flattened=flattened)


def _break_text_runs(markup: str) -> str:
    # html5ever slows down with the square of the character references (and
    # no-break spaces) in one text node; an empty comment after every few dozen
    # splits the node, and the sanitiser strips the comments again.
    if markup.count("&") + markup.count("\xa0") < _ESCAPES_PER_RUN:
        return markup
    pieces: list[str] = []
    position = 0
    for match in _SOURCE_MARKUP.finditer(markup):
        pieces.append(_split_escapes(markup[position : match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(_split_escapes(markup[position:]))
    return "".join(pieces)


def _split_escapes(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for count, match in enumerate(_ESCAPE.finditer(text), start=1):
        if count % _ESCAPES_PER_RUN == 0:
            pieces.append(text[position : match.end()])
            pieces.append("<!---->")
            position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)


def _limit_nesting(markup: str) -> tuple[str, bool]:
    """Return the markup without the start tags nested past MAX_NESTING, and
    whether there were any."""
    # A rough count over the source, not a parse: it only has to keep the depth the
    # html5 parser will build bounded; ordinary mail never comes near the limit.
    open_tags: list[str] = []
    dropped = False

    def replace(match: re.Match[str]) -> str:
        nonlocal dropped
        name = match.group(2).lower()
        if name in _NOT_NESTING:
            return match.group(0)
        if match.group(1):
            if name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
            return match.group(0)
        if match.group(3).endswith("/"):
            return match.group(0)
        if len(open_tags) >= MAX_NESTING:
            dropped = True
            return ""
        open_tags.append(name)
        return match.group(0)

    return _SOURCE_TAG.sub(replace, markup), dropped


def _sanitise_once(markup: str) -> str:
    markup = _FIRST_PASS.clean(_break_text_runs(markup))
    markup = _FINAL_PASS.clean(_break_text_runs(_rename_tags(markup)))
    markup = _SPACE_BETWEEN_BLOCKS.sub(r"\1", markup)
    previous = None
    while previous != markup:
        previous = markup
        markup = _EMPTY_ELEMENT.sub("", markup)
    return markup.strip()


def _rename_tags(markup: str) -> str:
    # A link whose address was refused keeps its text but loses the <a> around it;
    # links never nest in parsed HTML, so one flag per open link is enough.
    open_links: list[bool] = []

    def replace(match: re.Match[str]) -> str:
        closing, name, rest = match.group(1), match.group(2), match.group(3)
        if name == "a":
            if closing:
                kept = open_links.pop() if open_links else False
                return match.group(0) if kept else ""
            kept = "href=" in rest
            open_links.append(kept)
            return match.group(0) if kept else ""
        renamed = _RENAMED.get(name)
        if renamed is None:
            return match.group(0)
        return f"<{closing}{renamed}>"

    return _TAG.sub(replace, markup)


def text_to_html(text: str) -> str:
    """Return plain text as escaped HTML paragraphs."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = []
    for block in _BLANK_LINES.split(text):
        lines = [line.strip() for line in block.split("\n")]
        lines = [_escape(line) for line in lines if line]
        if lines:
            paragraphs.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(paragraphs)


def _escape(text: str) -> str:
    # The same escaping nh3 writes, so sanitising the result changes nothing.
    return escape(text, quote=False).replace("\xa0", "&nbsp;")


_ANY_TAG = re.compile(r"<[^>]+>")


def html_to_plain_text(html: str) -> str:
    """Return the words of sanitised HTML, each element's text on a line of its own
    (for guessing, fingerprinting and reading captions, not for showing)."""
    return unescape(_ANY_TAG.sub("\n", html))
