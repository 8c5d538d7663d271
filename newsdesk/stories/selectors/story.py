"""What a story page shows, and the "page not found" page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.safestring import SafeString, mark_safe
from wagtail.rich_text import RichText

from ..images import Picture, ShareImage, picture_for, share_images_for
from ..models import (
    Person,
    SectionPage,
    StoryPage,
)
from .common import (
    Moment,
    SiteInfo,
    absolute_url,
    byline_html,
    byline_text,
    moment,
    public_path,
    tag_path,
)
from .fronts import _page_context
from .lists import (
    _section_link,
    author_links,
    byline_people,
    section_of,
    site_info,
    story_list_related,
    story_summary,
    story_tags,
    teasers,
)


def _json_for_script(data: Mapping[str, Any]) -> SafeString:
    text = json.dumps(data, ensure_ascii=False, indent=None)
    # Inside <script> the HTML parser ends the element at "</": escape what could.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 (JSON with <, > and & escaped above)


def richtext(html: str) -> SafeString:
    """Return stored rich text as readers see it (links to pages resolved)."""
    return mark_safe(str(RichText(html)))  # noqa: S308 (Wagtail's rich text is sanitised)


def _safe_source_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


@dataclass(frozen=True)
class CorrectionNote:
    """A correction as the story page shows it."""

    when: Moment
    note: str


@dataclass(frozen=True)
class UpdateNote:
    """An update to a developing story as its page shows it."""

    when: Moment
    text: SafeString


def _updates(story: StoryPage) -> list[UpdateNote]:
    """Return a story's updates, newest first."""
    updates = sorted(
        story.updates.all(), key=lambda u: (u.posted_at, u.pk or 0), reverse=True
    )
    return [
        UpdateNote(when=when, text=richtext(u.text))
        for u in updates
        if (when := moment(u.posted_at)) is not None
    ]


def story_modified_at(story: StoryPage) -> dt.datetime | None:
    """Return when a story last changed for its readers: its last publish, or its
    newest update's time if that is later."""
    times = [story.last_published_at or story.first_published_at]
    times += [u.posted_at for u in story.updates.all()]
    known = [t for t in times if t is not None]
    return max(known) if known else None


@dataclass(frozen=True)
class TagLink:
    """A tag's name and the reader path of its page."""

    name: str
    path: str


def _corrections(story: StoryPage) -> list[CorrectionNote]:
    notes = sorted(story.corrections.all(), key=lambda c: (c.published_at, c.pk or 0))
    return [
        CorrectionNote(when=when, note=c.note)
        for c in notes
        if (when := moment(c.published_at)) is not None
    ]


@dataclass(frozen=True)
class LeadImage:
    """A story's lead image as its page shows it and as links to it share it."""

    picture: Picture
    share_images: tuple[ShareImage, ...]


def story_lead_image(story: StoryPage) -> LeadImage | None:
    """Return a story's lead image, its renditions made if they are not yet."""
    image = story.lead_image
    if image is None:
        return None
    return LeadImage(
        picture=picture_for(image, alt=story.lead_image_alt),
        share_images=share_images_for(image),
    )


def story_context(
    story: StoryPage,
    *,
    site: SiteInfo | None = None,
    sections: Mapping[str, SectionPage] | None = None,
    related: Sequence[StoryPage] | None = None,
    lead_image: LeadImage | Literal[False] | None = False,
) -> dict[str, Any]:
    """Return what a story page shows, its OpenGraph tags and NewsArticle JSON-LD.

    Pass ``site`` and ``sections`` (and a story from ``story_list_live()``) to render
    many stories without a query each; ``related`` are the stories to read next
    (``story_list_related()`` by default) and ``lead_image`` the story's
    (``story_lead_image()`` by default).
    """
    site = site or site_info()
    section = section_of(story, sections)
    path = public_path(story)
    url = absolute_url(path)
    people = byline_people(story)
    names = [person.name for person in people]
    published = moment(story.first_published_at)
    updated = moment(story_modified_at(story))
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
    if lead_image is False:
        lead_image = story_lead_image(story)
    picture = lead_image.picture if lead_image else None
    share_images = lead_image.share_images if lead_image else ()
    if share_images:
        article["image"] = [
            {
                "@type": "ImageObject",
                "url": absolute_url(share.url),
                "width": share.width,
                "height": share.height,
            }
            for share in share_images
        ]
    tags = story_tags(story)
    if tags:
        article["keywords"] = [tag.name for tag in tags]
    if related is None:
        related = story_list_related(story)

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
            "byline_html": byline_html(authors, byline_text(names)),
            "authors": authors,
            "published": published,
            "updated": updated,
            "source_url": _safe_source_url(story.source_url),
            "json_ld": _json_for_script(article),
            "lead_picture": picture,
            "share_image": (
                {**vars(share_images[0]), "url": absolute_url(share_images[0].url)}
                if share_images
                else None
            ),
            "corrections": _corrections(story),
            "updates": _updates(story),
            "tags": [TagLink(tag.name, tag_path(tag)) for tag in tags],
            "related": teasers(related, sections=sections),
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
