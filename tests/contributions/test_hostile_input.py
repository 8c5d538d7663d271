"""Hostile mail and posts, end to end: every trick in a message's HTML, headers,
character sets or structure is made harmless before the newsroom or the site shows
it, and every limit a message breaks is named to the editor and to its writer."""

from __future__ import annotations

import base64
import email
import re
import struct
import unicodedata
import uuid
import zlib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from html import escape
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Contributor, RawMessage, Submission
from newsdesk.contributions.parsing import (
    MAX_ATTACHMENTS,
    MAX_BODY_CHARS,
    MAX_DEPTH,
    MAX_PARTS,
    TOO_DEEP,
    TOO_LONG,
    TOO_MANY_ATTACHMENTS,
    TOO_MANY_PARTS,
    TOO_MANY_SECTIONS,
)
from newsdesk.contributions.receiver import MailReceiver
from newsdesk.contributions.sanitise import MAX_NESTING
from newsdesk.contributions.services import raw_message_parse, submission_accept
from newsdesk.stories.models import Person, SectionPage, StoryPage

from .conftest import build_message, mail_files
from .documents import docx, zip_bomb
from .test_receiver import send
from .test_services import stored_raw

WRITER = "farida@writers.example"
MX = "mx.news.example"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = ("Content-Type: text/html; charset=utf-8",)
# Characters that change the direction of the text around them: the embeddings and
# overrides (LRE, RLE, PDF, LRO, RLO) and the isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

Arrive = Callable[[bytes], Submission]


@pytest.fixture
def arrive(db: None, django_capture_on_commit_callbacks: Any) -> Arrive:
    """Keep a raw message as it arrived, read it into a submission, and send the
    writer what they are sent on arrival (tasks run at once in tests)."""

    def receive(data: bytes) -> Submission:
        with django_capture_on_commit_callbacks(execute=True):
            submission = raw_message_parse(
                raw=stored_raw(data, f"{uuid.uuid4().hex}.eml")
            )
        assert submission is not None
        return submission

    return receive


def message(
    body: bytes | str = "The river rose overnight.\r\n",
    *,
    subject: str = "Floods reach the capital",
    sender: str = f"Farida Noori <{WRITER}>",
    headers: tuple[str, ...] = ("Content-Type: text/plain; charset=utf-8",),
) -> bytes:
    """Return a raw message from the writer with these headers and body."""
    return build_message(
        subject=subject,
        sender=sender,
        body=body.encode() if isinstance(body, str) else body,
        extra_headers=headers,
    )


def encoded_word(text: str) -> str:
    """Return text as one RFC 2047 encoded word, as mail programs send names."""
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def receipt() -> mail.EmailMessage:
    """Return the one receipt the writer was sent."""
    receipts = [m for m in mail.outbox if m.subject.startswith("Received:")]
    assert len(receipts) == 1, [m.subject for m in mail.outbox]
    return receipts[0]


def newsroom_page(user: User, submission: Submission) -> str:
    """Return the submission's page in the newsroom, as an editor sees it."""
    client = Client()
    client.force_login(user)
    response = client.get(reverse("contributions:detail", args=[submission.pk]))
    assert response.status_code == 200
    return response.content.decode()


