"""A story as the feeds carry it: one entry, the same in every format.

The whole story goes in as sanitised HTML (lead image, timed updates, dated
corrections, body, source credit), with the byline linked to the authors' pages, the section and tags as
categories, the lead image as an enclosure, and when it was first published and last
changed (its latest publish, correction or update). Every string is cleaned of what XML
cannot carry. Made in bulk by ``newsdesk.publishing.feeds.FeedRenderer``.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from taggit.models import Tag
from wagtail.rich_text import expand_db_html

from newsdesk.stories.images import ShareImage, share_images_for
from newsdesk.stories.models import (
    Correction,
    Person,
    SectionPage,
    StoryPage,
    StoryUpdate,
)
from newsdesk.stories.selectors import (
    absolute_url,
    author_path,
    byline_people,
    moment,
    public_path,
    section_map,
    section_of,
    story_summary,
    story_tags,
)

from .feed_formats import FeedAuthor, FeedEntry, FeedImage, clean_text, one_line
from .storage import media_file_of_rendition

# Links the rich-text editor makes to our own pages are site-relative ("/world/x/");
# a feed reader needs them absolute.
_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")/(?!/)')

# What of a story's body a feed carries: the editor's features (and the figure an
# embedded picture renders as), nothing that runs or styles. A picture keeps only
# its fallback <img>: the srcset's addresses would stay relative.
_BODY_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "em", "figcaption", "figure", "h2", "h3",
        "h4", "hr", "i", "img", "li", "ol", "p", "strong", "ul",
    }
)  # fmt: skip
_BODY_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "*": {"dir", "lang"},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_JPEG = "image/jpeg"


def absolute_links(html_text: str) -> str:
    """Return HTML with site-relative links made absolute."""
    return _RELATIVE_LINK.sub(rf"\1{settings.NEWSDESK_SITE_URL}/", html_text)


@dataclass(frozen=True)
class StoryParts:
    """What an entry shows of a story beside the story itself."""

    authors: tuple[Person, ...]  # in byline order
    tags: tuple[Tag, ...]  # by name
    corrections: tuple[Correction, ...]  # oldest first
    updates: tuple[StoryUpdate, ...]  # newest first

    @classmethod
    def of(cls, story: StoryPage) -> StoryParts:
        """Return a story's parts from its relations (prefetch them for many)."""
        return cls(
            authors=tuple(byline_people(story)),
            tags=tuple(story_tags(story)),
            corrections=tuple(
                sorted(
                    story.corrections.all(), key=lambda c: (c.published_at, c.pk or 0)
                )
            ),
            updates=tuple(
                sorted(
                    story.updates.all(),
                    key=lambda u: (u.posted_at, u.pk or 0),
                    reverse=True,
                )
            ),
        )


def _entry_id(story: StoryPage, published: datetime) -> str:
    """Return a story's permanent entry id, a tag URI (RFC 4151).

    Not its address: that changes with a new slug or section, and a reader would
    see the story again as new. Made of the site's host, the day it was first
    published and its page id, none of which changes.
    """
    host = urlsplit(settings.NEWSDESK_SITE_URL).hostname or "localhost"
    host = host.encode("idna").decode("ascii")
    return f"tag:{host},{published.astimezone(UTC):%Y-%m-%d}:story/{story.pk}"


def _published_at(story: StoryPage) -> datetime:
    when = story.first_published_at or story.last_published_at
    # A live story always has one; stories imported by hand may not.
    return when or datetime(1970, 1, 1, tzinfo=UTC)


def _lead_image(story: StoryPage) -> ShareImage | None:
    """Return the lead image's widest crop (16x9), the one links to the story share.

    Feeds show it in the entry and offer it as the enclosure: the responsive
    picture's nine renditions would cost four times as much to look up, and a
    feed reader takes one file.
    """
    if story.lead_image_id is None or story.lead_image is None:
        return None
    shares = share_images_for(story.lead_image)
    return shares[0] if shares else None


def _image(share: ShareImage | None) -> FeedImage | None:
    if share is None:
        return None
    source = media_file_of_rendition(share.url.lstrip("/"))
    try:
        length = source.stat().st_size if source is not None else 0
    except OSError:
        length = 0
    return FeedImage(
        url=absolute_url(share.url),
        mime_type=_JPEG,
        length=length,
        width=share.width,
        height=share.height,
    )


def expand_rich_texts(texts: Sequence[str]) -> list[str]:
    """Return stored rich texts (bodies, updates) as readers see them, links to our
    pages and embedded pictures resolved, looking up what all of them link in one go.

    ``expand_db_html`` looks up the pages one text links in a query: once per story
    in a feed of fifty. Given the texts joined, it makes one query for all. They are
    joined with a separator no text holds (NULs around a random token); a text that
    breaks the split (a tag left open at its end) makes them be expanded one by one
    instead.
    """
    if not texts:
        return []
    separator = f"\x00{uuid.uuid4().hex}\x00"
    expanded: list[str] = str(expand_db_html(separator.join(texts))).split(separator)
    if len(expanded) != len(texts):
        expanded = [str(expand_db_html(text)) for text in texts]
    return expanded


