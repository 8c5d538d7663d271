"""Reading contributors' raw email into clean parts."""

import base64
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.contributions.parsing import (
    BAD_DATE,
    BAD_SENDER,
    MAX_BODY_CHARS,
    NO_BOUNDARY,
    TOO_DEEP,
    TOO_LONG,
    TOO_MANY_PARTS,
    TOO_MANY_SECTIONS,
    UNREADABLE,
    ParsedMessage,
    parse_message,
)
from newsdesk.contributions.sanitise import sanitise_html

FIXTURES = Path(__file__).parent / "fixtures"
KABUL = timezone(timedelta(hours=4, minutes=30))


def parse_fixture(name: str) -> ParsedMessage:
    return parse_message((FIXTURES / name).read_bytes())


def message(*headers: str, body: bytes | str = b"Story text.\r\n") -> bytes:
    """Return a raw message with these header lines and body."""
    if isinstance(body, str):
        body = body.encode()
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def test_plain_text_message_is_read_into_its_parts() -> None:
    parsed = parse_fixture("plain.eml")

    assert parsed.message_id == "<plain@mail.example.org>"
    assert parsed.sender_email == "mariam.rahimi@example.org"
    assert parsed.sender_name == "Mariam Rahimi"
    assert parsed.subject == "Flood waters reach Jalalabad"
    assert parsed.sent_at == datetime(2025, 3, 4, 9, 15, tzinfo=KABUL)
    assert parsed.problems == ()


def test_plain_text_becomes_escaped_paragraphs_without_the_signature() -> None:
    parsed = parse_fixture("plain.eml")

    assert parsed.body_html == (
        "<p>Water rose overnight in the city.<br>Families moved to higher ground.</p>"
        "<p>Officials said roads were closed &amp; bridges &lt;unsafe&gt;.</p>"
    )
    assert parsed.body_text == (
        "Water rose overnight in the city.\nFamilies moved to higher ground.\n\n"
        "Officials said roads were closed & bridges <unsafe>."
    )


def test_dashes_that_are_not_exactly_the_signature_line_are_kept() -> None:
    raw = message("Subject: s", body="Para one.\r\n--\r\nStill the story.\r\n")

    parsed = parse_message(raw)

    assert parsed.body_text == "Para one.\n--\nStill the story."


def test_html_message_is_sanitised() -> None:
    parsed = parse_fixture("html.eml")

    assert parsed.body_html == (
        "<h2>Flood report</h2><p>Water rose <b>overnight</b>.</p>"
        '<p>See <a href="https://relief.example/map">the map</a>.</p>'
    )
    assert parsed.body_text == "Flood report\n\nWater rose overnight.\n\nSee the map."
    assert parsed.problems == ()


def test_alternative_message_prefers_the_html_part_and_keeps_the_plain_text() -> None:
    parsed = parse_fixture("alternative.eml")

    assert parsed.body_html == "<p>Water rose <b>overnight</b>.</p>"
    assert parsed.body_text == "Water rose *overnight*."


