"""Write the reader site into the output folder: one story's pages, or all of it.

Publishing a story touches a fixed number of files (its page, the home page, its
section front, the archive page it falls on, the same two pages of each of its
authors and tags, their feeds and the site's, and the sitemaps it is on), never the
whole archive: archive pages are numbered from the oldest story, so adding a story
changes only the last one.
"""

from __future__ import annotations

from .pages import (
    site_publish_home,
    site_publish_info_page,
    site_publish_section,
    site_remove_page,
    site_unpublish_section,
)
from .rebuild import BUILT_MARKER, REBUILD_JOURNAL, site_rebuild
from .stories import (
    StorySnapshot,
    site_move_story,
    site_publish_story,
    site_remove_redirect,
    site_unpublish_story,
    site_write_redirect,
)

__all__ = [
    "BUILT_MARKER",
    "REBUILD_JOURNAL",
    "StorySnapshot",
    "site_move_story",
    "site_publish_home",
    "site_publish_info_page",
    "site_publish_section",
    "site_publish_story",
    "site_rebuild",
    "site_remove_page",
    "site_remove_redirect",
    "site_unpublish_section",
    "site_unpublish_story",
    "site_write_redirect",
]