def sanitised_body_html(expanded: str) -> str:
    """Return expanded rich text as the HTML feeds and the API carry: the editor's
    tags only, nothing that runs or styles, links absolute."""
    body = nh3.clean(
        clean_text(expanded),
        tags=set(_BODY_TAGS),
        attributes={tag: set(names) for tag, names in _BODY_ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel=None,
    )
    return absolute_links(body)


def _updates_html(updates: Sequence[StoryUpdate], texts: Sequence[str]) -> str:
    """Return a developing story's updates, newest first, each with its time (as its
    page shows them); ``texts`` are theirs, expanded."""
    notes = []
    for update, text in zip(updates, texts, strict=True):
        when = moment(update.posted_at)
        if when is None:
            continue
        notes.append(
            f'<li><time datetime="{html.escape(when.iso)}">'
            f"{html.escape(when.display)}</time> {sanitised_body_html(text)}</li>"
        )
    if not notes:
        return ""
    heading = "Update" if len(notes) == 1 else "Updates"
    return (
        f"<section><h2>{heading}</h2>\n<ol reversed>\n"
        + "\n".join(notes)
        + "\n</ol>\n</section>"
    )


def _corrections_html(corrections: Sequence[Correction]) -> str:
    """Return a story's corrections, oldest first, each with its date (as its page
    shows them)."""
    notes = []
    for correction in corrections:
        when = moment(correction.published_at)
        if when is None:
            continue
        notes.append(
            f'<li><time datetime="{html.escape(when.iso)}">'
            f"{html.escape(when.display)}</time>: "
            f"{html.escape(clean_text(correction.note))}</li>"
        )
    if not notes:
        return ""
    heading = "Correction" if len(notes) == 1 else "Corrections"
    return f"<aside><h2>{heading}</h2>\n<ul>\n" + "\n".join(notes) + "\n</ul>\n</aside>"


def _figure_html(story: StoryPage, lead: ShareImage | None) -> str:
    if lead is None:
        return ""
    caption = " ".join(
        part
        for part in (
            one_line(story.lead_image_caption),
            one_line(story.lead_image_credit),
        )
        if part
    )
    return (
        f'<figure><img src="{html.escape(absolute_url(lead.url))}" '
        f'width="{lead.width}" height="{lead.height}" '
        f'alt="{html.escape(one_line(story.lead_image_alt))}">'
        + (f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "")
        + "</figure>"
    )


def _credit_html(story: StoryPage) -> str:
    credit = one_line(story.source_credit)
    if not credit:
        return ""
    url = story.source_url
    if url.startswith(("https://", "http://")):
        return (
            f'<p><a href="{html.escape(clean_text(url))}">{html.escape(credit)}</a></p>'
        )
    return f"<p>{html.escape(credit)}</p>"


def _content_html(
    story: StoryPage,
    parts: StoryParts,
    lead: ShareImage | None,
    texts: Sequence[str],
) -> str:
    """Return the story as a feed carries it in full, in the order of its page: lead
    image, updates, corrections, body and source credit, in the story's own language
    and direction. ``texts`` are its body and its updates' texts, expanded."""
    body, *updates = texts
    pieces = [
        _figure_html(story, lead),
        _updates_html(parts.updates, updates),
        _corrections_html(parts.corrections),
        sanitised_body_html(body),
        _credit_html(story),
    ]
    content = "\n".join(piece for piece in pieces if piece)
    if story.language != settings.NEWSDESK_SITE_LANGUAGE or (
        story.text_direction == "rtl"
    ):
        # Dari and Pashto run right to left in a reader that shows the feed's
        # language (English) left to right.
        content = (
            f'<div lang="{html.escape(story.language)}" '
            f'dir="{story.text_direction}">\n{content}\n</div>'
        )
    return content


def rich_texts(story: StoryPage, parts: StoryParts) -> list[str]:
    """Return the stored rich texts an entry shows: the body, then each update's."""
    return [story.body, *(update.text for update in parts.updates)]


def feed_entry(
    story: StoryPage,
    *,
    parts: StoryParts | None = None,
    sections: Mapping[str, SectionPage] | None = None,
    texts: Sequence[str] | None = None,
) -> FeedEntry:
    """Return a live story as feeds carry it.

    Pass its parts and the story from ``feed_story_lists``, ``section_map()`` and its
    ``rich_texts`` expanded by ``expand_rich_texts`` (with other stories') to make
    many entries without a query each.
    """
    parts = parts if parts is not None else StoryParts.of(story)
    published = _published_at(story)
    # Changed by its last publish, a correction or an update, whichever is latest.
    changes = [published, story.last_published_at]
    changes += [c.published_at for c in parts.corrections]
    changes += [u.posted_at for u in parts.updates]
    updated = max(when for when in changes if when is not None)
    section = section_of(story, sections if sections is not None else section_map())
    categories = [section.title] if section is not None and section.live else []
    categories += [tag.name for tag in parts.tags]
    lead = _lead_image(story)
    return FeedEntry(
        id=_entry_id(story, published),
        url=absolute_url(public_path(story)),
        title=one_line(story.title),
        summary=one_line(story_summary(story)),
        content_html=_content_html(
            story,
            parts,
            lead,
            texts if texts is not None else expand_rich_texts(rich_texts(story, parts)),
        ),
        published=published,
        updated=updated,
        authors=tuple(
            FeedAuthor(
                name=one_line(person.name), url=absolute_url(author_path(person))
            )
            for person in parts.authors
        ),
        categories=tuple(dict.fromkeys(one_line(name) for name in categories)),
        image=_image(lead),
        language=story.language,
    )
