"""Make the documents contributors attach, small and real: Word, OpenDocument, PDF."""

from __future__ import annotations

import io
import zipfile
from html import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK = f"{R}/hyperlink"


def _zip(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(
                name, content.encode() if isinstance(content, str) else content
            )
    return out.getvalue()


def _run(text: str, *, bold: bool = False, italic: bool = False) -> str:
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def docx(
    *,
    heading: str = "Floods reach Kabul",
    paragraphs: tuple[str, ...] = ("Water rose overnight.",),
    bold: str = "",
    italic: str = "",
    items: tuple[str, ...] = (),
    link: tuple[str, str] | None = None,
    footnote: str = "",
) -> bytes:
    """Return a Word document: a heading, paragraphs, a bullet list, a link, bold
    and italic words and a footnote, as Word writes them."""
    body = [f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>{_run(heading)}</w:p>']
    body += [f"<w:p>{_run(text)}</w:p>" for text in paragraphs]
    if bold or italic:
        body.append(
            f"<w:p>{_run('Words ')}{_run(bold, bold=True)}{_run(' and ')}"
            f"{_run(italic, italic=True)}</w:p>"
        )
    for item in items:
        body.append(
            '<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr>'
            '<w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
            f"{_run(item)}</w:p>"
        )
    rels = [
        f'<Relationship Id="rIdStyles" Type="{R}/styles" Target="styles.xml"/>',
        f'<Relationship Id="rIdNumbering" Type="{R}/numbering" Target="numbering.xml"/>',
    ]
    if link:
        text, url = link
        body.append(
            f'<w:p><w:hyperlink r:id="rIdLink">{_run(text)}</w:hyperlink></w:p>'
        )
        rels.append(
            f'<Relationship Id="rIdLink" Type="{HYPERLINK}" Target="{escape(url)}" '
            'TargetMode="External"/>'
        )
    files: dict[str, bytes | str] = {}
    if footnote:
        body.append(
            f"<w:p>{_run('A claim.')}<w:r><w:rPr><w:rStyle w:val='FootnoteReference'/>"
            '</w:rPr><w:footnoteReference w:id="1"/></w:r></w:p>'
        )
        rels.append(
            f'<Relationship Id="rIdNotes" Type="{R}/footnotes" Target="footnotes.xml"/>'
        )
        files["word/footnotes.xml"] = (
            f'<w:footnotes xmlns:w="{W}"><w:footnote w:id="1"><w:p>'
            f"{_run(footnote)}</w:p></w:footnote></w:footnotes>"
        )
    files["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    files["_rels/.rels"] = (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{R}/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    files["word/_rels/document.xml.rels"] = (
        f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>'
    )
    files["word/styles.xml"] = (
        f'<w:styles xmlns:w="{W}"><w:style w:type="paragraph" w:styleId="Heading1">'
        '<w:name w:val="heading 1"/></w:style></w:styles>'
    )
    files["word/numbering.xml"] = (
        f'<w:numbering xmlns:w="{W}"><w:abstractNum w:abstractNumId="0">'
        '<w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>'
    )
    files["word/document.xml"] = (
        f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{"".join(body)}'
        "</w:body></w:document>"
    )
    return _zip(files)


ODT_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def odt(body: str, *, styles: str = "") -> bytes:
    """Return an OpenDocument text whose body is ``body`` (text:* elements)."""
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        f'xmlns:text="{ODT_TEXT}" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink">'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    return _zip(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": content,
            "META-INF/manifest.xml": "<manifest/>",
        }
    )


def pdf(*lines: str) -> bytes:
    """Return a one-page PDF showing ``lines`` of text in Helvetica."""
    text = " ".join(
        f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines
    )
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def zip_bomb(name: str = "word/document.xml", size: int = 80_000_000) -> bytes:
    """Return a small zip (a "Word file") whose one member unpacks to ``size`` bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        block = b"\x00" * 1_000_000
        for _ in range(size // len(block)):
            member.write(block)
    return out.getvalue()
