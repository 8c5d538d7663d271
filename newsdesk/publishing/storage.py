"""Where Wagtail writes image renditions: the reader site's own ``images/`` folder.

Renditions are part of the published site (nginx, a CDN or a mirror serve them
with the pages); the originals editors upload stay in the private media folder, so
a photo's full size and its camera metadata (which can give away where and when it
was taken) never leave the newsroom.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class RenditionStorage(FileSystemStorage):
    """Store renditions under the output folder, served from ``/images/...``."""

    # Read from the settings on every use, not once: the output folder is a setting
    # that tests and commands may change after the storage is made.
    @property
    def base_location(self) -> str:
        return str(settings.NEWSDESK_OUTPUT_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return "/"
