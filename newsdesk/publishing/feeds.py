"""The site's RSS 2.0 feed: the latest live stories, in full."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.xmlutils import SimplerXMLGenerator
from wagtail.rich_text import expand_db_html

from newsdesk.stories.models import SectionPage, StoryPage
from newsdesk.stories.selectors import (
    FEED_PATH,
    absolute_url,
    author_names,
    public_path,
    section_map,
    section_of,
    story_list_live,
    story_summary,
)

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"

# Links the rich-text editor makes to our own pages are site-relative ("/world/x/");
# a feed reader needs them absolute.
_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")/(?!/)')


class ContentRssFeed(Rss201rev2Feed):
    """RSS 2.0 with the full story in content:encoded and one dc:creator per author."""

    def rss_attributes(self) -> dict[str, str]:
        attributes: dict[str, str] = super().rss_attributes()
        attributes["xmlns:content"] = CONTENT_NS
        attributes["xmlns:dc"] = DC_NS
        return attributes

    def add_item_elements(
        self, handler: SimplerXMLGenerator, item: dict[str, Any]
    ) -> None:
        super().add_item_elements(handler, item)
        for name in item.get("creators", ()):
            handler.addQuickElement("dc:creator", name)
        if item.get("content_encoded"):
            handler.addQuickElement("content:encoded", item["content_encoded"])


def absolute_links(html: str) -> str:
    """Return HTML with site-relative links made absolute."""
    return _RELATIVE_LINK.sub(rf"\1{settings.NEWSDESK_SITE_URL}/", html)


def _add_story(
    feed: ContentRssFeed, story: StoryPage, sections: Mapping[str, SectionPage]
) -> None:
    url = absolute_url(public_path(story))
    section = section_of(story, sections)
    feed.add_item(
        title=story.title,
        link=url,
        description=story_summary(story),
        pubdate=story.first_published_at,
        updateddate=story.last_published_at or story.first_published_at,
        unique_id=url,
        unique_id_is_permalink=True,
        categories=[section.title] if section else [],
        creators=author_names(story),
        content_encoded=absolute_links(expand_db_html(story.body)),
    )


def build_feed(stories: Iterable[StoryPage]) -> ContentRssFeed:
    """Return the site feed holding the given stories, in the order given."""
    site_url = settings.NEWSDESK_SITE_URL
    feed = ContentRssFeed(
        title=settings.NEWSDESK_SITE_NAME,
        link=site_url + "/",
        description=f"The latest stories from {settings.NEWSDESK_SITE_NAME}.",
        language=settings.NEWSDESK_SITE_LANGUAGE,
        feed_url=site_url + FEED_PATH,
    )
    sections = section_map()
    for story in stories:
        _add_story(feed, story, sections)
    return feed


def render_feed() -> bytes:
    """Return the RSS document of the latest ``NEWSDESK_FEED_SIZE`` live stories."""
    feed = build_feed(story_list_live()[: settings.NEWSDESK_FEED_SIZE])
    out = io.StringIO()
    feed.write(out, "utf-8")
    return out.getvalue().encode("utf-8")