def test_alternative_message_without_html_uses_the_plain_part() -> None:
    raw = message(
        "Subject: s",
        'Content-Type: multipart/alternative; boundary="b"',
        body=(
            "--b\r\nContent-Type: text/plain\r\n\r\nOnly plain.\r\n"
            "--b\r\nContent-Type: text/enriched\r\n\r\n<bold>x</bold>\r\n--b--\r\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.body_html == "<p>Only plain.</p>"
    assert parsed.body_text == "Only plain."


def test_mixed_message_reads_its_text_and_skips_attachments() -> None:
    parsed = parse_fixture("mixed_with_attachment.eml")

    assert parsed.body_html == "<p>My story is attached.</p>"
    assert parsed.body_text == "My story is attached."
    assert parsed.problems == ()


def test_quoted_printable_text_is_decoded() -> None:
    parsed = parse_fixture("quoted_printable.eml")

    assert parsed.body_text == (
        "Les eaux ont monté dans la nuit à Jalalabad, une ville où beaucoup de "
        "familles vivent près de la rivière.\n\nDeuxième paragraphe."
    )
    assert parsed.problems == ()


def test_base64_text_is_decoded() -> None:
    parsed = parse_fixture("base64.eml")

    assert parsed.body_html == (
        "<p>سیلاب شهر را فرا گرفت.</p><p>مردم به مناطق بلند رفتند.</p>"
    )
    assert parsed.problems == ()


def test_windows_1256_text_is_decoded() -> None:
    parsed = parse_fixture("windows_1256.eml")

    assert parsed.body_text == "گزارش تازه از کابل: بازار باز است."
    assert parsed.problems == ()


def test_iso_8859_1_text_is_decoded() -> None:
    parsed = parse_fixture("iso_8859_1.eml")

    assert parsed.body_text == "Le café de la rue était fermé."
    assert parsed.problems == ()


def test_iso_8859_1_label_reads_windows_1252_quotes() -> None:
    raw = message(
        "Subject: s",
        "Content-Type: text/plain; charset=iso-8859-1",
        body="\u201cQuoted\u201d \u2014 caf\u00e9".encode("cp1252"),
    )

    assert parse_message(raw).body_text == "\u201cQuoted\u201d \u2014 caf\u00e9"


def test_wrong_charset_falls_back_and_says_so() -> None:
    parsed = parse_fixture("wrong_charset.eml")

    assert parsed.body_text == "The minister\u2019s caf\u00e9 closed."
    assert parsed.problems == (
        "The message said its text was in utf-8, but it was not; "
        "it was read as Windows-1252.",
    )


def test_unknown_charset_falls_back_and_says_so() -> None:
    parsed = parse_fixture("unknown_charset.eml")

    assert parsed.body_text == "Plain words, and a caf\u00e9."
    assert parsed.problems == (
        "The message named a character set we do not know (x-klingon); "
        "its text was read as UTF-8.",
    )


def test_ascii_label_on_utf8_text_reads_utf8() -> None:
    raw = message(
        "Subject: s",
        "Content-Type: text/plain; charset=us-ascii",
        body="Kābul".encode(),
    )

    parsed = parse_message(raw)

    assert parsed.body_text == "Kābul"
    assert parsed.problems == (
        "The message said its text was in us-ascii, but it was not; "
        "it was read as UTF-8.",
    )


def test_undeclared_charset_on_8bit_text_is_read_as_windows_1252() -> None:
    raw = message("Subject: s", body="caf\u00e9".encode("cp1252"))

    parsed = parse_message(raw)

    assert parsed.body_text == "caf\u00e9"
    assert parsed.problems == (
        "The message did not say which character set its text used; "
        "it was read as Windows-1252.",
    )


def test_codec_that_is_not_a_charset_is_treated_as_unknown() -> None:
    raw = message("Subject: s", "Content-Type: text/plain; charset=rot13", body="Fgbel")

    parsed = parse_message(raw)

    assert parsed.body_text == "Fgbel"
    assert parsed.problems == (
        "The message named a character set we do not know (rot13); "
        "its text was read as UTF-8.",
    )


def test_utf8_b_encoded_subject_and_sender_name_are_decoded() -> None:
    parsed = parse_fixture("subject_utf8_b.eml")

    assert parsed.subject == "Überschwemmung in Kabul — Bericht"
    assert parsed.sender_name == "Zoë Müller"
    assert parsed.sender_email == "zoe@example.de"


def test_iso_8859_1_q_encoded_subject_is_decoded() -> None:
    assert parse_fixture("subject_latin1_q.eml").subject == "Crue à Hérat"


def test_dari_subject_is_decoded() -> None:
    parsed = parse_fixture("subject_dari.eml")

    assert parsed.subject == "گزارش تازه از کابل"
    assert parsed.problems == ()


def test_unencoded_utf8_subject_is_read_as_utf8() -> None:
    raw = message("Subject: گزارش", body="Text")

    assert parse_message(raw).subject == "گزارش"


def test_subject_whitespace_collapses_and_control_characters_go() -> None:
    raw = message("Subject: Flood \t report\x01\x7f\r\n  from   Herat", body="Text")

    assert parse_message(raw).subject == "Flood report from Herat"


def test_missing_subject_is_a_problem() -> None:
    parsed = parse_fixture("no_subject.eml")

    assert parsed.subject == ""
    assert parsed.body_text == "A story without a headline."
    assert parsed.problems == ("The message had no subject.",)


def test_blank_subject_is_a_problem() -> None:
    parsed = parse_message(message("Subject:   ", body="Text"))

    assert parsed.subject == ""
    assert parsed.problems == ("The message had no subject.",)


def test_empty_body_is_a_problem() -> None:
    parsed = parse_fixture("empty_body.eml")

    assert parsed.body_html == ""
    assert parsed.body_text == ""
    assert parsed.problems == ("The message had no text.",)


def test_html_body_with_nothing_readable_is_a_problem() -> None:
    raw = message(
        "Subject: s",
        "Content-Type: text/html",
        body='<div><img src="x"><script>x()</script></div>',
    )

    parsed = parse_message(raw)

    assert parsed.body_html == ""
    assert parsed.problems == ("The message had no text.",)


def test_multipart_without_boundary_is_read_as_text_and_named() -> None:
    parsed = parse_fixture("multipart_no_boundary.eml")

    assert parsed.body_text == "Text that was sent as if it had parts."
    assert parsed.problems == (NO_BOUNDARY,)


def test_broken_base64_is_decoded_as_far_as_it_goes_and_named() -> None:
    parsed = parse_fixture("broken_base64.eml")

    assert parsed.body_text == "The bridge was open."
    assert parsed.problems == (
        "Part of the message was badly base64-encoded; its text may be incomplete.",
    )


def test_base64_that_cannot_be_decoded_is_left_out_not_shown_as_gibberish() -> None:
    raw = message(
        "Subject: s",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: base64",
        body="QUJDREVGS",
    )

    parsed = parse_message(raw)

    assert parsed.body_text == ""
    assert parsed.problems == (
        "Part of the message was badly base64-encoded and could not be decoded.",
        "The message had no text.",
    )


def test_nul_bytes_are_removed_and_named() -> None:
    parsed = parse_fixture("nul_byte.eml")

    assert parsed.body_text == "Beforeafter."
    assert parsed.problems == ("NUL bytes were removed from the message.",)


def test_nul_bytes_inside_encoded_text_are_removed_too() -> None:
    raw = message(
        "Subject: s",
        "Content-Transfer-Encoding: base64",
        body=base64.b64encode(b"Be\x00fore"),
    )

    parsed = parse_message(raw)

    assert parsed.body_text == "Before"
    assert parsed.problems == ("NUL bytes were removed from the message.",)


def test_hostile_html_never_survives_into_the_body() -> None:
    parsed = parse_fixture("hostile_html.eml")

    assert parsed.body_html == (
        "<p>Markets reopened.</p>"
        '<p>Click and again or <a href="https://news.example/markets">read more</a>.</p>'
    )
    assert parsed.body_text == "Markets reopened.\n\nClick and again or read more."


def test_format_flowed_lines_are_joined() -> None:
    parsed = parse_fixture("flowed.eml")

    assert parsed.body_text == (
        "The water rose over the banks of the river before dawn.\n\nSecond paragraph."
    )


def test_sender_address_is_lower_cased() -> None:
    raw = message("From: RAHIMI@Example.ORG", "Subject: s")

    parsed = parse_message(raw)

    assert parsed.sender_email == "rahimi@example.org"
    assert parsed.sender_name == ""


def test_missing_sender_leaves_the_address_empty() -> None:
    parsed = parse_message(message("Subject: s"))

    assert (parsed.sender_email, parsed.sender_name) == ("", "")
    assert parsed.problems == ()


def test_unreadable_sender_is_a_problem() -> None:
    parsed = parse_message(message("From: Mariam Rahimi", "Subject: s"))

    assert parsed.sender_email == ""
    assert parsed.problems == (BAD_SENDER,)


def test_message_id_loses_its_folding_whitespace() -> None:
    raw = message("Message-ID:\r\n <abc.123@\r\n mail.example.org> ", "Subject: s")

    assert parse_message(raw).message_id == "<abc.123@mail.example.org>"


def test_missing_message_id_is_empty() -> None:
    assert parse_message(message("Subject: s")).message_id == ""


def test_date_without_zone_is_read_as_utc() -> None:
    raw = message("Date: Tue, 04 Mar 2025 09:15:00 -0000", "Subject: s")

    assert parse_message(raw).sent_at == datetime(2025, 3, 4, 9, 15, tzinfo=UTC)


def test_missing_date_is_none() -> None:
    parsed = parse_message(message("Subject: s"))

    assert parsed.sent_at is None
    assert parsed.problems == ()


def test_unreadable_date_is_none_and_a_problem() -> None:
    parsed = parse_message(message("Date: the day before yesterday", "Subject: s"))

    assert parsed.sent_at is None
    assert parsed.problems == (BAD_DATE,)


def test_problems_are_listed_once_in_a_stable_order() -> None:
    raw = message("Content-Type: text/plain", body=b"\x00\x00 \x00")

    parsed = parse_message(raw)

    assert parsed.problems == (
        "NUL bytes were removed from the message.",
        "The message had no subject.",
        "The message had no text.",
    )
    assert parse_message(raw).problems == parsed.problems


def _mixed(parts: list[str], boundary: str = "b") -> str:
    return (
        "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    )


def test_only_the_first_hundred_parts_are_read() -> None:
    parts = [f"Content-Type: text/plain\r\n\r\nPart {n}." for n in range(150)]
    raw = message(
        "Subject: s", 'Content-Type: multipart/mixed; boundary="b"', body=_mixed(parts)
    )

    parsed = parse_message(raw)

    assert TOO_MANY_PARTS in parsed.problems
    # The container is the first part, so 99 text parts are read.
    assert parsed.body_text.split("\n\n")[-1] == "Part 98."


def test_parts_nested_too_deep_are_not_read() -> None:
    body = "Content-Type: text/plain\r\n\r\nToo deep."
    for level in range(15):
        body = f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n' + _mixed(
            [body], boundary=f"b{level}"
        )
    shallow = _mixed(["Content-Type: text/plain\r\n\r\nShallow.", body], boundary="top")
    raw = message(
        "Subject: s", 'Content-Type: multipart/mixed; boundary="top"', body=shallow
    )

    parsed = parse_message(raw)

    assert parsed.body_text == "Shallow."
    assert parsed.problems == (TOO_DEEP,)


def test_nesting_too_deep_for_the_parser_is_cut_and_said() -> None:
    body = b""
    for level in range(3000):
        body += b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (
            level,
            level + 1,
        )
    raw = message(
        "Subject: Deep",
        "From: a@example.org",
        'Content-Type: multipart/mixed; boundary="b0"',
        body=body,
    )

    parsed = parse_message(raw)

    assert (parsed.subject, parsed.sender_email) == ("Deep", "a@example.org")
    assert parsed.problems[0] == TOO_MANY_SECTIONS
    assert "The message had no text." in parsed.problems


def test_body_text_is_capped() -> None:
    raw = message("Subject: s", body="word " * (MAX_BODY_CHARS // 5 + 1000))

    parsed = parse_message(raw)

    assert len(parsed.body_text) <= MAX_BODY_CHARS
    assert parsed.problems == (TOO_LONG,)


def test_huge_headers_are_read_quickly() -> None:
    raw = message(
        "From: " + "a, " * 100_000,
        "Subject: " + "=?utf-8?q?a?= " * 50_000,
        "Content-Type: text/plain; " + "a*0*=utf-8''b; " * 50_000,
        "Content-Transfer-Encoding: " + "x; " * 50_000,
    )

    started = time.monotonic()
    parsed = parse_message(raw)

    # Without a bound the stdlib's header parser takes minutes on these.
    assert time.monotonic() - started < 10
    assert parsed.sender_email == ""
    assert len(parsed.subject) <= 998


def _assert_clean(parsed: ParsedMessage) -> None:
    assert isinstance(parsed, ParsedMessage)
    assert UNREADABLE not in parsed.problems
    for value in (
        parsed.message_id,
        parsed.sender_email,
        parsed.sender_name,
        parsed.subject,
        parsed.body_html,
        parsed.body_text,
        *parsed.problems,
    ):
        value.encode("utf-8")  # storable: no lone surrogates
        assert "\x00" not in value
    assert sanitise_html(parsed.body_html) == parsed.body_html
    assert parsed.sent_at is None or parsed.sent_at.tzinfo is not None
    assert len(parsed.problems) == len(set(parsed.problems))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_parsed_message(raw: bytes) -> None:
    _assert_clean(parse_message(raw))


_FIXTURE_BYTES = [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]


@st.composite
def _mutated_fixture(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_FIXTURE_BYTES)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip" and position < len(data):
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif action == "insert":
            chunk = draw(
                st.sampled_from(
                    [
                        b"\x00",
                        b"\r\n",
                        b"\r\n\r\n",
                        b"=?",
                        b"?=",
                        b"--",
                        b"(",
                        b'"',
                        b"<",
                        b"\xff",
                    ]
                )
                | st.binary(max_size=8)
            )
            data[position:position] = chunk
        elif position < len(data):
            del data[position : position + draw(st.integers(min_value=1, max_value=20))]
    return bytes(data)


@settings(max_examples=200, deadline=None)
@given(_mutated_fixture())
def test_mutated_fixtures_give_a_parsed_message(raw: bytes) -> None:
    _assert_clean(parse_message(raw))


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.eml")))
def test_every_fixture_parses_cleanly(name: str) -> None:
    _assert_clean(parse_fixture(name))
