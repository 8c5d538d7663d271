"""What a story page shows, and the "page not found" page."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from ..models import (
    Person,
    SectionPage,
    StoryPage,
)
from .common import SiteInfo, absolute_url, byline_text, moment, public_path
from .fronts import _page_context
from .lists import (
    _section_link,
    author_links,
    byline_people,
    section_of,
    site_info,
    story_summary,
)


def _json_for_script(data: Mapping[str, Any]) -> SafeString:
    text = json.dumps(data, ensure_ascii=False, indent=None)
    # Inside <script> the HTML parser ends the element at "</": escape what could.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 (JSON with <, > and & escaped above)


def _safe_source_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


def story_context(
    story: StoryPage,
    *,
    site: SiteInfo | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what a story page shows, its OpenGraph tags and NewsArticle JSON-LD.

    Pass ``site`` and ``sections`` (and a story from ``story_list_live()``) to render
    many stories without a query each.
    """
    site = site or site_info()
    section = section_of(story, sections)
    path = public_path(story)
    url = absolute_url(path)
    people = byline_people(story)
    names = [person.name for person in people]
    published = moment(story.first_published_at)
    updated = moment(story.last_published_at or story.first_published_at)
    summary = story_summary(story)
    section_link = _section_link(section)
    # The people of a live story's byline have a page (it lists the story); those of
    # a draft that was never published may not yet.
    authors = author_links(people) if story.live else ()
    credits: list[dict[str, str]] = [
        {
            "@type": "Organization"
            if person.kind == Person.Kind.ORGANISATION
            else "Person",
            "name": person.name,
        }
        for person in people
    ]
    for credit, link in zip(credits, authors, strict=False):
        credit["url"] = absolute_url(link.path)

    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": summary,
        "author": credits,
        "publisher": {
            "@type": "Organization",
            "name": site.name,
            "url": site.url + "/",
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "inLanguage": story.language,
    }
    if published:
        article["datePublished"] = published.iso
    if updated:
        article["dateModified"] = updated.iso
    if section_link:
        article["articleSection"] = section_link.title
    if story.dateline:
        article["dateline"] = story.dateline

    context = _page_context(
        site=site, path=path, title=f"{story.title} — {site.name}", description=summary
    )
    context.update(
        {
            "story": story,
            "section_link": section_link,
            "current_section_path": section_link.path if section_link else "",
            "lang": story.language,
            "dir": story.text_direction,
            "byline": byline_text(names),
            "authors": authors,
            "published": published,
            "updated": updated,
            "source_url": _safe_source_url(story.source_url),
            "json_ld": _json_for_script(article),
        }
    )
    return context


def not_found_context(*, site: SiteInfo | None = None) -> dict[str, Any]:
    """Return what the "page not found" page shows."""
    site = site or site_info()
    context = _page_context(
        site=site,
        path="/404.html",
        title=f"Page not found — {site.name}",
        description="",
    )
    context["canonical_url"] = ""
    return context