def mixed(*parts: str, boundary: str = "b") -> str:
    """Return a multipart body holding these parts (each its headers and body)."""
    return (
        "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    )


def multipart(boundary: str = "b") -> tuple[str, ...]:
    return (f'Content-Type: multipart/mixed; boundary="{boundary}"',)


def with_files(text: str, files: tuple[tuple[str, str, bytes], ...]) -> bytes:
    """Return a message from the writer with this text and these attached files."""
    built = EmailMessage()
    built["From"] = f"Farida Noori <{WRITER}>"
    built["To"] = "stories@news.example"
    built["Subject"] = "Floods reach the capital"
    built["Message-ID"] = f"<{uuid.uuid4().hex}@writers.example>"
    built.set_content(text)
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        built.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(built)


def png_header(width: int, height: int) -> bytes:
    """Return a PNG that claims these dimensions and holds no pixels: what a
    "decompression bomb" looks like before it is opened."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


# --- HTML: scripts, handlers, links and styles never survive ------------------------


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        pytest.param(
            "<p>Markets reopened.</p><script>steal('script')</script>",
            "<p>Markets reopened.</p>",
            id="script-and-its-code",
        ),
        pytest.param(
            "<style>p { display: none }</style><p>Markets reopened.</p>",
            "<p>Markets reopened.</p>",
            id="style-block-and-its-rules",
        ),
        pytest.param(
            '<p>Markets reopened.</p><iframe src="https://evil.example/">Fallback</iframe>',
            "<p>Markets reopened.</p>",
            id="iframe-and-its-fallback",
        ),
        pytest.param(
            '<p>Markets reopened.</p><object data="https://evil.example/x.swf">'
            '<param name="src" value="x">Fallback</object>',
            "<p>Markets reopened.</p>",
            id="object-and-its-fallback",
        ),
        pytest.param(
            '<p>Markets reopened.</p><svg onload="steal()"><text>Drawn</text></svg>',
            "<p>Markets reopened.</p>",
            id="svg-onload",
        ),
        pytest.param(
            '<p>Markets reopened.<img src="x" onerror="steal()"></p>',
            "<p>Markets reopened.</p>",
            id="img-onerror",
        ),
        pytest.param(
            '<p>Markets <a onclick="steal()">reopened</a>.</p>',
            "<p>Markets reopened.</p>",
            id="a-onclick",
        ),
        pytest.param(
            '<html><body onload="steal()"><p>Markets reopened.</p></body></html>',
            "<p>Markets reopened.</p>",
            id="body-onload",
        ),
    ],
)
def test_active_html_never_survives_into_the_story(
    arrive: Arrive, html: str, kept: str
) -> None:
    submission = arrive(message(html, headers=HTML))

    assert submission.body_html == kept
    assert submission.problems == []


@pytest.mark.parametrize(
    "href",
    [
        pytest.param("javascript:steal()", id="javascript"),
        pytest.param("JaVaScRiPt:steal()", id="mixed-case"),
        pytest.param("java&#x09;script:steal()", id="tab-entity"),
        pytest.param("java\tscript:steal()", id="tab"),
        pytest.param(" &#106;ava&#x0A;script&colon;steal()", id="entities-newline"),
        pytest.param("vbscript:msgbox(1)", id="vbscript"),
        pytest.param(
            "data:text/html;base64,PHNjcmlwdD5zdGVhbCgpPC9zY3JpcHQ+", id="data-html"
        ),
    ],
)
def test_a_link_that_runs_code_loses_its_address_but_keeps_its_words(
    arrive: Arrive, href: str
) -> None:
    submission = arrive(
        message(f'<p>Read <a href="{href}">the report</a>.</p>', headers=HTML)
    )

    assert submission.body_html == "<p>Read the report.</p>"


def test_a_data_image_is_dropped(arrive: Arrive) -> None:
    html = '<p>Photo: <img src="data:image/svg+xml;base64,PHN2Zy8+" alt="x">here</p>'

    submission = arrive(message(html, headers=HTML))

    assert submission.body_html == "<p>Photo: here</p>"


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(
            '<div style="position:fixed;top:0;left:0;width:100%;height:100%;'
            'background:white">Markets reopened.</div>',
            id="fixed-overlay",
        ),
        pytest.param(
            '<p style="width:expression(steal())">Markets reopened.</p>',
            id="expression",
        ),
        pytest.param(
            '<p style="background:url(javascript:steal())">Markets reopened.</p>',
            id="url-javascript",
        ),
        pytest.param(
            "<style>@import url(https://evil.example/x.css)</style>"
            "<p>Markets reopened.</p>",
            id="style-block-import",
        ),
        pytest.param(
            '<link rel="stylesheet" href="https://evil.example/x.css">'
            "<p>Markets reopened.</p>",
            id="linked-stylesheet",
        ),
        pytest.param(
            '<p class="help-block help-critical" id="main-content">Markets reopened.</p>',
            id="newsroom-classes",
        ),
    ],
)
def test_styling_never_survives_into_the_story(arrive: Arrive, html: str) -> None:
    submission = arrive(message(html, headers=HTML))

    assert submission.body_html == "<p>Markets reopened.</p>"


HOSTILE = (
    "<style>body{display:none}</style><script>steal('script')</script>"
    "<h1 onclick=\"steal('h1')\">Markets reopened</h1>"
    "<p>Traders <a href=\"java&#x09;script:steal('a')\">returned</a>"
    "<img src=x onerror=\"steal('img')\"><svg onload=\"steal('svg')\"></svg>"
    '<iframe src="https://evil.example/frame"></iframe></p>'
    '<p style="position:fixed;background:url(https://evil.example/bg)">Prices fell.</p>'
)
SAFE = "<h2>Markets reopened</h2><p>Traders returned</p><p>Prices fell.</p>"


def _assert_harmless(page: str) -> None:
    assert "steal(" not in page
    assert "evil.example" not in page
    assert "position:fixed" not in page


def test_the_newsroom_page_shows_hostile_html_harmless(
    arrive: Arrive, editor: User
) -> None:
    submission = arrive(message(HOSTILE, headers=HTML))

    page = newsroom_page(editor, submission)

    assert submission.body_html == SAFE
    assert f'<article class="submission-body">{SAFE}</article>' in page
    _assert_harmless(page)


def test_a_writer_s_hostile_note_beside_a_document_is_shown_harmless(
    arrive: Arrive, editor: User
) -> None:
    built = EmailMessage()
    built["From"] = f"Farida Noori <{WRITER}>"
    built["Subject"] = "Floods reach the capital"
    built["Message-ID"] = "<note@writers.example>"
    built.set_content(HOSTILE, subtype="html")
    built.add_attachment(
        docx(link=("the map", "javascript:steal('docx')")),
        maintype="application",
        subtype=DOCX.split("/")[1],
        filename="story.docx",
    )

    submission = arrive(bytes(built))
    page = newsroom_page(editor, submission)

    assert submission.cover_note_html == SAFE
    assert "<p>the map</p>" in submission.body_html
    assert "<a" not in submission.body_html
    _assert_harmless(page)


def test_hostile_html_accepted_as_a_story_never_reaches_the_site(
    arrive: Arrive, editor: User, section: SectionPage
) -> None:
    submission = arrive(message(HOSTILE, headers=HTML))

    story = submission_accept(submission=submission, section=section, by=editor)

    client = Client()
    client.force_login(editor)
    preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[story.pk]))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Traders returned" in html
    _assert_harmless(html)
    _assert_harmless(str(StoryPage.objects.get(pk=story.pk).body))


def test_markup_in_a_subject_is_shown_as_text(arrive: Arrive, editor: User) -> None:
    subject = "<script>steal()</script><b>Floods</b>"

    submission = arrive(message(subject=subject))
    page = newsroom_page(editor, submission)

    assert submission.headline == subject
    assert escape(subject) in page
    assert subject not in page


def test_markup_in_the_sender_s_name_is_shown_as_text(
    arrive: Arrive, editor: User
) -> None:
    name = "<img src=x onerror=steal()>"

    submission = arrive(message(sender=f"{encoded_word(name)} <{WRITER}>"))
    page = newsroom_page(editor, submission)

    assert submission.sender_name == name
    assert escape(name) in page
    assert name not in page


def test_markup_in_a_file_name_is_shown_as_text(arrive: Arrive, editor: User) -> None:
    name = "<svg onload=steal()>.jpg"

    submission = arrive(with_files("A photo.", ((name, "image/jpeg", b"\xff\xd8"),)))
    page = newsroom_page(editor, submission)

    assert submission.files.get().name == name
    assert escape(name) in page
    assert name not in page


# --- Headers: forged senders, injected lines, forged authentication ---------------


def test_a_name_that_looks_like_an_address_does_not_become_the_sender(
    arrive: Arrive,
) -> None:
    # given: an editor's address is a known writer's
    person = Person.objects.create(name="Editor", kind=Person.Kind.CONTRIBUTOR)
    Contributor.objects.create(email="editor@agency.example", person=person)

    # when: a message puts that address in the name before its own address
    submission = arrive(message(sender='"editor@agency.example" <x@evil.example>'))

    # then: the message is from the address it was sent from, and only that
    assert submission.sender_email == "x@evil.example"
    assert submission.sender_name == "editor@agency.example"
    assert submission.contributor is None
    assert receipt().to == ["x@evil.example"]


def test_an_unquoted_address_before_the_real_one_does_not_become_the_sender(
    arrive: Arrive,
) -> None:
    submission = arrive(message(sender="editor@agency.example <x@evil.example>"))

    assert submission.sender_email == "x@evil.example"
    assert receipt().to == ["x@evil.example"]


def test_line_breaks_in_an_encoded_subject_cannot_add_headers_to_the_receipt(
    arrive: Arrive,
) -> None:
    subject = encoded_word("Floods\r\nBcc: victim@else.example\r\n\r\nInjected body")

    submission = arrive(message(subject=subject))

    assert submission.headline == ("Floods Bcc: victim@else.example Injected body")
    assert not any(unicodedata.category(c) == "Cc" for c in submission.headline)
    sent = email.message_from_bytes(receipt().message().as_bytes())
    assert sent.get_all("To") == [WRITER]
    assert sent["Bcc"] is None
    assert sent["Subject"] == "Received: Floods Bcc: victim@else.example Injected body"


def test_control_characters_in_a_raw_subject_are_removed(arrive: Arrive) -> None:
    submission = arrive(message(subject="Floods\x1b[2J\x07 in\x08 Herat\x7f\x9b"))

    assert submission.headline == "Floods[2J in Herat"


def test_line_breaks_in_an_encoded_sender_name_cannot_change_the_sender(
    arrive: Arrive,
) -> None:
    name = encoded_word("Farida\r\nBcc: victim@else.example")

    submission = arrive(message(sender=f"{name} <{WRITER}>"))

    assert submission.sender_email == WRITER
    assert receipt().to == [WRITER]


def test_a_forged_pass_below_the_server_s_dmarc_failure_is_not_believed(
    arrive: Arrive, settings: SettingsWrapper
) -> None:
    # given: our server found DMARC failing; the sender wrote a "pass" of its own
    settings.NEWSDESK_TRUSTED_AUTHSERV_ID = MX
    data = (
        f"Authentication-Results: {MX}; spf=fail smtp.mailfrom=writers.example; "
        "dkim=none; dmarc=fail header.from=writers.example\r\n"
    ).encode() + message(
        headers=(
            f"Authentication-Results: {MX}; spf=pass; dkim=pass; dmarc=pass",
            "Content-Type: text/plain; charset=utf-8",
        )
    )

    # when
    submission = arrive(data)

    # then: held apart, saying why, and nothing is written to the "sender"
    assert submission.state == Submission.State.QUARANTINED
    assert any("DMARC failed" in p for p in submission.problems)
    assert mail.outbox == []


def test_a_forged_pass_below_the_server_s_spf_failure_is_not_believed(
    arrive: Arrive, settings: SettingsWrapper
) -> None:
    settings.NEWSDESK_TRUSTED_AUTHSERV_ID = MX
    data = (
        f"Authentication-Results: {MX}; spf=fail smtp.mailfrom=writers.example; "
        "dkim=none\r\n"
    ).encode() + message(
        headers=(
            f"Authentication-Results: {MX}; dkim=pass header.d=writers.example",
            "Content-Type: text/plain; charset=utf-8",
        )
    )

    submission = arrive(data)

    assert submission.state == Submission.State.QUARANTINED
    assert mail.outbox == []


def test_a_forged_pass_without_the_server_s_header_earns_nothing(
    arrive: Arrive, settings: SettingsWrapper
) -> None:
    # given: new writers confirm first; our server added no header of its own
    settings.NEWSDESK_TRUSTED_AUTHSERV_ID = MX
    settings.NEWSDESK_CONFIRM_NEW_WRITERS = True
    data = message(
        headers=(
            f"Authentication-Results: {MX}; spf=pass; dkim=pass; dmarc=pass",
            "Content-Type: text/plain; charset=utf-8",
        )
    )

    # when
    submission = arrive(data)

    # then: it waits for the writer's confirmation like any new writer's message
    assert submission.state == Submission.State.UNCONFIRMED
    assert [m.subject for m in mail.outbox] == [
        "Please confirm: Floods reach the capital"
    ]


# --- Right-to-left text and direction controls --------------------------------------


def test_dari_mixed_with_english_arrives_as_written(
    arrive: Arrive, editor: User
) -> None:
    subject = "گزارش Reuters: بازار کابل باز است (Kabul market open)"
    body = "بازار «مندوی» امروز باز شد، said the mayor.\r\nد کابل ښار: 12 دوکانونه.\r\n"

    submission = arrive(message(body, subject=encoded_word(subject)))
    page = newsroom_page(editor, submission)

    assert submission.headline == subject
    assert submission.body_html == (
        "<p>بازار «مندوی» امروز باز شد، said the mayor.<br>د کابل ښار: 12 دوکانونه.</p>"
    )
    assert submission.problems == []
    assert f'<h2 dir="auto">{subject}</h2>' in page


def _isolated(page: str, text: str) -> bool:
    """Say whether the text is shown only inside a direction isolate: a <bdi>, or
    an element whose direction is its own (dir="auto", "ltr" or "rtl")."""
    shown = escape(text, quote=False)
    # The window's title is not laid out with the page's text.
    laid_out = re.sub(r"<title>.*?</title>", "", page, flags=re.DOTALL)
    isolates = re.findall(
        r'<(?:bdi|[a-z0-9]+\s[^>]*\bdir="(?:auto|ltr|rtl)")[^>]*>([^<]*)<', laid_out
    )
    inside = sum(found.count(shown) for found in isolates)
    return laid_out.count(shown) > 0 and inside == laid_out.count(shown)


def test_a_direction_override_in_a_subject_cannot_reorder_the_newsroom_page(
    arrive: Arrive, editor: User
) -> None:
    subject = "Floods \u202eexe.tropeR\u202c \u2067فوری\u2069 report"

    submission = arrive(message(subject=encoded_word(subject)))
    page = newsroom_page(editor, submission)
    client = Client()
    client.force_login(editor)
    queue = client.get(reverse("contributions:index")).content.decode()

    headline = submission.headline
    assert not BIDI_CONTROLS & set(headline) or (
        _isolated(page, headline) and _isolated(queue, headline)
    )


def test_a_direction_override_in_the_sender_name_cannot_reverse_the_address(
    arrive: Arrive, editor: User
) -> None:
    name = encoded_word("Farida \u202e")

    submission = arrive(message(sender=f"{name} <{WRITER}>"))
    page = newsroom_page(editor, submission)

    assert not BIDI_CONTROLS & set(submission.sender_name) or _isolated(
        page, submission.sender_name
    )


def test_a_direction_override_in_a_file_name_cannot_disguise_its_kind(
    arrive: Arrive, editor: User
) -> None:
    submission = arrive(
        with_files(
            "My story.",
            (("report\u202excod.exe", "application/x-msdos-program", b"MZ"),),
        )
    )
    page = newsroom_page(editor, submission)

    name = submission.files.get().name
    assert name.endswith(".exe")
    assert not BIDI_CONTROLS & set(name) or _isolated(page, name)


# --- Wrong and missing character sets -----------------------------------------------

DARI = "گزارش تازه از کابل: بازار باز است."


def test_utf8_text_labelled_us_ascii_is_read_as_utf8_saying_so(
    arrive: Arrive,
) -> None:
    submission = arrive(
        message(DARI, headers=("Content-Type: text/plain; charset=us-ascii",))
    )

    assert submission.body_html == f"<p>{DARI}</p>"
    said = (
        "The message said its text was in us-ascii, but it was not; "
        "it was read as UTF-8."
    )
    assert submission.problems == [said]
    assert said in receipt().body


def test_windows_1256_text_labelled_utf8_is_read_without_failing_saying_so(
    arrive: Arrive,
) -> None:
    submission = arrive(
        message(
            DARI.encode("cp1256"), headers=("Content-Type: text/plain; charset=utf-8",)
        )
    )

    said = (
        "The message said its text was in utf-8, but it was not; "
        "it was read as Windows-1256."
    )
    assert submission.problems == [said]
    assert said in receipt().body


def test_windows_1256_text_labelled_utf8_is_readable(arrive: Arrive) -> None:
    submission = arrive(
        message(
            DARI.encode("cp1256"), headers=("Content-Type: text/plain; charset=utf-8",)
        )
    )

    assert submission.body_html == f"<p>{DARI}</p>"


def test_an_unknown_charset_is_read_as_utf8_saying_so(arrive: Arrive) -> None:
    submission = arrive(
        message(DARI, headers=("Content-Type: text/plain; charset=x-klingon",))
    )

    assert submission.body_html == f"<p>{DARI}</p>"
    assert submission.problems == [
        "The message named a character set we do not know (x-klingon); "
        "its text was read as UTF-8."
    ]


def test_an_unlabelled_windows_1256_subject_gives_replacement_characters(
    arrive: Arrive,
) -> None:
    data = message().replace(
        b"Subject: Floods reach the capital", b"Subject: " + DARI.encode("cp1256")
    )

    submission = arrive(data)

    assert set(submission.headline) <= {"\ufffd", " ", ":", "."}
    assert "\ufffd" in submission.headline
    assert submission.body_html == "<p>The river rose overnight.</p>"


# --- Malformed MIME ------------------------------------------------------------------

TEXT_PART = "Content-Type: text/plain; charset=utf-8\r\n\r\nThe bridge was open."


def test_a_last_part_never_closed_is_read_saying_so(arrive: Arrive) -> None:
    body = f"--b\r\n{TEXT_PART}\r\n"  # no closing --b--

    submission = arrive(message(body, headers=multipart()))

    assert submission.body_html == "<p>The bridge was open.</p>"
    assert submission.problems == ["The message's last part was not closed."]


def test_a_boundary_never_used_leaves_the_body_read_as_text_saying_so(
    arrive: Arrive,
) -> None:
    submission = arrive(message("The bridge was open.\r\n", headers=multipart()))

    assert submission.body_html == "<p>The bridge was open.</p>"
    assert submission.problems == [
        "The message's parts did not start where it said they would; "
        "some text may be missing.",
        "The message said it had several parts but not where they were divided; "
        "its body was read as plain text.",
    ]


def test_a_multipart_with_no_parts_is_kept_and_not_queued(db: None) -> None:
    raw = stored_raw(message("--b--\r\n", headers=multipart()))

    assert raw_message_parse(raw=raw) is None

    raw.refresh_from_db()
    assert raw.state == RawMessage.State.REJECTED
    assert "no text" in raw.outcome
    assert not Submission.objects.exists()


def test_base64_with_garbage_is_decoded_as_far_as_it_goes_saying_so(
    arrive: Arrive,
) -> None:
    encoded = base64.b64encode(b"The bridge was open.").decode()
    body = encoded[:8] + "!!**%%\r\n" + encoded[8:] + "\r\n"

    submission = arrive(
        message(
            body,
            headers=(
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: base64",
            ),
        )
    )

    assert submission.body_html == "<p>The bridge was open.</p>"
    assert submission.problems == [
        "Part of the message was badly base64-encoded; its text may be incomplete."
    ]


def test_a_nonsense_transfer_encoding_leaves_the_text_as_it_came(
    arrive: Arrive,
) -> None:
    submission = arrive(
        message(
            "The bridge was open.\r\n",
            headers=(
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: x-nonsense",
            ),
        )
    )

    assert submission.body_html == "<p>The bridge was open.</p>"


# --- Limits, each named to the writer -----------------------------------------------


def _told(submission: Submission, sentence: str) -> None:
    """Assert the sentence is among the submission's problems, shown to editors,
    and in the receipt its writer was sent."""
    assert sentence in submission.problems
    assert f"  - {sentence}" in receipt().body


def test_too_many_parts_are_left_unread_and_the_writer_told(arrive: Arrive) -> None:
    parts = [
        f"Content-Type: text/plain\r\n\r\nPart {n}." for n in range(MAX_PARTS + 20)
    ]

    submission = arrive(message(mixed(*parts), headers=multipart()))

    _told(submission, TOO_MANY_PARTS)
    assert "Part 0." in submission.body_html
    assert f"Part {MAX_PARTS}." not in submission.body_html


def _nested(depth: int, inner: str) -> str:
    part = inner
    for level in range(depth):
        part = f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n' + mixed(
            part, boundary=f"b{level}"
        )
    return part


def test_parts_nested_too_deep_are_left_unread_and_the_writer_told(
    arrive: Arrive,
) -> None:
    deep = _nested(MAX_DEPTH + 5, "Content-Type: text/plain\r\n\r\nToo deep.")
    body = mixed("Content-Type: text/plain\r\n\r\nShallow.", deep, boundary="top")

    submission = arrive(message(body, headers=multipart("top")))

    _told(submission, TOO_DEEP)
    assert submission.body_html == "<p>Shallow.</p>"


def test_parts_nested_past_what_the_parser_can_read_are_told_to_the_writer(
    arrive: Arrive,
) -> None:
    # Each part opens the next and none is closed: 3,000 levels in 200 KB.
    deep = "".join(
        f'--b{n}\r\nContent-Type: multipart/mixed; boundary="b{n + 1}"\r\n\r\n'
        for n in range(3000)
    )
    body = (
        f"--top\r\nContent-Type: text/plain\r\n\r\nShallow.\r\n"
        f'--top\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n{deep}'
    )

    submission = arrive(message(body, headers=multipart("top")))

    _told(submission, TOO_MANY_SECTIONS)
    assert "Shallow." in submission.body_html


def test_text_too_long_is_cut_short_and_the_writer_told(arrive: Arrive) -> None:
    body = "word " * (MAX_BODY_CHARS // 5 + 1000)

    submission = arrive(message(body))

    _told(submission, TOO_LONG)
    assert submission.body_html.startswith("<p>word word")
    assert len(submission.body_html) <= MAX_BODY_CHARS + len("<p></p>")


def test_too_many_attachments_are_left_out_and_the_writer_told(
    arrive: Arrive,
) -> None:
    files = tuple(
        (f"note{n}.bin", "application/octet-stream", bytes([n]))
        for n in range(MAX_ATTACHMENTS + 5)
    )

    submission = arrive(with_files("My notes are attached.", files))

    _told(submission, TOO_MANY_ATTACHMENTS)
    assert submission.files.count() == MAX_ATTACHMENTS


def test_a_zip_bomb_document_is_refused_and_the_writer_told(arrive: Arrive) -> None:
    bomb = zip_bomb(size=70_000_000)  # about 70 KB to send

    submission = arrive(
        with_files("My story is attached.", (("story.docx", DOCX, bomb),))
    )

    _told(
        submission,
        "“story.docx” unpacks to more than 60 MB, far more than a story needs; "
        "please send the text alone.",
    )
    assert submission.body_html == "<p>My story is attached.</p>"


def test_a_document_packed_past_the_compression_ratio_is_told_the_limit_it_hit(
    arrive: Arrive,
) -> None:
    bomb = zip_bomb(size=5_000_000)  # under the size limit, but 1,000 times packed

    submission = arrive(with_files("My story.", (("story.docx", DOCX, bomb),)))

    refused = [p for p in submission.problems if "story.docx" in p]
    assert len(refused) == 1
    assert "60 MB" not in refused[0]
    assert refused[0] in receipt().body


def test_a_photo_over_the_pixel_limit_is_told_to_the_writer(arrive: Arrive) -> None:
    submission = arrive(
        with_files("A photo.", (("huge.png", "image/png", png_header(9000, 8000)),))
    )

    _told(
        submission,
        "“huge.png” is 9000 by 8000 pixels, more than the 60 megapixels a photo "
        "may have.",
    )


def test_a_photo_over_the_pixel_limit_stays_out_of_the_library_saying_why(
    arrive: Arrive, editor: User, section: SectionPage
) -> None:
    submission = arrive(
        with_files("A photo.", (("huge.png", "image/png", png_header(9000, 8000)),))
    )

    story = submission_accept(submission=submission, section=section, by=editor)

    assert StoryPage.objects.get(pk=story.pk).lead_image is None
    submission.refresh_from_db()
    assert submission.problems == [
        "“huge.png” is 9000 by 8000 pixels, more than the 60 megapixels a photo "
        "may have."
    ]


def test_html_nested_too_deep_keeps_its_text(arrive: Arrive) -> None:
    html = "<blockquote>" * (MAX_NESTING * 20) + "Deep text"

    submission = arrive(message(html, headers=HTML))

    assert submission.body_html.count("<blockquote>") == MAX_NESTING
    assert "Deep text" in submission.body_html


def test_html_nested_too_deep_is_told_to_the_writer(arrive: Arrive) -> None:
    html = "<blockquote>" * (MAX_NESTING * 20) + "Deep text"

    submission = arrive(message(html, headers=HTML))

    assert any(str(MAX_NESTING) in p and "nested" in p for p in submission.problems)
    assert any(
        str(MAX_NESTING) in line and "nested" in line
        for line in receipt().body.splitlines()
    )


def test_a_message_over_the_size_limit_is_refused_saying_the_limit(
    start_receiver: Callable[..., MailReceiver],
) -> None:
    receiver = start_receiver(max_bytes=10_000)
    data = message(HOSTILE * 100, headers=HTML)

    code, reply = send(receiver.port, data)

    assert code == 552
    assert reply == (
        "5.3.4 Message too big: the limit is 10 KB. "
        "Send large files as links, or split them into several messages."
    )
    assert not RawMessage.objects.exists()
    assert mail_files() == []


# --- The web form --------------------------------------------------------------------

FORM_URL = "/contribute/send/"


@pytest.fixture
def form_client(transactional_db: None) -> Iterator[Client]:
    cache.clear()  # the per-address counters
    yield Client()
    cache.clear()


def _post(client: Client, **fields: object) -> Any:
    data: dict[str, object] = {
        "name": "Farida Noori",
        "email": WRITER,
        "headline": "Floods reach the capital",
        "text": "The river rose overnight.",
        "website": "",
    }
    data.update(fields)
    return client.post(FORM_URL, data, REMOTE_ADDR="192.0.2.77")


def test_the_form_refuses_too_many_files_saying_the_limit(form_client: Client) -> None:
    uploads = [
        SimpleUploadedFile(f"p{n}.jpg", b"x", content_type="image/jpeg")
        for n in range(MAX_ATTACHMENTS + 1)
    ]

    response = _post(form_client, attachments=uploads)

    assert response.status_code == 400
    assert (
        f"Send at most {MAX_ATTACHMENTS} files; you chose {MAX_ATTACHMENTS + 1}."
        in response.content.decode()
    )
    assert not RawMessage.objects.exists()


def test_the_form_refuses_files_too_large_saying_the_limit(
    form_client: Client, settings: SettingsWrapper
) -> None:
    settings.NEWSDESK_MAIL_MAX_BYTES = 2_000_000
    upload = SimpleUploadedFile(
        "story.pdf", b"%PDF-" + b"x" * 2_500_000, content_type="application/pdf"
    )

    response = _post(form_client, attachments=[upload])

    assert response.status_code == 400
    assert "The files come to 2.5 MB; the limit is 2 MB." in response.content.decode()
    assert not RawMessage.objects.exists()


def test_the_form_answers_a_headline_with_a_line_break_without_failing(
    form_client: Client,
) -> None:
    response = _post(form_client, headline="Floods\r\nBcc: victim@else.example")

    assert response.status_code in (200, 400)
    for submission in Submission.objects.all():
        assert "\n" not in submission.headline


def test_the_form_answers_a_name_with_a_line_break_without_failing(
    form_client: Client,
) -> None:
    response = _post(form_client, name="Farida\r\nBcc: victim@else.example")

    assert response.status_code in (200, 400)
