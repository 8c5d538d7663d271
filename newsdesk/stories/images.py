"""Responsive pictures for the reader site, made from Wagtail image renditions.

A picture is offered in AVIF and WebP with a JPEG fallback, each in a few widths
(``srcset``), so a phone takes the smallest file its screen needs. The renditions are
written by Wagtail into the rendition storage, which puts these (and only these)
into the output folder's ``images/`` folder (see ``newsdesk.publishing.storage``);
an original upload is never public.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import Storage

logger = logging.getLogger(__name__)

# Widths offered in a srcset. 800 covers the usual phone (412 CSS pixels at a device
# pixel ratio of 1.75 needs 721), 1200 the sharpest phones and the widest column.
WIDTHS = (400, 800, 1200)
# Sources in the order a browser should prefer them; JPEG is the <img> fallback.
SOURCE_FORMATS = (("avif", "image/avif"), ("webp", "image/webp"))
FALLBACK_FORMAT = "jpeg"
# The widest column a picture fills, for ``sizes`` (the reader CSS's 46rem, less
# its padding): a browser picks a file for this width, not the screen's.
COLUMN_SIZES = "(min-width: 46rem) 44rem, calc(100vw - 2rem)"
# Crops search engines and link previews ask for (schema.org NewsArticle images:
# 16x9, 4x3 and 1x1, at least 1200 pixels wide when the original allows).
SHARE_CROPS = (
    ("16x9", "fill-1200x675-c50|format-jpeg|jpegquality-72"),
    ("4x3", "fill-1200x900-c50|format-jpeg|jpegquality-72"),
    ("1x1", "fill-1200x1200-c50|format-jpeg|jpegquality-72"),
)


@dataclass(frozen=True)
class PictureSource:
    """One ``<source>`` of a picture: a format's files in several widths."""

    mime_type: str
    srcset: str


@dataclass(frozen=True)
class Picture:
    """What a ``<picture>`` element needs: sources, the fallback image and its size."""

    sources: tuple[PictureSource, ...]
    src: str
    srcset: str
    sizes: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class ShareImage:
    """One cropped JPEG for link previews and structured data."""

    ratio: str
    url: str
    width: int
    height: int


# Each reader rendition carries its format's quality filter: it sets how many bytes
# readers pay, and it marks the file as one for the output folder (see
# newsdesk.publishing.storage); newsroom thumbnails never carry one.
QUALITY = {"avif": 55, "webp": 70, "jpeg": 72}


def _spec(width: int, image_format: str) -> str:
    quality = QUALITY[image_format]
    return f"width-{width}|format-{image_format}|{image_format}quality-{quality}"


# The rendition files pictures were made from inside a ``renditions_used()`` block.
_used: ContextVar[set[str] | None] = ContextVar(
    "newsdesk_renditions_used", default=None
)


@contextmanager
def renditions_used() -> Iterator[set[str]]:
    """Collect the file names of the renditions pictures inside the block show.

    The publisher puts exactly these into the reader site as it writes the pages
    showing them; any other rendition (a preview's) stays private.
    """
    found: set[str] = set()
    token = _used.set(found)
    try:
        yield found
    finally:
        _used.reset(token)


def _storage_has(rendition: Any) -> bool:
    storage: Storage = rendition.file.storage
    return bool(storage.exists(rendition.file.name))


def _renditions(image: Any, specs: Sequence[str]) -> dict[str, Any]:
    """Return renditions by filter spec, making any whose file is missing again.

    A rendition row can outlive its file: the output folder was deleted, or moved
    to a new ``NEWSDESK_OUTPUT_DIR``. The reader site must never link to a file
    that is not there, so such rows are dropped and the files made afresh.
    """
    renditions: dict[str, Any] = image.get_renditions(*specs)
    missing = [spec for spec, r in renditions.items() if not _storage_has(r)]
    if missing:
        logger.info("Remaking %d missing renditions of image %s", len(missing), image)
        image.renditions.filter(
            filter_spec__in=[renditions[spec].filter_spec for spec in missing]
        ).delete()
        if hasattr(image, "_prefetched_objects_cache"):
            image._prefetched_objects_cache.pop("renditions", None)
        for spec in missing:
            renditions[spec].purge_from_cache()
        renditions.update(image.get_renditions(*missing))
    used = _used.get()
    if used is not None:
        used.update(str(rendition.file.name) for rendition in renditions.values())
    return renditions


def _srcset(renditions: Sequence[Any]) -> str:
    """Return a srcset of renditions, one entry per distinct width, narrowest first.

    Wagtail does not enlarge an image, so the wider specs of a small original give
    the same width twice; a srcset must not list a width twice.
    """
    by_width: dict[int, str] = {}
    for rendition in sorted(renditions, key=lambda r: r.width):
        by_width.setdefault(rendition.width, rendition.url)
    return ", ".join(f"{url} {width}w" for width, url in by_width.items())


def picture_for(image: Any, *, alt: str, sizes: str = COLUMN_SIZES) -> Picture:
    """Return the responsive picture of a Wagtail image, with the given alt text."""
    specs = [_spec(w, fmt) for fmt, _ in SOURCE_FORMATS for w in WIDTHS]
    specs += [_spec(w, FALLBACK_FORMAT) for w in WIDTHS]
    renditions = _renditions(image, specs)
    sources = tuple(
        PictureSource(
            mime_type=mime,
            srcset=_srcset([renditions[_spec(w, fmt)] for w in WIDTHS]),
        )
        for fmt, mime in SOURCE_FORMATS
    )
    fallbacks = [renditions[_spec(w, FALLBACK_FORMAT)] for w in WIDTHS]
    # The middle width is what most phones take; its size gives the aspect ratio.
    default = fallbacks[1]
    return Picture(
        sources=sources,
        src=default.url,
        srcset=_srcset(fallbacks),
        sizes=sizes,
        width=default.width,
        height=default.height,
        alt=alt,
    )


def share_images_for(image: Any) -> tuple[ShareImage, ...]:
    """Return the 16x9, 4x3 and 1x1 crops of an image, as JPEG, widest first."""
    renditions = _renditions(image, [spec for _, spec in SHARE_CROPS])
    return tuple(
        ShareImage(
            ratio=ratio,
            url=renditions[spec].url,
            width=renditions[spec].width,
            height=renditions[spec].height,
        )
        for ratio, spec in SHARE_CROPS
    )
