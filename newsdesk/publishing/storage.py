"""Where Wagtail writes image renditions: the reader site's or the newsroom's.

Renditions the reader site links to (``newsdesk.stories.images`` marks each with
a quality filter) are part of the published site, written into the output folder's
``images/`` folder for nginx, a CDN or a mirror to serve with the pages. Every
other rendition (the newsroom's thumbnails and previews of images no reader may
see yet) stays in the private media folder, as do the originals editors upload.
JPEG renditions lose their metadata on the way: a photo's EXIF can say where and
when it was taken and with which phone.
"""

from __future__ import annotations

import os
import re
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

# The filters only reader renditions carry (see newsdesk.stories.images).
READER_RENDITION = re.compile(r"\.(?:jpeg|webp|avif)quality-\d+")
_JPEG_SUFFIXES = (".jpg", ".jpeg")


def is_reader_rendition(name: str) -> bool:
    """Tell whether a rendition file name is one the reader site links to."""
    return READER_RENDITION.search(os.path.basename(name)) is not None


def strip_jpeg_metadata(data: bytes) -> bytes:
    """Return a JPEG without its APP1 (EXIF, XMP) and APP13 (IPTC) segments.

    Only the segments before the image data are looked at; the picture itself is
    copied byte for byte. Anything that does not parse as JPEG is returned as is.
    """
    if not data.startswith(b"\xff\xd8"):
        return data
    out = bytearray(data[:2])
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the image data follows
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        end = i + 2 + length
        if length < 2 or end > len(data):
            return data
        if marker not in (0xE1, 0xED):
            out += data[i:end]
        i = end
    return bytes(out + data[i:])


class RenditionStorage(FileSystemStorage):
    """Store reader renditions in the output folder, the rest in the media folder."""

    # Read from the settings on every use, not once: the output folder is a setting
    # that tests and commands may change after the storage is made.
    @property
    def base_location(self) -> str:
        return str(settings.MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return str(settings.MEDIA_URL)

    def _reader_storage(self) -> FileSystemStorage:
        return FileSystemStorage(
            location=os.path.abspath(settings.NEWSDESK_OUTPUT_DIR), base_url="/"
        )

    def path(self, name: str) -> str:
        if is_reader_rendition(name):
            return str(self._reader_storage().path(name))
        return str(super().path(name))

    def url(self, name: str | None) -> str:
        if name and is_reader_rendition(name):
            return "/" + name.replace(os.sep, "/").lstrip("/")
        return str(super().url(name))

    def _save(self, name: str, content: Any) -> str:
        if name.lower().endswith(_JPEG_SUFFIXES):
            content.seek(0)
            content = ContentFile(strip_jpeg_metadata(content.read()))
        # Storage._save, a documented hook the stubs lack; it names the file relative
        # to the storage's root, so a reader rendition is saved by one rooted there.
        save: Any = (
            self._reader_storage()._save  # type: ignore[attr-defined]
            if is_reader_rendition(name)
            else super()._save  # type: ignore[misc]
        )
        saved: str = save(name, content)
        return saved
