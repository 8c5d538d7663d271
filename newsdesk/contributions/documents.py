"""Read the story out of a document a contributor attached: Word, OpenDocument, RTF,
PDF, plain text or Markdown, into the newsroom's allow-listed HTML.

Pure functions over bytes. A document that cannot be read, or that breaks a limit,
raises ``DocumentError`` with a sentence for the writer (their fault, not ours);
anything else that goes wrong is a bug of ours and is left to the caller.

Headings, paragraphs, lists, links, bold and italic survive (the sanitiser keeps
them); footnotes become numbered notes at the end. Word and OpenDocument files are
zip archives: their members are measured, decompressed with a cap, before any is
read, so a "zip bomb" is refused instead of expanded.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import PurePosixPath
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeXML
from defusedxml import DefusedXmlException
from markdown_it import MarkdownIt
from pypdf import PdfReader
from striprtf.striprtf import rtf_to_text

from .parsing import code_page_guess
from .sanitise import (
    MAX_NESTING,
    html_to_plain_text,
    sanitise_html_checked,
    text_to_html,
)

# Limits. A story is text: tens of kilobytes; these leave room for pictures inside
# a Word file, and stop a small upload from growing into gigabytes.
MAX_UNPACKED_BYTES = 60_000_000
MAX_ARCHIVE_MEMBERS = 2_000
# A document's text compresses perhaps 10:1; a bomb's by a thousand or more.
MAX_COMPRESSION_RATIO = 200
MAX_PDF_PAGES = 300
MAX_TEXT_CHARS = 2_000_000
_CHUNK = 1 << 16

DOCUMENT_SUFFIXES = frozenset({".docx", ".odt", ".rtf", ".pdf", ".txt", ".md"})


class DocumentError(Exception):
    """A document that cannot be read; the message is a sentence for its writer."""


@dataclass(frozen=True)
class Document:
    """The story a document holds, as sanitised HTML, and what was odd about it."""

    html: str
    text: str
    problems: tuple[str, ...] = ()


def is_document(filename: str) -> bool:
    """Say whether a file name is one of the document kinds a story can come in."""
    return PurePosixPath(filename.lower()).suffix in DOCUMENT_SUFFIXES


def document_read(filename: str, data: bytes) -> Document:
    """Return the story in a document, by its file name's suffix.

    Raises DocumentError for a kind not read here, a damaged or protected file, or
    one past a limit.
    """
    suffix = PurePosixPath(filename.lower()).suffix
    reader = _READERS.get(suffix)
    if reader is None:
        raise DocumentError(
            f"“{filename}” is not a kind of document we can read "
            f"({', '.join(sorted(DOCUMENT_SUFFIXES))})."
        )
    html, problems = reader(filename, data)
    sanitised = sanitise_html_checked(html)
    if sanitised.flattened:
        problems.append(
            f"The formatting in “{filename}” was nested more than {MAX_NESTING} "
            "levels deep; the deeper formatting was removed, the text kept."
        )
    text = html_to_plain_text(sanitised.html)
    if not text.strip():
        raise DocumentError(f"“{filename}” has no text we could read.")
    return Document(html=sanitised.html, text=text, problems=tuple(problems))


# --- zip archives (Word, OpenDocument) ----------------------------------------------


def _open_archive(filename: str, data: bytes) -> zipfile.ZipFile:
    """Open a zip-based document after checking every member against the limits.

    The sizes an archive declares can lie, so each member is decompressed here with
    a running total, stopping at the limit.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    # A damaged archive raises many kinds of error (an unknown zip version is a
    # NotImplementedError); any of them means the same to the writer.
    except Exception as exc:
        raise DocumentError(
            f"“{filename}” is damaged and could not be opened."
        ) from exc
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise DocumentError(
            f"“{filename}” holds more than {MAX_ARCHIVE_MEMBERS:,} parts; "
            "please send the text in a simpler document."
        )
    declared = sum(member.file_size for member in members)
    if declared > MAX_UNPACKED_BYTES:
        raise _too_big(filename)
    unpacked = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise DocumentError(
                f"“{filename}” is protected with a password; please send it without."
            )
        ratio_cap = max(member.compress_size, 1) * MAX_COMPRESSION_RATIO
        try:
            with archive.open(member) as stream:
                size = 0
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    unpacked += len(chunk)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise _too_big(filename)
                    if size > max(ratio_cap, _CHUNK):
                        raise _too_packed(filename)
        except DocumentError:
            raise
        except Exception as exc:  # zlib, CRC and format errors of a damaged file
            raise DocumentError(
                f"“{filename}” is damaged and could not be opened."
            ) from exc
    return archive


