"""The reader site's feeds: RSS 2.0, Atom and JSON Feed 1.1 of the whole site and of
every section, author and tag, each with the newest live stories in full.

A list's three feeds sit in its front page's folder: ``/rss.xml``, ``/atom.xml`` and
``/feed.json`` for the site, ``/world/rss.xml`` ... for a section,
``/authors/<slug>/rss.xml`` and ``/tags/<slug>/rss.xml``. They are static files the
publisher rewrites with the list's pages (see ``newsdesk.publishing.services``).

What an entry carries is made in ``feed_entries``, how each format writes it in
``feed_formats``. Only live stories are ever in a feed: drafts, scheduled and
embargoed stories are not live yet, and killed or unpublished ones are not any more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from taggit.models import Tag
from wagtail.images import get_image_model

from newsdesk.stories.images import SHARE_CROPS
from newsdesk.stories.models import (
    Correction,
    Person,
    SectionPage,
    StoryAuthor,
    StoryPage,
    StoryTag,
    StoryUpdate,
)
from newsdesk.stories.selectors import (
    SiteInfo,
    absolute_url,
    author_path,
    public_path,
    section_map,
    site_info,
    story_list_live,
    tag_path,
)

from .feed_entries import (
    StoryParts,
    absolute_links,
    expand_rich_texts,
    feed_entry,
    rich_texts,
)
from .feed_formats import (
    ATOM,
    FEED_FILE_NAMES,
    FEED_FORMATS,
    JSON_FEED,
    RSS,
    FeedEntry,
    FeedFormat,
    FeedInfo,
    one_line,
)

__all__ = [
    "ATOM",
    "FEED_FILE_NAMES",
    "FEED_FORMATS",
    "JSON_FEED",
    "RSS",
    "FeedEntry",
    "FeedFormat",
    "FeedList",
    "FeedRenderer",
    "FeedStories",
    "StoryParts",
    "absolute_links",
    "author_feed_list",
    "expand_rich_texts",
    "feed_entry",
    "feed_story_ids",
    "feed_story_lists",
    "render_feed",
    "section_feed_list",
    "site_feed_list",
    "tag_feed_list",
]


@dataclass(frozen=True)
class FeedList:
    """A list of stories that has feeds: the whole site, a section, a person or a tag.

    ``path`` is the reader path of the list's front page, whose folder holds its
    feeds; ``scope`` narrows ``story_list_live()`` to its stories, ``size`` is how
    many of the newest a feed holds. A list that is not ``kept_when_empty`` loses its
    feeds with its last live story, as it loses its pages.
    """

    path: str
    title: str
    description: str
    size: int
    scope: Mapping[str, Any] = field(default_factory=dict)
    kept_when_empty: bool = True

    def feed_path(self, fmt: FeedFormat) -> str:
        """Return the reader path of this list's feed in a format."""
        return self.path + fmt.file_name

    def feed_paths(self) -> list[str]:
        """Return the reader paths of this list's feeds, one per format."""
        return [self.feed_path(fmt) for fmt in FEED_FORMATS]


def site_feed_list(site: SiteInfo) -> FeedList:
    """Return the site's own feeds' list: the ``NEWSDESK_FEED_SIZE`` newest stories.

    A section's, person's or tag's feeds hold what its front page shows, the
    ``NEWSDESK_FRONT_SIZE`` newest: a publish rewrites the feeds of every list the
    story is on, and each entry carries a whole story.
    """
    return FeedList(
        path="/",
        title=site.name,
        description=f"The latest stories from {site.name}.",
        size=settings.NEWSDESK_FEED_SIZE,
    )


def section_feed_list(section: SectionPage, site: SiteInfo) -> FeedList:
    """Return a section's feeds' list (kept, empty, while the section is live)."""
    return FeedList(
        path=public_path(section),
        title=f"{section.title} — {site.name}",
        description=section.description or f"{section.title} news from {site.name}.",
        size=settings.NEWSDESK_FRONT_SIZE,
        scope={"section": section},
    )


def author_feed_list(person: Person, site: SiteInfo) -> FeedList:
    """Return a person's feeds' list: the stories whose byline names them."""
    return FeedList(
        path=author_path(person),
        title=f"{person.name} — {site.name}",
        description=f"Stories by {person.name} on {site.name}.",
        size=settings.NEWSDESK_FRONT_SIZE,
        scope={"author": person},
        kept_when_empty=False,
    )


def tag_feed_list(tag: Tag, site: SiteInfo) -> FeedList:
    """Return a tag's feeds' list."""
    return FeedList(
        path=tag_path(tag),
        title=f"{tag.name} — {site.name}",
        description=f"Stories about {tag.name} from {site.name}.",
        size=settings.NEWSDESK_FRONT_SIZE,
        scope={"tag": tag},
        kept_when_empty=False,
    )


@dataclass(frozen=True)
class FeedStories:
    """The stories of some lists' feeds, and their parts, read in bulk."""

    lists: list[list[StoryPage]]  # each list's, newest first
    parts: dict[int, StoryParts]  # by story id


def _share_renditions() -> Prefetch[Any]:
    """Prefetch the renditions of lead images that feeds use (the link-preview
    crops), and only those: the responsive picture's nine are not needed here."""
    renditions = get_image_model().get_rendition_model().objects
    specs = [spec for _, spec in SHARE_CROPS]
    return Prefetch(
        "lead_image__renditions", queryset=renditions.filter(filter_spec__in=specs)
    )


