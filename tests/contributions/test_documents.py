"""A story attached as a document is read into the newsroom's HTML: its headings,
paragraphs, lists, links, emphasis and footnotes survive, everything else goes, and a
document that cannot be read (or would unpack into gigabytes) is refused, saying why."""

from __future__ import annotations

import contextlib
import io
import time
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.contributions.documents import (
    MAX_COMPRESSION_RATIO,
    DocumentError,
    document_read,
    is_document,
)
from newsdesk.contributions.sanitise import MAX_NESTING

from .documents import docx, odt, pdf, zip_bomb


def test_a_word_document_keeps_headings_paragraphs_lists_links_and_emphasis() -> None:
    data = docx(
        heading="Floods reach Kabul",
        paragraphs=("Water rose overnight.", "Families moved uphill."),
        bold="loud",
        italic="soft",
        items=("Boats", "Blankets"),
        link=("the report", "https://example.org/report"),
    )

    html = document_read("story.docx", data).html

    assert "<h2>Floods reach Kabul</h2>" in html
    assert "<p>Water rose overnight.</p>" in html
    assert "<p>Families moved uphill.</p>" in html
    assert "<strong>loud</strong>" in html
    assert "<em>soft</em>" in html
    assert "<ul><li>Boats</li><li>Blankets</li></ul>" in html
    assert '<a href="https://example.org/report"' in html
    assert ">the report</a>" in html


def test_a_word_footnote_becomes_a_numbered_note_at_the_end() -> None:
    html = document_read("story.docx", docx(footnote="Ministry figures.")).html

    assert "A claim.[1]" in html
    assert html.rstrip().endswith("</ol>")
    assert "Ministry figures." in html.rsplit("<ol>", 1)[1]
    assert "footnote-ref" not in html


def test_an_opendocument_text_keeps_its_structure_and_notes() -> None:
    styles = (
        '<style:style style:name="T1" style:family="text">'
        '<style:text-properties fo:font-weight="bold"/></style:style>'
        '<style:style style:name="T2" style:family="text">'
        '<style:text-properties fo:font-style="italic"/></style:style>'
    )
    body = (
        '<text:h text:outline-level="1">Election day</text:h>'
        "<text:p>Polls opened at <text:span text:style-name='T1'>seven</text:span>"
        " in <text:span text:style-name='T2'>Herat</text:span>.</text:p>"
        "<text:list><text:list-item><text:p>Queues</text:p></text:list-item>"
        "<text:list-item><text:p>Observers</text:p></text:list-item></text:list>"
        '<text:p>See <text:a xlink:href="https://example.org/">the count</text:a>'
        "<text:note><text:note-citation>1</text:note-citation><text:note-body>"
        "<text:p>Provisional.</text:p></text:note-body></text:note></text:p>"
        "<text:p>Quiet<text:s text:c='3'/>day<text:line-break/>end</text:p>"
    )

    html = document_read("vote.odt", odt(body, styles=styles)).html

    assert "<h2>Election day</h2>" in html
    assert "<strong>seven</strong>" in html
    assert "<em>Herat</em>" in html
    assert "<li>Queues</li>" in html
    assert '<a href="https://example.org/">the count</a>[1]' in html
    assert html.endswith("<ol><li>Provisional.</li></ol>")


def test_a_pdf_s_text_is_read_into_paragraphs() -> None:
    data = pdf(
        "The council met on Tuesday and",
        "agreed the budget.",
        "",
        "Opposition members walked out.",
    )

    html = document_read("story.pdf", data).html

    assert "The council met on Tuesday and agreed the budget." in html
    assert "Opposition members walked out." in html


def test_rtf_plain_text_and_markdown_are_read() -> None:
    rtf = rb"{\rtf1\ansi{\fonttbl\f0 Arial;}\f0 Rain fell in Kabul.\par Roads closed.\par}"
    assert "Rain fell in Kabul." in document_read("s.rtf", rtf).html
    assert "Roads closed." in document_read("s.rtf", rtf).html

    text = b"Rain fell.\n\nRoads closed."
    assert document_read("s.txt", text).html == "<p>Rain fell.</p><p>Roads closed.</p>"

    markdown = b"# Floods\n\nWater **rose** and *fell*.\n\n- boats\n- tents\n"
    html = document_read("s.md", markdown).html
    assert "<h2>Floods</h2>" in html
    assert "<strong>rose</strong>" in html
    assert "<em>fell</em>" in html
    assert "<li>boats</li>" in html


def test_dari_text_in_the_old_windows_code_page_is_read() -> None:
    words = "باران در کابل"  # rain in Kabul

    html = document_read("khabar.txt", words.encode("cp1256")).html

    assert words in html