def _too_big(filename: str) -> DocumentError:
    return DocumentError(
        f"“{filename}” unpacks to more than {MAX_UNPACKED_BYTES // 1_000_000} MB, "
        "far more than a story needs; please send the text alone."
    )


def _too_packed(filename: str) -> DocumentError:
    return DocumentError(
        f"“{filename}” is compressed more than {MAX_COMPRESSION_RATIO} to 1, as no "
        "real document is, so it was not opened; please send the text alone."
    )


def _read_docx(filename: str, data: bytes) -> tuple[str, list[str]]:
    # Loaded on first use, as most messages carry no Word file; mammoth ships no
    # type hints.
    import mammoth  # type: ignore[import-untyped]

    archive = _open_archive(filename, data)
    if "word/document.xml" not in archive.namelist():
        raise DocumentError(f"“{filename}” is not a Word document.")
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data), convert_image=_no_images(), ignore_empty_paragraphs=True
        )
    except Exception as exc:  # mammoth raises whatever its XML and zip readers do
        raise DocumentError(
            f"“{filename}” could not be read as a Word document."
        ) from exc
    return _footnotes_as_notes(str(result.value)), []


def _no_images() -> Any:
    """Tell mammoth to leave pictures inside a Word file out (they arrive as photos
    attached to the message, or are asked for)."""
    import mammoth

    return mammoth.images.img_element(lambda image: {})


_MAMMOTH_NOTE_REF = re.compile(
    r'<sup><a href="#(?:footnote|endnote)-\d+" id="(?:footnote|endnote)-ref-\d+">'
    r"\[(\d+)\]</a></sup>"
)
_MAMMOTH_BACKLINK = re.compile(r' ?<a href="#(?:footnote|endnote)-ref-\d+">↑</a>')


def _footnotes_as_notes(html: str) -> str:
    """Turn mammoth's footnote links into plain "[1]" markers; the notes stay an
    ordered list at the end (the editor has no superscript or in-page anchors)."""
    html = _MAMMOTH_NOTE_REF.sub(r"[\1]", html)
    return _MAMMOTH_BACKLINK.sub("", html)


# OpenDocument's XML names, in ElementTree's "{namespace}name" form.
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_XLINK = "http://www.w3.org/1999/xlink"


def _t(name: str) -> str:
    return f"{{{_TEXT}}}{name}"


def _read_odt(filename: str, data: bytes) -> tuple[str, list[str]]:
    archive = _open_archive(filename, data)
    try:
        content = archive.read("content.xml")
    except KeyError as exc:
        raise DocumentError(f"“{filename}” is not an OpenDocument text.") from exc
    except Exception as exc:  # damaged past what the size check met
        raise DocumentError(
            f"“{filename}” is damaged and could not be opened."
        ) from exc
    try:
        root = SafeXML.fromstring(content, forbid_dtd=True)
    except (DefusedXmlException, SafeXML.ParseError) as exc:
        raise DocumentError(f"“{filename}” could not be read as a document.") from exc
    return _OdtWriter(root).html(), []


class _OdtWriter:
    """Write the body of an OpenDocument text as HTML the sanitiser understands."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self.styles = self._text_styles(root)
        self.notes: list[str] = []
        self.out: list[str] = []

    @staticmethod
    def _text_styles(root: Element) -> dict[str, tuple[bool, bool]]:
        """Return the automatic styles' (bold, italic), by name."""
        found = {}
        for style in root.iter(f"{{{_STYLE}}}style"):
            props = style.find(f"{{{_STYLE}}}text-properties")
            if props is None:
                continue
            bold = props.get(f"{{{_FO}}}font-weight") in {"bold", "600", "700", "800"}
            italic = props.get(f"{{{_FO}}}font-style") == "italic"
            name = style.get(f"{{{_STYLE}}}name")
            if name and (bold or italic):
                found[name] = (bold, italic)
        return found

    def html(self) -> str:
        body = self.root.find(f"{{{_OFFICE}}}body")
        text = body.find(f"{{{_OFFICE}}}text") if body is not None else None
        if text is not None:
            self._blocks(text)
        if self.notes:
            self.out.append("<ol>")
            self.out += [f"<li>{note}</li>" for note in self.notes]
            self.out.append("</ol>")
        return "".join(self.out)

    def _blocks(self, parent: Element) -> None:
        for child in parent:
            tag = child.tag
            if tag == _t("h"):
                level = min(max(int(child.get(_t("outline-level"), "1") or 1), 1), 3)
                self.out.append(f"<h{level + 1}>{self._inline(child)}</h{level + 1}>")
            elif tag == _t("p"):
                self.out.append(f"<p>{self._inline(child)}</p>")
            elif tag == _t("list"):
                self.out.append("<ul>")
                for item in child.iter(_t("list-item")):
                    self.out.append("<li>")
                    paragraphs = [
                        self._inline(p) for p in item if p.tag in {_t("p"), _t("h")}
                    ]
                    self.out.append(" ".join(paragraphs))
                    self.out.append("</li>")
                self.out.append("</ul>")
            elif tag in {_t("section"), f"{{{_TEXT}}}index-body"}:
                self._blocks(child)

    def _inline(self, element: Element) -> str:
        parts = [escape(element.text or "", quote=False)]
        for child in element:
            tag = child.tag
            if tag == _t("span"):
                inner = self._inline(child)
                bold, italic = self.styles.get(child.get(_t("style-name"), ""), (0, 0))
                if bold:
                    inner = f"<strong>{inner}</strong>"
                if italic:
                    inner = f"<em>{inner}</em>"
                parts.append(inner)
            elif tag == _t("a"):
                href = escape(child.get(f"{{{_XLINK}}}href", ""))
                parts.append(f'<a href="{href}">{self._inline(child)}</a>')
            elif tag == _t("s"):
                parts.append(" " * min(int(child.get(_t("c"), "1") or 1), 8))
            elif tag == _t("tab"):
                parts.append(" ")
            elif tag == _t("line-break"):
                parts.append("<br>")
            elif tag == _t("note"):
                body = child.find(_t("note-body"))
                note = " ".join(
                    self._inline(p) for p in (body if body is not None else [])
                )
                self.notes.append(note)
                parts.append(f"[{len(self.notes)}]")
            parts.append(escape(child.tail or "", quote=False))
        return "".join(parts)