def feed_story_ids(feeds: Sequence[FeedList]) -> list[list[int]]:
    """Return the ids of the newest live stories of each list (as many as its feeds
    hold), newest first: a query per list, answered from the listing index."""
    return [
        list(
            story_list_live(**feed.scope)
            .prefetch_related(None)
            .values_list("pk", flat=True)[: feed.size]
        )
        for feed in feeds
    ]


def feed_story_lists(
    feeds: Sequence[FeedList], ids: Sequence[Sequence[int]] | None = None
) -> FeedStories:
    """Return the newest live stories of each list (as many as its feeds hold),
    newest first, and their parts, reading them all at once.

    A query per list for its stories' ids (unless given, from ``feed_story_ids``),
    one for the stories, and one each for their bylines, tags, corrections, updates
    and lead images. The parts are read with plain queries, not ``prefetch_related``: that
    makes a query set per story for tags and child objects, most of the time it
    takes.
    """
    if ids is None:
        ids = feed_story_ids(feeds)
    wanted = sorted({pk for group in ids for pk in group})
    if not wanted:
        return FeedStories(lists=[[] for _ in ids], parts={})
    found: dict[int, StoryPage] = {
        story.pk: story
        for story in StoryPage.objects.live()
        .filter(pk__in=wanted)
        .select_related("lead_image")
        .prefetch_related(_share_renditions())
    }
    authors: dict[int, list[Person]] = defaultdict(list)
    credits = StoryAuthor.objects.filter(story_id__in=wanted).select_related("person")
    for credit in credits.order_by("sort_order", "pk"):
        authors[credit.story_id].append(credit.person)
    tags: dict[int, list[Tag]] = defaultdict(list)
    for tagged in StoryTag.objects.filter(content_object_id__in=wanted).select_related(
        "tag"
    ):
        tags[tagged.content_object_id].append(tagged.tag)
    corrections: dict[int, list[Correction]] = defaultdict(list)
    for correction in Correction.objects.filter(story_id__in=wanted).order_by(
        "published_at", "pk"
    ):
        corrections[correction.story_id].append(correction)
    updates: dict[int, list[StoryUpdate]] = defaultdict(list)
    for update in StoryUpdate.objects.filter(story_id__in=wanted).order_by(
        "-posted_at", "-pk"
    ):
        updates[update.story_id].append(update)
    parts = {
        pk: StoryParts(
            authors=tuple(authors[pk]),
            tags=tuple(sorted(tags[pk], key=lambda tag: tag.name.casefold())),
            corrections=tuple(corrections[pk]),
            updates=tuple(updates[pk]),
        )
        for pk in found
    }
    return FeedStories(
        lists=[[found[pk] for pk in group if pk in found] for group in ids],
        parts=parts,
    )


class FeedRenderer:
    """Render the feeds of many lists, making each story's entry, and its item in
    each format, once (a story is in the site's feed, its section's, its authors'
    and its tags')."""

    def __init__(
        self,
        *,
        site: SiteInfo | None = None,
        sections: Mapping[str, SectionPage] | None = None,
        parts: Mapping[int, StoryParts] | None = None,
    ) -> None:
        """``parts`` are stories' parts as ``feed_story_lists`` read them; a story
        without is read from its relations (prefetch them for many stories)."""
        self.site = site or site_info()
        self.sections = sections if sections is not None else section_map()
        self.parts = parts or {}
        self._entries: dict[int, FeedEntry] = {}
        self._items: dict[tuple[str, int], str] = {}

    def entries(self, stories: Iterable[StoryPage]) -> list[FeedEntry]:
        """Return stories' entries, making those not made yet (their rich texts
        expanded together)."""
        stories = list(stories)
        new = list({s.pk: s for s in stories if s.pk not in self._entries}.values())
        parts = [self._parts(story) for story in new]
        texts = [rich_texts(story, p) for story, p in zip(new, parts, strict=True)]
        expanded = iter(expand_rich_texts([text for group in texts for text in group]))
        for story, story_parts, group in zip(new, parts, texts, strict=True):
            self._entries[story.pk] = feed_entry(
                story,
                parts=story_parts,
                sections=self.sections,
                texts=[next(expanded) for _ in group],
            )
        return [self._entries[story.pk] for story in stories]

    def _parts(self, story: StoryPage) -> StoryParts:
        parts = self.parts.get(story.pk)
        return parts if parts is not None else StoryParts.of(story)

    def _item(self, fmt: FeedFormat, entry: FeedEntry, pk: int) -> str:
        key = (fmt.file_name, pk)
        item = self._items.get(key)
        if item is None:
            item = fmt.item(entry)
            self._items[key] = item
        return item

    def render(
        self, feed: FeedList, stories: Iterable[StoryPage], fmt: FeedFormat
    ) -> bytes:
        """Return a list's feed in a format, holding ``stories`` in the order given."""
        stories = list(stories)
        entries = self.entries(stories)
        items = [
            self._item(fmt, entry, story.pk)
            for story, entry in zip(stories, entries, strict=True)
        ]
        updated = max((entry.updated for entry in entries), default=None)
        home_url = absolute_url(feed.path)
        info = FeedInfo(
            title=one_line(feed.title),
            description=one_line(feed.description),
            home_url=home_url,
            feed_url=absolute_url(feed.feed_path(fmt)),
            language=self.site.language,
            author_name=one_line(self.site.name),
            author_url=self.site.url + "/",
        )
        return fmt.document(info, items, updated)


def render_feed(feed: FeedList | None = None, fmt: FeedFormat = RSS) -> bytes:
    """Return one feed of a list (the site's by default) as it is published now."""
    site = site_info()
    feed = feed or site_feed_list(site)
    found = feed_story_lists([feed])
    return FeedRenderer(site=site, parts=found.parts).render(feed, found.lists[0], fmt)
