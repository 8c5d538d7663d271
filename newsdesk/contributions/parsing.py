"""Read a contributor's raw email into clean parts; every input is hostile."""

from __future__ import annotations

import codecs
import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors, utils
from email.header import decode_header, make_header
from email.headerregistry import AddressHeader, DateHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from html.parser import HTMLParser
from typing import cast

from .sanitise import (
    NESTING_FLATTENED,
    sanitise_html,
    sanitise_html_checked,
    text_to_html,
)

logger = logging.getLogger(__name__)

MAX_PARTS = 100
MAX_DEPTH = 10
MAX_BODY_CHARS = 2_000_000
MAX_MESSAGE_ID_LENGTH = 998
MAX_EMAIL_LENGTH = 320
MAX_NAME_LENGTH = 200
MAX_SUBJECT_LENGTH = 998
# The stdlib's structured header parser takes time that grows faster than the
# header (tens of seconds for a 100 KB Content-Type); no header we read is longer.
MAX_HEADER_CHARS = 2000
# Files a message may carry: a story, a few photos, a note or two.
MAX_ATTACHMENTS = 20
MAX_FILENAME_LENGTH = 200

NO_SUBJECT = "The message had no subject."
NO_TEXT = "The message had no text."
NUL_REMOVED = "NUL bytes were removed from the message."
UNREADABLE = "The message could not be read."
BAD_STRUCTURE = (
    "The message's parts were nested too deeply to be read; only its headers were kept."
)
TOO_MANY_PARTS = f"The message had more than {MAX_PARTS} parts; the rest were not read."
# Sections that hold other parts (multipart/...): the standard library's parser
# recurses into each, so a message nesting hundreds of them would exhaust the stack.
MAX_SECTIONS = 50
TOO_MANY_SECTIONS = (
    f"The message had more than {MAX_SECTIONS} sections holding other parts; "
    "the rest were not read."
)
TOO_DEEP = (
    f"The message's parts were nested more than {MAX_DEPTH} levels deep; "
    "the deeper ones were not read."
)
TOO_LONG = (
    f"The message's text was longer than {MAX_BODY_CHARS:,} characters "
    "and was cut short."
)
NO_BOUNDARY = (
    "The message said it had several parts but not where they were divided; "
    "its body was read as plain text."
)
UNDECODABLE_PART = "A text part of the message could not be decoded and was left out."
BAD_SENDER = "The sender's address could not be read."
BAD_DATE = "The message's date could not be read."
TOO_MANY_ATTACHMENTS = (
    f"The message carried more than {MAX_ATTACHMENTS} files; the rest were not kept."
)

_DEFECT_SENTENCES: dict[type[errors.MessageDefect], str] = {
    errors.NoBoundaryInMultipartDefect: NO_BOUNDARY,
    errors.StartBoundaryNotFoundDefect: (
        "The message's parts did not start where it said they would; "
        "some text may be missing."
    ),
    errors.CloseBoundaryNotFoundDefect: "The message's last part was not closed.",
    errors.FirstHeaderLineIsContinuationDefect: "The message's headers were malformed.",
    errors.MisplacedEnvelopeHeaderDefect: "The message's headers were malformed.",
    errors.MissingHeaderBodySeparatorDefect: "The message's headers were malformed.",
    # The stdlib reports a multipart without a boundary twice; say it once.
    errors.MultipartInvariantViolationDefect: NO_BOUNDARY,
    errors.InvalidMultipartContentTransferEncodingDefect: (
        "A multipart section of the message declared a transfer encoding, "
        "which is not allowed."
    ),
    errors.InvalidBase64PaddingDefect: (
        "Part of the message was badly base64-encoded; its text may be incomplete."
    ),
    errors.InvalidBase64CharactersDefect: (
        "Part of the message was badly base64-encoded; its text may be incomplete."
    ),
    errors.InvalidBase64LengthDefect: (
        "Part of the message was badly base64-encoded and could not be decoded."
    ),
}

# Charset labels that mail programs use for a different, larger character set.
_CHARSET_SUPERSETS = {
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
}
# Codecs Python knows that are not character sets a message could be written in.
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
)
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")
_SECTION_START = re.compile(
    rb"^content-type:[ \t]*multipart/", re.IGNORECASE | re.MULTILINE
)
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_SIGNATURE_SEPARATOR = "-- "