# --- the other kinds -----------------------------------------------------------------


def _read_pdf(filename: str, data: bytes) -> tuple[str, list[str]]:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentError(
                f"“{filename}” is protected with a password; please send it without."
            )
        pages = reader.pages
        count = len(pages)
        texts = []
        budget = MAX_TEXT_CHARS
        for number in range(min(count, MAX_PDF_PAGES)):
            text = pages[number].extract_text() or ""
            texts.append(text[:budget])
            budget -= len(texts[-1])
            if budget <= 0:
                break
    except DocumentError:
        raise
    # pypdf meets damaged files with many kinds of error (its own, and IndexError,
    # struct and zlib errors from deep inside); each means the file cannot be read.
    except Exception as exc:
        raise DocumentError(f"“{filename}” could not be read as a PDF.") from exc
    problems = []
    if count > MAX_PDF_PAGES:
        problems.append(
            f"Only the first {MAX_PDF_PAGES} pages of “{filename}” were read."
        )
    if not any(text.strip() for text in texts):
        raise DocumentError(
            f"“{filename}” holds no text we could read: if it is a scan, please "
            "send the text itself."
        )
    return "".join(text_to_html(_unwrap_pdf_lines(text)) for text in texts), problems


def _unwrap_pdf_lines(text: str) -> str:
    """Join a PDF page's lines back into paragraphs: a line break inside a sentence
    is the layout's, a blank line or a line ending a sentence is the writer's."""
    lines = text.replace("\r", "\n").split("\n")
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
        # Sentence ends, with the Arabic question mark and full stop.
        if stripped.endswith((".", "!", "?", ":", "”", '"', "\u061f", "\u06d4")):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _read_rtf(filename: str, data: bytes) -> tuple[str, list[str]]:
    if not data.lstrip().startswith(b"{\\rtf"):
        raise DocumentError(f"“{filename}” is not an RTF document.")
    try:
        # striprtf ships no type hints.
        text = str(rtf_to_text(_decode(data), errors="replace"))  # type: ignore[no-untyped-call]
    except Exception as exc:  # striprtf's own faults on damaged input
        raise DocumentError(f"“{filename}” could not be read as RTF.") from exc
    return text_to_html(text[:MAX_TEXT_CHARS]), []


def _read_text(filename: str, data: bytes) -> tuple[str, list[str]]:
    return text_to_html(_decode(data)[:MAX_TEXT_CHARS]), []


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})


def _read_markdown(filename: str, data: bytes) -> tuple[str, list[str]]:
    text = _decode(data)[:MAX_TEXT_CHARS]
    try:
        return str(_MARKDOWN.render(text)), []
    except RecursionError as exc:
        raise DocumentError(f"“{filename}” is nested too deeply to read.") from exc


def _decode(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without a mark), UTF-16 with its mark, or
    the Windows code pages writers in Kabul and elsewhere still save in."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    return data.decode(code_page_guess(data), errors="replace")


_READERS: dict[str, Callable[[str, bytes], tuple[str, list[str]]]] = {
    ".docx": _read_docx,
    ".odt": _read_odt,
    ".rtf": _read_rtf,
    ".pdf": _read_pdf,
    ".txt": _read_text,
    ".md": _read_markdown,
}
