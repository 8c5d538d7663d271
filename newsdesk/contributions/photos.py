"""Photos a writer sends: checked, turned into Wagtail images, captioned and credited
from what the message says about them.

A photo is opened and checked before it enters the image library: a file that is
not an image, or one whose pixel count is past the limit (a "decompression bomb"),
is left out with the reason. HEIC photos from phones are converted to JPEG, which
every browser and Wagtail's renditions read.

Writers caption photos in the message, one line each, starting with the file's name
("river.jpg: Boats on the Kabul river. Photo: Farida Noori"), or with one "Photo:"
or "Credit:" line for all of them.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

# Dashes writers put between a name and a caption: hyphen, en dash, em dash.
_DASHES = "-\u2013\u2014"
_CREDIT = re.compile(
    rf"\s*(?:[{_DASHES}]\s*)?\(?\b(?:photo(?:graph)?(?:\s+by)?|credit|©)\s*[:\s]\s*"
    r"(.+?)\)?\s*$",
    re.I,
)
_SEPARATOR = re.compile(rf"^\s*[:{_DASHES}]\s*")


class PhotoError(Exception):
    """A photo that cannot be used; the message says why, for the editor."""


@dataclass(frozen=True)
class PhotoText:
    """What the writer said about a photo."""

    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo ready for the image library: its bytes, name and size."""

    data: bytes
    filename: str
    width: int
    height: int


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


_USABLE_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "HEIF", "HEIC", "AVIF"})


def _probe(filename: str, data: bytes) -> tuple[str, int, int]:
    """Return a photo's format, width and height, read from its header and checked
    without decoding its pixels, or raise PhotoError saying why it is no use."""
    _register_heif()
    limit = int(settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS)
    try:
        # The limit below is ours; Pillow's own warning about large images is not
        # the writer's business.
        with (
            warnings.catch_warnings(),
            PILImage.open(io.BytesIO(data)) as probe,
        ):
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            width, height = probe.size
            image_format = probe.format or ""
            if width * height > limit:
                raise PhotoError(
                    f"“{filename}” is {width} by {height} pixels, more than the "
                    f"{limit // 1_000_000} megapixels a photo may have."
                )
            probe.verify()
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PhotoError(f"“{filename}” is not an image we could open.") from exc
    except PILImage.DecompressionBombError as exc:
        raise PhotoError(f"“{filename}” has far too many pixels to open.") from exc
    if image_format not in _USABLE_FORMATS:
        raise PhotoError(f"“{filename}” is not a photo we can use ({image_format}).")
    return image_format, width, height


def photo_problem(filename: str, data: bytes) -> str | None:
    """Return why a photo a message carried cannot be used, or None if it can: read
    from its header, quickly enough to tell the writer in the receipt."""
    try:
        _probe(filename, data)
    except PhotoError as error:
        return str(error)
    return None


def photo_check(filename: str, data: bytes) -> CheckedPhoto:
    """Return a photo fit for the image library (HEIC converted to JPEG), or raise
    PhotoError saying why not."""
    image_format, width, height = _probe(filename, data)
    if image_format in {"HEIF", "HEIC", "AVIF"}:
        try:
            with PILImage.open(io.BytesIO(data)) as image:
                out = io.BytesIO()
                image.convert("RGB").save(out, format="JPEG", quality=90)
        except (OSError, ValueError, SyntaxError) as exc:
            raise PhotoError(f"“{filename}” is not an image we could open.") from exc
        data = out.getvalue()
        filename = str(PurePosixPath(filename).with_suffix(".jpg"))
    return CheckedPhoto(data=data, filename=filename, width=width, height=height)


def photo_texts(text: str, filenames: list[str]) -> dict[str, PhotoText]:
    """Return the caption and credit the message gives each photo, by file name."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    shared_credit = ""
    for line in lines:
        match = re.match(r"^(?:photo(?:s)?(?:\s+by)?|credit)\s*:\s*(.+)$", line, re.I)
        if match:
            shared_credit = match.group(1).strip()
    found: dict[str, PhotoText] = {}
    for name in filenames:
        stem = PurePosixPath(name).stem.lower()
        for line in lines:
            lowered = line.lower()
            if lowered.startswith(name.lower()) or (
                stem and lowered.startswith(stem) and len(stem) > 2
            ):
                rest = line[
                    len(name) if lowered.startswith(name.lower()) else len(stem) :
                ]
                rest = _SEPARATOR.sub("", rest)
                credit_match = _CREDIT.search(rest)
                credit = credit_match.group(1).strip() if credit_match else ""
                caption = rest[: credit_match.start()] if credit_match else rest
                found[name] = PhotoText(
                    caption=caption.strip(" ." + _DASHES)
                    + ("." if caption.strip() else ""),
                    credit=credit or shared_credit,
                )
                break
        else:
            found[name] = PhotoText(credit=shared_credit)
    return found
