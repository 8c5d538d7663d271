"""Text as the reader search holds it, and readers' queries made safe to run.

Both the indexed text and the query go through ``normalise()``, so the two meet on
the same letters whichever keyboard a reader typed on. A query is parsed here, once,
into words and phrases; each backend writes it out in its own syntax from that
parse, never from the reader's raw input, so no quote, bracket, asterisk or operator
a reader types can reach the database's query parser as syntax.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The longest query a reader may send, in characters.
QUERY_MAX_LENGTH = 200
# Words and phrases beyond these are dropped: 200 characters hold no more anyway.
QUERY_MAX_TERMS = 32
# Characters of body text indexed per story: far beyond any story, well under the
# 1 MB a PostgreSQL tsvector can hold.
BODY_MAX_CHARS = 200_000

# Private-use characters that mark where a snippet's highlight starts and stops.
# normalise() removes them from everything indexed, so only the database's snippet
# function can put them into a snippet.
MARK_START = "\ue000"
MARK_STOP = "\ue001"
ELLIPSIS = "…"

# Arabic short vowels and other marks, and the tatweel (kashida): readers rarely
# type them, writers sometimes do.
_ARABIC_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]"
)
# Dari and Pashto are often typed on Arabic keyboards: the Arabic yeh, alef maksura
# and kaf look like, and are read as, the Persian yeh and keheh.
_LETTER_FOLDS = str.maketrans(
    {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"}
)
# Block-level tags end a word: "<p>one</p><p>two</p>" is two words, not "onetwo".
_BLOCK_TAG = re.compile(
    r"<(?:/?(?:p|h[1-6]|li|ul|ol|blockquote|div|figure|figcaption|table|tr|td|th)\b[^>]*"
    r"|br\b[^>]*|hr\b[^>]*)>",
    re.IGNORECASE,
)
# Control characters other than white space, surrogates and private-use characters.
_DROPPED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff"
    "\U000f0000-\U0010ffff]"
)
# A word as the databases' tokenisers see it: letters and digits (not "_").
_WORD = re.compile(r"[^\W_]+")
# A query's parts: a phrase in double quotes (the closing one may be missing),
# optionally negated, or a run of other characters up to a space or a quote.
_QUERY_PART = re.compile(r'(?P<negated>-)?"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')


def normalise(text: str) -> str:
    """Return text with the letters search compares and single spaces between words."""
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_MARKS.sub("", text).translate(_LETTER_FOLDS)
    # Control and private-use characters (the snippet marks among them) are dropped;
    # the zero-width non-joiner inside Dari words is a format character and stays.
    text = _DROPPED.sub("", text)
    return " ".join(text.split())


def plain_text(body_html: str) -> str:
    """Return the words of rich text: no tags, entities decoded, normalised."""
    spaced = _BLOCK_TAG.sub(" ", body_html)
    # nh3 with no tags allowed keeps the text and drops every tag (and the content
    # of <script> and <style>); what it returns is escaped HTML text.
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return normalise(text)[:BODY_MAX_CHARS]


@dataclass(frozen=True)
class Term:
    """A word, or several to be found side by side, that a result must (not) hold."""

    words: tuple[str, ...]
    negated: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query: results match any group, and a group all its terms."""

    groups: tuple[tuple[Term, ...], ...]

    @property
    def is_empty(self) -> bool:
        return not self.groups


def _term(match: re.Match[str]) -> Term | None:
    if match["phrase"] is not None:
        text, negated = match["phrase"], bool(match["negated"])
    else:
        word = match["word"]
        text, negated = word.lstrip("-"), word.startswith("-")
    words = tuple(_WORD.findall(text))
    return Term(words=words, negated=negated) if words else None


def parse_query(query: str) -> ParsedQuery:
    """Return the words, "phrases", -exclusions and OR groups of a reader's query.

    The syntax is that of PostgreSQL's ``websearch_to_tsquery`` and of most web
    search boxes. Anything else is punctuation between words. A group with nothing
    to find (only exclusions) is dropped: a search never lists every story.
    """
    groups: list[tuple[Term, ...]] = []
    current: list[Term] = []
    count = 0
    for match in _QUERY_PART.finditer(normalise(query)):
        if match["word"] is not None and match["word"].lower() == "or":
            groups.append(tuple(current))
            current = []
            continue
        term = _term(match)
        if term is None or count >= QUERY_MAX_TERMS:
            continue
        current.append(term)
        count += 1
    groups.append(tuple(current))
    return ParsedQuery(
        groups=tuple(
            group for group in groups if any(not term.negated for term in group)
        )
    )


def snippet_html(raw: str) -> SafeString:
    """Return a snippet the database marked up with MARK_START/MARK_STOP as safe HTML.

    Everything is escaped first; only the marks then become ``<mark>`` elements, so
    whatever a story's text holds, the snippet is text and highlights.
    """
    escaped = str(escape(raw))
    depth = 0
    out: list[str] = []
    for part in re.split(f"([{MARK_START}{MARK_STOP}])", escaped):
        if part == MARK_START:
            if depth == 0:
                out.append("<mark>")
            depth += 1
        elif part == MARK_STOP:
            if depth == 1:
                out.append("</mark>")
            depth = max(depth - 1, 0)
        else:
            out.append(part)
    if depth:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 (escaped above; only <mark> added)


def has_highlight(raw: str) -> bool:
    """Say whether a snippet marks a match."""
    return MARK_START in raw


def unmarked(raw: str) -> str:
    """Return a snippet's text without its highlight marks."""
    return raw.replace(MARK_START, "").replace(MARK_STOP, "")
