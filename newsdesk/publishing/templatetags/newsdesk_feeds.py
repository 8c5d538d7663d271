"""Feed discovery: the ``<link rel="alternate">`` elements of a reader page's head."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from taggit.models import Tag

from newsdesk.stories.models import Person, SectionPage
from newsdesk.stories.selectors import SiteInfo

from ..feeds import (
    FEED_FORMATS,
    RSS,
    FeedList,
    author_feed_list,
    section_feed_list,
    site_feed_list,
    tag_feed_list,
)

register = template.Library()


def _page_feed_list(context: Any, site: SiteInfo) -> FeedList | None:
    """Return the list a section, author or tag page (or one of its archive pages)
    shows, whose feeds it offers beside the site's."""
    section, person, tag = (context.get(name) for name in ("section", "person", "tag"))
    if isinstance(section, SectionPage):
        return section_feed_list(section, site)
    if isinstance(person, Person):
        return author_feed_list(person, site)
    if isinstance(tag, Tag):
        return tag_feed_list(tag, site)
    return None


def _links(feed: FeedList) -> SafeString:
    # The RSS feed is named plainly: it is the one most readers take.
    return format_html_join(
        "\n",
        '<link rel="alternate" type="{}" title="{}" href="{}">',
        (
            (
                fmt.content_type,
                feed.title if fmt is RSS else f"{feed.title} ({fmt.name})",
                feed.feed_path(fmt),
            )
            for fmt in FEED_FORMATS
        ),
    )


@register.simple_tag(takes_context=True)
def feed_links(context: Any) -> SafeString:
    """Return the links to the site's feeds, and to the page's own list's feeds when
    it is a section's, an author's or a tag's page."""
    site = context.get("site")
    if not isinstance(site, SiteInfo):
        return SafeString("")
    links = _links(site_feed_list(site))
    page_feeds = _page_feed_list(context, site)
    if page_feeds is not None:
        links = format_html("{}\n{}", links, _links(page_feeds))
    return links
