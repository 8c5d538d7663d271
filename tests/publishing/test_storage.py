"""Rendition files: reader renditions go public without metadata, others stay private."""

from __future__ import annotations

import io

from PIL import Image

from newsdesk.publishing.storage import is_reader_rendition, strip_jpeg_metadata


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (34.0, 31.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_jpeg_metadata_is_removed_and_the_picture_kept() -> None:
    original = _jpeg_with_exif()
    assert b"Exif" in original

    stripped = strip_jpeg_metadata(original)

    assert b"Exif" not in stripped
    assert b"PhoneMaker" not in stripped
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.size == (40, 30)
        assert not image.getexif()


def test_what_is_not_a_jpeg_is_left_as_it_is() -> None:
    for data in [
        b"",
        b"GIF89a...",
        b"\xff\xd8\xff\xe1\x00",
        b"\xff\xd8\xff\xe1\xff\xff",
    ]:
        assert strip_jpeg_metadata(data) == data


def test_only_renditions_with_a_quality_filter_are_the_reader_site_s() -> None:
    assert is_reader_rendition("images/flood.width-800.format-webp.webpquality-70.webp")
    assert is_reader_rendition(
        "images/a.fill-1200x675-c50.format-jpeg.jpegquality-72.jpg"
    )
    assert not is_reader_rendition("images/flood.max-165x165.jpg")
    assert not is_reader_rendition("images/jpegquality-72/flood.max-165x165.jpg")