@dataclass(frozen=True)
class ParsedAttachment:
    """A file a message carried: a document, a photo, anything else."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    """The parts of a contributor's email that the newsroom uses."""

    message_id: str
    sender_email: str
    sender_name: str
    subject: str
    body_html: str
    body_text: str
    sent_at: datetime | None
    problems: tuple[str, ...]
    attachments: tuple[ParsedAttachment, ...] = ()
    # The Authentication-Results headers as they stand, top first.
    authentication_results: tuple[str, ...] = ()
    # The Message-IDs it answers (In-Reply-To, then References).
    replies_to: tuple[str, ...] = ()
    # Sent by a program (an out-of-office reply, a list), not a person (RFC 3834).
    automatic: bool = False


class _BoundedPolicy(EmailPolicy):
    """email.policy.default, reading at most MAX_HEADER_CHARS of any header."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if isinstance(value, str) and len(value) > MAX_HEADER_CHARS:
            value = value[:MAX_HEADER_CHARS]
        # The header objects it returns are str subclasses; typeshed leaves it untyped.
        return cast(str, super().header_fetch_parse(name, value))


_POLICY = _BoundedPolicy()


class _Problems:
    def __init__(self) -> None:
        self._items: dict[str, None] = {}

    def add(self, sentence: str) -> None:
        self._items.setdefault(sentence)

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._items)


@dataclass(frozen=True)
class _Content:
    html: str
    text: str
    is_html: bool


def parse_message(raw: bytes) -> ParsedMessage:
    """Read a raw RFC 5322 message into its parts; never raises on any input bytes."""
    problems = _Problems()
    try:
        return _parse(bytes(raw), problems)
    except Exception:
        # Last line of defence: every known fault is handled below; an unknown one
        # must still leave the raw message to an editor instead of crashing intake.
        logger.exception("Could not parse a message")
        problems.add(UNREADABLE)
        return ParsedMessage(
            message_id="",
            sender_email="",
            sender_name="",
            subject="",
            body_html="",
            body_text="",
            sent_at=None,
            problems=problems.as_tuple(),
        )


def _parse(data: bytes, problems: _Problems) -> ParsedMessage:
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
        problems.add(NUL_REMOVED)
    sections = [m.start() for m in _SECTION_START.finditer(data)]
    if len(sections) > MAX_SECTIONS:
        # Read what comes before the section past the limit: the text at the top.
        data = data[: sections[MAX_SECTIONS]]
        problems.add(TOO_MANY_SECTIONS)
    parser = BytesParser(_class=EmailMessage, policy=_POLICY)
    walker = _Walker(problems)
    try:
        message = parser.parsebytes(data)
        content = walker.read(message)
    except RecursionError:
        message = parser.parsebytes(data, headersonly=True)
        problems.add(BAD_STRUCTURE)
        content = None
    subject = _subject(message)
    if not subject:
        problems.add(NO_SUBJECT)
    sender_email, sender_name = _sender(message, problems)
    sent_at = _sent_at(message, problems)
    body_html = content.html if content else ""
    body_text = content.text if content else ""
    if not body_text.strip():
        body_text = ""
        body_html = ""
        problems.add(NO_TEXT)
    return ParsedMessage(
        message_id=_message_id(message),
        sender_email=sender_email,
        sender_name=sender_name,
        subject=subject,
        body_html=body_html,
        body_text=body_text,
        sent_at=sent_at,
        problems=problems.as_tuple(),
        attachments=tuple(walker.attachments),
        authentication_results=_authentication_results(message),
        replies_to=_replies_to(message),
        automatic=_is_automatic(message),
    )


# Headers -------------------------------------------------------------------------


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)[:MAX_HEADER_CHARS]
    return None


def _decoded_header(message: Message, name: str) -> str | None:
    try:
        value = message[name]
    except Exception:
        # The stdlib's header parser has raised on odd input before (IndexError,
        # HeaderParseError); read the raw value ourselves instead.
        return _decode_words(_raw_header(message, name))
    return None if value is None else str(value)


def _decode_words(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw


def _authentication_results(message: Message) -> tuple[str, ...]:
    try:
        values = message.get_all("Authentication-Results") or []
    except Exception:
        return ()
    return tuple(_clean_line(str(value))[:MAX_HEADER_CHARS] for value in values[:20])


_MESSAGE_IDS = re.compile(r"<[^<>\s]{1,500}>")


def _replies_to(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for name in ("in-reply-to", "references"):
        value = _raw_header(message, name) or ""
        found += _MESSAGE_IDS.findall(value)
    return tuple(dict.fromkeys(found))[:50]


def _is_automatic(message: Message) -> bool:
    auto = (_raw_header(message, "auto-submitted") or "no").strip().lower()
    precedence = (_raw_header(message, "precedence") or "").strip().lower()
    return (
        not auto.startswith("no")
        or precedence in {"bulk", "list", "junk"}
        or bool(_raw_header(message, "list-id"))
    )


def _subject(message: Message) -> str:
    return _clean_line(_decoded_header(message, "subject") or "")[:MAX_SUBJECT_LENGTH]


def _message_id(message: Message) -> str:
    raw = _raw_header(message, "message-id") or ""
    value = _WHITESPACE.sub("", _fix_surrogates(raw))
    return _CONTROL_IN_LINE.sub("", value)[:MAX_MESSAGE_ID_LENGTH]


# A name-addr's address: the last <...> of the header, as it was sent (RFC 5322 3.4).
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>\s*$")


def _sender(message: Message, problems: _Problems) -> tuple[str, str]:
    """Return the sender's address and name.

    The address is read from the header as sent, before encoded words are decoded:
    an encoded name can hold a line break and another address ("Farida\r\nBcc:
    victim@..."), and an unquoted name can be an address itself ("editor@agency"
    <x@evil>); neither may become the address receipts go to.
    """
    raw = _raw_header(message, "from")
    if raw is None:
        return "", ""
    unfolded = _WHITESPACE.sub(" ", _fix_surrogates(raw)).strip()
    first = _first_mailbox(unfolded)
    angle = _ANGLE_ADDRESS.search(first)
    if angle is not None:
        email = _clean_email(angle.group(1))
        if email:
            name = _decode_words(first[: angle.start()]) or ""
            return email, _clean_line(name.strip().strip('"'))[:MAX_NAME_LENGTH]
    pairs: list[tuple[str, str]] = []
    try:
        header = message["from"]
        if isinstance(header, AddressHeader):
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
    except Exception:
        pairs = []
    # The older, more forgiving parser, for what the strict one could not read; on
    # the header as sent, for the reason above.
    with contextlib.suppress(Exception):
        pairs += utils.getaddresses([unfolded])
    for name, address in pairs:
        email = _clean_email(address)
        if email:
            return email, _clean_line(_decode_words(name) or "")[:MAX_NAME_LENGTH]
    problems.add(BAD_SENDER)
    return "", ""


def _first_mailbox(header: str) -> str:
    """Return the first of a From header's mailboxes: the text up to the first comma
    outside quotes and angle brackets."""
    quoted = angled = False
    for index, char in enumerate(header):
        if char == '"' and not angled:
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        elif char == "," and not (quoted or angled):
            return header[:index]
    return header


def _clean_email(address: str) -> str:
    email = _fix_surrogates(address).strip().lower()
    local, at, domain = email.rpartition("@")
    if not (at and local and domain) or len(email) > MAX_EMAIL_LENGTH:
        return ""
    if _WHITESPACE.search(email) or _CONTROL_IN_LINE.search(email) or "<" in email:
        return ""
    return email


def _sent_at(message: Message, problems: _Problems) -> datetime | None:
    raw = _raw_header(message, "date")
    if raw is None:
        return None
    when: datetime | None = None
    try:
        header = message["date"]
        when = header.datetime if isinstance(header, DateHeader) else None
    except Exception:
        when = None
    if when is None:
        try:
            when = utils.parsedate_to_datetime(_fix_surrogates(raw).strip())
        except Exception:
            when = None
    if when is None:
        problems.add(BAD_DATE)
        return None
    if when.tzinfo is None:
        # RFC 5322 "-0000": the time is in UTC, the sender's zone unknown.
        when = when.replace(tzinfo=UTC)
    return when


# Body ----------------------------------------------------------------------------


class _Walker:
    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.parts_seen = 0
        self.budget = MAX_BODY_CHARS
        self.attachments: list[ParsedAttachment] = []

    def read(self, message: Message) -> _Content | None:
        for defect in message.defects:
            self._defect(defect)
        return self._part(message, depth=0)

    def _part(self, part: Message, *, depth: int) -> _Content | None:
        if self.parts_seen >= MAX_PARTS:
            self.problems.add(TOO_MANY_PARTS)
            return None
        if depth > MAX_DEPTH:
            self.problems.add(TOO_DEEP)
            return None
        self.parts_seen += 1
        content_type = _content_type(part)
        maintype = content_type.partition("/")[0]
        if part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            for child in children:
                for defect in child.defects:
                    self._defect(defect)
            found = [self._part(child, depth=depth + 1) for child in children]
            read = [c for c in found if c is not None]
            if content_type == "multipart/alternative":
                return _best_alternative(read)
            return _joined(read)
        if maintype == "multipart":
            self.problems.add(NO_BOUNDARY)
            return self._text(part, html=False)
        if maintype == "message":
            return None
        if _is_attachment(part) or (
            maintype not in {"text", "multipart"} and _filename(part)
        ):
            self._attachment(part, content_type)
            return None
        if maintype == "image":  # a photo pasted into the mail, without a name
            self._attachment(part, content_type)
            return None
        if content_type == "text/html":
            return self._text(part, html=True)
        if content_type == "text/plain":
            return self._text(part, html=False)
        return None

    def _text(self, part: Message, *, html: bool) -> _Content | None:
        payload = self._payload(part)
        if payload is None:
            return None
        text = self._decode(payload, part)
        if "\x00" in text:
            text = text.replace("\x00", "")
            self.problems.add(NUL_REMOVED)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if len(text) > self.budget:
            text = text[: self.budget]
            self.problems.add(TOO_LONG)
        self.budget -= len(text)
        text = _CONTROL_IN_TEXT.sub("", text)
        if html:
            sanitised = sanitise_html_checked(text)
            if sanitised.flattened:
                self.problems.add(NESTING_FLATTENED)
            body_html = sanitised.html
            return _Content(html=body_html, text=_html_to_text(body_html), is_html=True)
        if _is_flowed(part):
            text = _unflow(text, delete_space=_param(part, "delsp").lower() == "yes")
        text = _strip_signature(text)
        return _Content(
            html=sanitise_html(text_to_html(text)), text=text, is_html=False
        )

    def _attachment(self, part: Message, content_type: str) -> None:
        if len(self.attachments) >= MAX_ATTACHMENTS:
            self.problems.add(TOO_MANY_ATTACHMENTS)
            return
        payload = self._payload(part)
        if payload is None:
            return
        name = _filename(part) or _unnamed(len(self.attachments) + 1, content_type)
        self.attachments.append(
            ParsedAttachment(filename=name, content_type=content_type, data=payload)
        )

    def _payload(self, part: Message) -> bytes | None:
        before = len(part.defects)
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            self.problems.add(UNDECODABLE_PART)
            return None
        new_defects = part.defects[before:]
        for defect in new_defects:
            self._defect(defect)
        if any(isinstance(d, errors.InvalidBase64LengthDefect) for d in new_defects):
            # The stdlib hands back the undecoded base64 then; it is not text.
            return None
        if not isinstance(payload, bytes):
            self.problems.add(UNDECODABLE_PART)
            return None
        return payload

    def _decode(self, payload: bytes, part: Message) -> str:
        try:
            declared = part.get_content_charset()
        except Exception:
            declared = None
        text, sentence = _decode_text(payload, declared)
        if sentence:
            self.problems.add(sentence)
        return text

    def _defect(self, defect: errors.MessageDefect) -> None:
        for kind, sentence in _DEFECT_SENTENCES.items():
            if isinstance(defect, kind):
                self.problems.add(sentence)
                return
        if isinstance(defect, errors.HeaderDefect):
            # Header faults show up where they matter: subject, sender or date.
            return
        self.problems.add(
            f"The message was not formatted correctly ({type(defect).__name__})."
        )


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:
        return False


def _filename(part: Message) -> str:
    """Return an attachment's file name, safe to show and to keep: no folders, no
    control characters, at most MAX_FILENAME_LENGTH characters."""
    try:
        raw = part.get_filename() or ""
    except Exception:
        return ""
    name = _clean_line(str(raw)).replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    if len(name) > MAX_FILENAME_LENGTH:
        _, dot, suffix = name.rpartition(".")
        keep = suffix if dot and len(suffix) <= 10 else ""
        name = name[: MAX_FILENAME_LENGTH - len(keep) - 1].rstrip() + (
            f".{keep}" if keep else ""
        )
    return name


_UNNAMED_SUFFIXES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heic",
    "application/pdf": ".pdf",
}


def _unnamed(number: int, content_type: str) -> str:
    return f"attachment-{number}{_UNNAMED_SUFFIXES.get(content_type, '.bin')}"


def _is_flowed(part: Message) -> bool:
    return _param(part, "format").lower() == "flowed"


def _best_alternative(found: list[_Content]) -> _Content | None:
    # Alternatives come plainest first (RFC 2046 5.1.4), so the last of a kind wins.
    html = next((c for c in reversed(found) if c.is_html and c.html), None)
    plain = next((c for c in reversed(found) if not c.is_html and c.text.strip()), None)
    if html is not None:
        text = plain.text if plain is not None else html.text
        return _Content(html=html.html, text=text, is_html=True)
    if plain is not None:
        return plain
    return found[-1] if found else None


def _joined(found: list[_Content]) -> _Content | None:
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    return _Content(
        html="".join(c.html for c in found),
        text="\n\n".join(c.text for c in found if c.text.strip()),
        is_html=any(c.is_html for c in found),
    )


def _decode_text(payload: bytes, declared: str | None) -> tuple[str, str | None]:
    """Return the payload as text and, if the declared charset failed, why."""
    label = _clean_line(declared or "")[:40]
    if label:
        codec = _codec_name(label)
        if codec is not None:
            for candidate in (_CHARSET_SUPERSETS.get(codec), codec):
                if candidate is None:
                    continue
                try:
                    return payload.decode(candidate), None
                except (UnicodeError, LookupError, ValueError):
                    continue
    try:
        text = payload.decode("utf-8")
        used = "UTF-8"
    except UnicodeDecodeError:
        codec = code_page_guess(payload)
        text = payload.decode(codec, errors="replace")
        used = _CODE_PAGE_NAMES[codec]
    if not label:
        if used == "UTF-8":
            return text, None
        return text, (
            "The message did not say which character set its text used; "
            f"it was read as {used}."
        )
    if _codec_name(label) is None:
        return text, (
            f"The message named a character set we do not know ({label}); "
            f"its text was read as {used}."
        )
    return text, (
        f"The message said its text was in {label}, but it was not; "
        f"it was read as {used}."
    )


_CODE_PAGE_NAMES = {"cp1256": "Windows-1256", "cp1252": "Windows-1252"}


def code_page_guess(data: bytes) -> str:
    """Return the Windows code page text that is not UTF-8 was most likely saved in:
    Windows-1256 (Arabic script: Dari, Pashto) or Windows-1252 (Latin).

    Arabic-script text is mostly bytes above 127 in Windows-1256; Latin text with
    accents is mostly plain ASCII letters with a few above 127.
    """
    high = sum(1 for byte in data if byte > 127)
    letters = sum(1 for byte in data if byte > 127 or chr(byte).isalpha())
    return "cp1256" if letters and high / letters > 0.3 else "cp1252"


def _codec_name(label: str) -> str | None:
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _unflow(text: str, *, delete_space: bool) -> str:
    """Join the soft line breaks of RFC 3676 format=flowed text."""
    lines: list[str] = []
    carry = ""
    for line in text.split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line != _SIGNATURE_SEPARATOR and line.endswith(" "):
            carry += line[:-1] if delete_space else line
            continue
        lines.append(carry + line)
        carry = ""
    if carry:
        lines.append(carry)
    return "\n".join(lines)


def _strip_signature(text: str) -> str:
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        if lines[index] == _SIGNATURE_SEPARATOR:
            return "\n".join(lines[:index]).rstrip()
    return text.strip("\n")


class _TextCollector(HTMLParser):
    _PARAGRAPH = frozenset({"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._PARAGRAPH:
            self.chunks.append("\n\n")
        elif tag in ("br", "li"):
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._PARAGRAPH:
            self.chunks.append("\n\n")
        elif tag == "li":
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def _html_to_text(markup: str) -> str:
    """Return the text of sanitised HTML, one paragraph per block."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    text = "".join(collector.chunks).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# Strings -------------------------------------------------------------------------


def _fix_surrogates(value: str) -> str:
    # The parser keeps undecodable header bytes as lone surrogates; read them as
    # UTF-8 (what unlabelled 8-bit headers nearly always are) so the text can be
    # stored.
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def _clean_line(value: str) -> str:
    """Return a header value as one line: no control characters, and none of the
    direction controls that would let "Report\u202excod.exe" show as "Report.docx"
    (right-to-left text needs none of them to read right; the marks stay)."""
    value = _WHITESPACE.sub(" ", _fix_surrogates(value))
    return _BIDI_CONTROLS.sub("", _CONTROL_IN_LINE.sub("", value)).strip()
