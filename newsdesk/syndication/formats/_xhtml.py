"""Sanitised HTML rebuilt as XHTML 1.0 Strict, for NewsML-G2's ``inlineXML``.

NewsML-G2 validates what ``inlineXML`` holds "laxly": against the schema of its
namespace when the validator has one. xmlschema has W3C's XHTML 1.0 Strict schema,
so the body must be XHTML 1.0 Strict, not HTML5 in the XHTML namespace: no
``figure`` or ``section``, no ``data-`` attributes, no text or ``img`` straight in
``body`` or ``blockquote``, lists holding only list items, every ``img`` with an
``alt``.

The HTML parser's tree is walked once and each node is put where the strict
content model allows it: a run of text and inline elements where only blocks may
stand is wrapped in a ``p`` (or an ``li``, a ``dd``); a block where only inline
content may stand becomes a ``span``; an element XHTML 1.0 lacks becomes a ``div``
or a ``span`` (keeping its name as a class); attributes are kept from an allow
list, and only with values their type takes. Nothing of the text is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints

from ._common import NOT_TEXT, clean

XHTML = "http://www.w3.org/1999/xhtml"

# fmt: off
# How an element's content may be made, by content mode.
_BLOCK, _FLOW, _INLINE, _PRE, _LIST, _DL = "block", "flow", "inline", "pre", "list", "dl"

# The XHTML 1.0 Strict elements kept, by what they are and what they hold.
_INLINE_ELEMENTS = frozenset({
    "a", "abbr", "acronym", "b", "big", "cite", "code", "del", "dfn", "em", "i", "ins",
    "kbd", "q", "samp", "small", "span", "strong", "sub", "sup", "tt", "var",
})
_MODES = {
    "blockquote": _BLOCK,
    "div": _FLOW, "li": _FLOW, "dd": _FLOW,
    "p": _INLINE, "h1": _INLINE, "h2": _INLINE, "h3": _INLINE, "h4": _INLINE,
    "h5": _INLINE, "h6": _INLINE, "address": _INLINE, "dt": _INLINE,
    "pre": _PRE,
    "ul": _LIST, "ol": _LIST,
    "dl": _DL,
    **dict.fromkeys(_INLINE_ELEMENTS, _INLINE),
}
_EMPTY = frozenset({"br", "hr", "img"})
_BLOCKS = frozenset({
    "address", "blockquote", "div", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "ol", "p", "pre", "ul",
})
_LIST_ITEMS = frozenset({"li", "dt", "dd"})
# Not in XHTML 1.0 Strict but block-like: kept as a div of that class.
_BLOCKISH = frozenset({
    "article", "aside", "caption", "center", "details", "dialog", "dir", "fieldset",
    "figcaption", "figure", "footer", "form", "header", "hgroup", "legend", "main",
    "menu", "nav", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr",
})
# fmt: on
_NOT_IN_PRE = frozenset({"img", "big", "small", "sub", "sup"})

_NMTOKEN = re.compile(r"[\w.:-]+")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_LENGTH = re.compile(r"[-+]?(\d+|\d+(\.\d+)?%)")
_URI_ATTRIBUTES = {"a": {"href"}, "img": {"src"}, "q": {"cite"}, "blockquote": {"cite"}}
_URI_ATTRIBUTES["ins"] = _URI_ATTRIBUTES["del"] = {"cite"}
# A link or a source in another scheme (javascript:, data:) is left out.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_SCHEMES = frozenset({"http", "https", "mailto"})


def fill(target: etree._Element, source: etree._Element) -> None:
    """Put the content of a parsed HTML element into an XHTML ``body`` (or any
    element whose content must be blocks)."""
    _fill(target, _nodes(source), _BLOCK, in_link=False)


def element(
    parent: etree._Element, name: str, text: str = "", **attributes: str
) -> etree._Element:
    """Add an XHTML element (its attributes given by their XHTML names)."""
    made = etree.SubElement(parent, f"{{{XHTML}}}{name}", attributes)
    if text:
        made.text = text
    return made


def _nodes(source: etree._Element) -> Iterator[str | etree._Element]:
    """Yield the content of an element in order: text, and the elements to keep."""
    if source.text:
        yield source.text
    for child in source:
        if isinstance(child.tag, str) and child.tag.lower() not in NOT_TEXT:
            yield child
        if child.tail:
            yield child.tail


def _fill(
    target: etree._Element,
    nodes: Iterator[str | etree._Element],
    mode: str,
    *,
    in_link: bool,
) -> None:
    holder = None  # the p, li or dd wrapping a run of inline content
    for node in nodes:
        name = node.tag.lower() if not isinstance(node, str) else ""
        is_block = name in _BLOCKS or name in _BLOCKISH or name in _LIST_ITEMS
        if mode in (_INLINE, _PRE):
            _put(target, node, mode, inline=True, in_link=in_link)
            continue
        if mode == _FLOW:
            _put(target, node, mode, inline=not is_block, in_link=in_link)
            continue
        wanted = {_BLOCK: "", _LIST: "li", _DL: "dt dd"}[mode]
        if name and (name in wanted.split() or (mode == _BLOCK and is_block)):
            holder = None
            _put(target, node, mode, inline=False, in_link=in_link)
        elif holder is None and isinstance(node, str) and not node.strip():
            continue  # white space between blocks
        else:
            if holder is None:
                holder = element(target, {_BLOCK: "p", _LIST: "li", _DL: "dd"}[mode])
            holder_mode = _mode_of(holder)
            inline = holder_mode == _INLINE or not is_block
            _put(holder, node, holder_mode, inline=inline, in_link=in_link)


def _mode_of(made: etree._Element) -> str:
    return _MODES[etree.QName(made).localname]


def _put(
    target: etree._Element,
    node: str | etree._Element,
    mode: str,
    *,
    inline: bool,
    in_link: bool,
) -> None:
    """Add one node to the target, whose content mode is ``mode``; ``inline`` says
    whether only inline content may stand where it goes."""
    if isinstance(node, str):
        _append_text(target, node)
        return
    name = node.tag.lower()
    if name in _EMPTY:
        _put_empty(target, node, name, mode)
        return
    if name in _MODES or name in _LIST_ITEMS:
        as_name = name
    else:
        as_name = "div" if name in _BLOCKISH else "span"
    if inline and as_name not in _INLINE_ELEMENTS:
        as_name = "span"  # a block where only inline content may stand
    elif not inline and as_name in _LIST_ITEMS and mode not in (_LIST, _DL):
        as_name = "div"  # a list item outside a list
    if as_name == "a" and in_link:
        as_name = "span"  # anchors do not nest
    if mode == _PRE and as_name in _NOT_IN_PRE:
        as_name = "span"
    copy = element(target, as_name, **_attributes(node, as_name))
    if as_name != name and as_name in ("div", "span"):
        classes = copy.get("class", "").split()
        if _NMTOKEN.fullmatch(name) and name not in classes:
            copy.set("class", " ".join([name, *classes]))
    child_mode = _PRE if mode == _PRE else _MODES[as_name]
    _fill(copy, _nodes(node), child_mode, in_link=in_link or as_name == "a")
    if as_name in ("ul", "ol", "dl") and not len(copy):
        _drop_keeping_tail(copy)  # a list must hold an item


def _put_empty(
    target: etree._Element, node: etree._Element, name: str, mode: str
) -> None:
    if name == "img":
        src = clean(node.get("src", "")).strip()
        if not _safe_uri(src) or mode == _PRE:
            _append_text(target, clean(node.get("alt", "")))
            return
        attributes = _attributes(node, "img")
        attributes.setdefault("alt", "")
        element(target, "img", **attributes)
    elif name == "br" or mode in (_BLOCK, _FLOW):
        element(target, name, **_attributes(node, name))
    # An hr where only inline content may stand is left out.


def _attributes(node: etree._Element, name: str) -> dict[str, str]:
    """Return the attributes XHTML 1.0 Strict lets the element have, with values
    their types take. Ids are left out: two stories in one message could share
    one, and an ID must be unique in a document."""
    kept = {}
    for key, raw in node.attrib.items():
        key = key.lower()
        value = clean(raw).strip()
        if key == "class":
            value = " ".join(t for t in value.split() if _NMTOKEN.fullmatch(t))
            if value:
                kept["class"] = value
        elif key in ("title",) or (name == "img" and key == "alt"):
            kept[key] = value
        elif key in ("lang", "hreflang") and _LANGUAGE.fullmatch(value):
            if key == "lang" or name == "a":
                kept[key] = value
        elif key == "dir" and value.lower() in ("ltr", "rtl"):
            kept["dir"] = value.lower()
        elif key in _URI_ATTRIBUTES.get(name, ()) and _safe_uri(value):
            kept[key] = value
        elif name == "a" and key in ("rel", "rev"):
            value = " ".join(t for t in value.split() if _NMTOKEN.fullmatch(t))
            if value:
                kept[key] = value
        elif name == "img" and key in ("width", "height") and _LENGTH.fullmatch(value):
            kept[key] = value
    return kept


def _safe_uri(value: str) -> bool:
    scheme = _SCHEME.match(value)
    return bool(value) and (scheme is None or scheme[1].lower() in _SCHEMES)


def _append_text(parent: etree._Element, text: str) -> None:
    text = clean(text)
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _drop_keeping_tail(node: etree._Element) -> None:
    parent = node.getparent()
    tail = node.tail
    parent.remove(node)
    if tail:
        _append_text(parent, tail)
