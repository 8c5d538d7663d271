"""Where Wagtail writes image renditions, and how the reader site's become public.

Every rendition is made in the private media folder, beside the originals editors
upload. Renditions the reader site links to (``newsdesk.stories.images`` marks each
with a quality filter) have reader paths (``/images/...``), and are put into the
output folder's ``images/`` when a page showing them is published, for nginx, a CDN
or a mirror to serve with the pages; until then (a preview of an embargoed story)
only the newsroom sees them. JPEG renditions lose their metadata on the way: a
photo's EXIF can say where and when it was taken and with which phone.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from newsdesk.core.files import TEMP_SUFFIX

from .output import FILE_MODE, output_path

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
    """Store every rendition in the private media folder; strip JPEG metadata.

    A reader rendition's URL is its reader path (``/images/...``), but the file
    reaches the output folder only when a page that shows it is published
    (``rendition_publish``): a preview of an unpublished story makes renditions, and
    they must not be public before the story is.
    """

    # Read from the settings on every use, not once: tests and commands may change
    # the media folder after the storage is made.
    @property
    def base_location(self) -> str:
        return str(settings.MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return str(settings.MEDIA_URL)

    def url(self, name: str | None) -> str:
        if name and is_reader_rendition(name):
            return "/" + name.replace(os.sep, "/").lstrip("/")
        return str(super().url(name))

    def _save(self, name: str, content: Any) -> str:
        if name.lower().endswith(_JPEG_SUFFIXES):
            content.seek(0)
            content = ContentFile(strip_jpeg_metadata(content.read()))
        # Storage._save, a documented hook the stubs lack.
        saved: str = super()._save(name, content)  # type: ignore[misc]
        return saved


def media_file_of_rendition(name: str) -> Path | None:
    """Return the media folder's file of a reader rendition's name, if it is one."""
    parts = name.replace(os.sep, "/").split("/")
    if not is_reader_rendition(name) or any(p in {"", ".", ".."} for p in parts):
        return None
    media = Path(settings.MEDIA_ROOT).resolve()
    path = media.joinpath(*parts)
    return path if path.resolve().is_relative_to(media) else None


def rendition_publish(name: str) -> Path | None:
    """Put a reader rendition into the output folder (a hard link to the media
    folder's file, or a copy across file systems); return it, or None when it is not
    a reader rendition or its file is missing.

    Called for the renditions a page shows before the page is written, so no page
    ever links a picture that is not there. A file already in place is left as it
    is: a rendition's name changes whenever its content does.
    """
    source = media_file_of_rendition(name)
    if source is None:
        return None
    target = output_path("/" + name.replace(os.sep, "/"))
    if target.exists():
        return target
    if not source.is_file():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        try:
            os.link(source, temporary)
        except OSError:  # another file system, or links not allowed
            shutil.copyfile(source, temporary)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