def test_scripts_styles_and_javascript_links_never_survive() -> None:
    markdown = (
        b"[click](javascript:alert(1)) <script>alert(2)</script>\n\n"
        b'<img src=x onerror="alert(3)">\n'
    )
    html = document_read("s.md", markdown).html
    assert "href" not in html  # the javascript: link stays words
    assert "<script" not in html
    assert "<img" not in html

    body = '<text:p><text:a xlink:href="javascript:alert(1)">x</text:a></text:p>'
    assert "javascript:" not in document_read("s.odt", odt(body)).html


def test_a_zip_bomb_is_refused_without_being_unpacked() -> None:
    bomb = zip_bomb(size=80_000_000)
    assert len(bomb) < 200_000

    started = time.perf_counter()
    with pytest.raises(DocumentError, match="unpacks to more than"):
        document_read("story.docx", bomb)
    assert time.perf_counter() - started < 5


def test_a_member_that_compresses_too_well_is_refused_naming_the_ratio() -> None:
    # Under the size limit, but packed a thousand to one.
    with pytest.raises(DocumentError) as refused:
        document_read("story.odt", zip_bomb(name="content.xml", size=5_000_000))

    assert str(refused.value) == (
        f"“story.odt” is compressed more than {MAX_COMPRESSION_RATIO} to 1, as no "
        "real document is, so it was not opened; please send the text alone."
    )


def test_formatting_nested_too_deep_in_a_document_is_flattened_saying_so() -> None:
    link = '<text:a xlink:href="https://news.example/">'
    body = f"<text:p>{link * 150}Deep text{'</text:a>' * 150}</text:p>"

    document = document_read("story.odt", odt(body))

    assert "Deep text" in document.html
    assert document.html.count("<a ") <= MAX_NESTING
    assert document.problems == (
        f"The formatting in “story.odt” was nested more than {MAX_NESTING} levels "
        "deep; the deeper formatting was removed, the text kept.",
    )


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("story.docx", b"not a zip at all", "damaged"),
        ("story.docx", docx()[:200], "damaged"),
        ("story.odt", b"PK\x05\x06" + b"\x00" * 18, "not an OpenDocument"),
        ("story.pdf", b"%PDF-1.4\n garbage", "could not be read as a PDF"),
        ("story.pdf", pdf(), "no text"),
        ("story.rtf", b"plain words", "not an RTF"),
        ("story.txt", b"   \n\n ", "no text"),
        ("story.exe", b"MZ", "not a kind of document"),
    ],
)
def test_a_document_that_cannot_be_read_is_refused_saying_why(
    name: str, data: bytes, says: str
) -> None:
    with pytest.raises(DocumentError, match=says):
        document_read(name, data)


def test_an_odt_with_an_entity_expansion_is_refused() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<office:document-content>&b;</office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.xml", laughs)

    with pytest.raises(DocumentError, match="could not be read"):
        document_read("story.odt", out.getvalue())


def test_is_document_knows_the_kinds_by_name() -> None:
    assert is_document("Story FINAL.DOCX")
    assert is_document("column.odt")
    assert not is_document("photo.jpg")
    assert not is_document("docx")


_SAMPLES = {
    ".docx": docx(footnote="A note.", items=("a",)),
    ".odt": odt("<text:h>Title</text:h><text:p>Words</text:p>"),
    ".pdf": pdf("Words on a page."),
    ".rtf": rb"{\rtf1\ansi Words.\par}",
    ".md": b"# Title\n\n- a\n- *b*\n",
    ".txt": b"Words.",
}


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(_SAMPLES)),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=12),
    st.integers(0, 10_000),
)
def test_a_damaged_document_is_read_or_refused_never_a_crash(
    suffix: str, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_SAMPLES[suffix])
    for position, value in flips:
        data[position % len(data)] = value
    data = data[: max(cut, 1)] if cut < len(data) else data
    try:
        document = document_read(f"story{suffix}", bytes(data))
    except DocumentError:
        return
    assert "<script" not in document.html


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(_SAMPLES)), st.binary(max_size=3000))
def test_random_bytes_are_read_or_refused_never_a_crash(
    suffix: str, data: bytes
) -> None:
    with contextlib.suppress(DocumentError):
        document_read(f"story{suffix}", data)


def test_an_archive_of_an_unknown_zip_version_is_refused_not_a_crash() -> None:
    # Found by the fuzz test above: a flipped byte made the zip version 6.4.
    data = bytearray(_SAMPLES[".odt"])
    data[2812 % len(data)] = 64
    data = data[:579]

    with pytest.raises(DocumentError):
        document_read("story.odt", bytes(data))
