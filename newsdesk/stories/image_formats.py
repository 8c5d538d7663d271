"""Images inside a story's body render as responsive pictures on the reader site.

Wagtail imports this module of every app to learn the formats its rich-text image
chooser offers. One format: a picture the width of the text column; pictures
floated beside the text read badly on a phone.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from wagtail.images.formats import (
    Format,
    register_image_format,
    unregister_image_format,
)

from .images import picture_for


class ResponsivePictureFormat(Format):
    """Render an embedded image as a lazily loaded ``<picture>`` in a figure."""

    def image_to_html(
        self, image: Any, alt_text: str, extra_attributes: Any = None
    ) -> SafeString:
        html = render_to_string(
            "reader/inline_image.html", {"picture": picture_for(image, alt=alt_text)}
        )
        return mark_safe(html.strip())  # noqa: S308 (rendered by our own template)


# Wagtail's own three (full width, left, right) are registered when it loads.
for _name in ("fullwidth", "left", "right"):
    unregister_image_format(_name)
register_image_format(
    ResponsivePictureFormat("fullwidth", "Column width", "", "width-800")
)
