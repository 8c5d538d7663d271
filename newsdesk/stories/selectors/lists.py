"""Named reads of live stories, sections and people, and the teasers lists show."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, OrderBy, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.html import strip_tags
from django.utils.text import Truncator
from taggit.models import Tag
from wagtail.models import Page

from ..models import (
    RTL_LANGUAGES,
    UNDATED,
    HomePage,
    InfoPage,
    Person,
    SectionPage,
    StoryAuthor,
    StoryListing,
    StoryPage,
    StoryTag,
)
from .common import (
    DESCRIPTION_WORDS,
    FEED_PATH,
    AuthorLink,
    SectionLink,
    SiteInfo,
    Teaser,
    author_path,
    byline_text,
    moment,
    public_path,
)

RELATED_SIZE = 4


def _page_id() -> RawSQL:
    """Return the page table's id column, the tie-break between stories first
    published at the same moment.

    A story's own ``id`` is its table's ``page_ptr_id``: ordering by that kept SQLite
    off the ``first_published_at`` index, so every "newest 20" sorted the whole
    archive (0.6 s at 55,000 stories, against 0.3 ms walking the index, whose
    entries end in the page id).
    """
    # Django names the page table's id only as the story's page_ptr_id; the column is
    # spelled out from the model's own names, never from input.
    table = connection.ops.quote_name(Page._meta.db_table)
    column = connection.ops.quote_name("id")
    return RawSQL(f"{table}.{column}", ())  # noqa: S611


def newest_first() -> tuple[OrderBy, OrderBy]:
    """Return the order of story lists: newest first, never-published last."""
    return F("first_published_at").desc(nulls_last=True), _page_id().desc()


def oldest_first() -> tuple[OrderBy, OrderBy]:
    """Return the order archives number stories in: oldest first."""
    return F("first_published_at").asc(nulls_first=True), _page_id().asc()


def _authors_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "authors",
        queryset=StoryAuthor.objects.select_related("person").order_by(
            "sort_order", "pk"
        ),
    )


def in_section(section: SectionPage) -> Q:
    """Match a section's stories (its children in the page tree) by a range of tree
    paths, which the path index answers.

    Wagtail's ``child_of`` matches a path prefix with LIKE, which SQLite answers by
    reading every page (57 ms at 55,000 stories, against 7 ms for the range).
    """
    last_child = section.path + Page.alphabet[-1] * Page.steplen
    return Q(path__gt=section.path, path__lte=last_child, depth=section.depth + 1)


def _listing(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> tuple[str, int] | None:
    """Return the listing (kind, owner id) a section, person or tag names, if any."""
    named = [
        (kind, owner.pk)
        for kind, owner in (
            (StoryListing.Kind.SECTION, section),
            (StoryListing.Kind.AUTHOR, author),
            (StoryListing.Kind.TAG, tag),
        )
        if owner is not None
    ]
    if len(named) > 1:
        raise ValueError("Narrow a story list by one section, person or tag at a time.")
    return named[0] if named else None


def _live_stories(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> QuerySet[StoryPage]:
    stories: QuerySet[StoryPage] = StoryPage.objects.live()
    listing = _listing(section=section, author=author, tag=tag)
    if listing is not None:
        kind, owner = listing
        stories = stories.filter(listings__kind=kind, listings__owner_id=owner)
    return stories


def _ordered(
    stories: QuerySet[StoryPage], listing: tuple[str, int] | None, *, newest: bool
) -> QuerySet[StoryPage]:
    """Order a (narrowed) story list newest or oldest first.

    A narrowed list is ordered by its listing rows, whose index holds the order: the
    database reads the twenty newest, or skips to archive page 400, without sorting
    the section's, person's or tag's whole archive.
    """
    if listing is None:
        return stories.order_by(*(newest_first() if newest else oldest_first()))
    at, story = F("listings__first_published_at"), F("listings__story_id")
    if newest:
        return stories.order_by(at.desc(), story.desc())
    return stories.order_by(at.asc(), story.asc())


def story_list_live(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> QuerySet[StoryPage]:
    """Return live stories, newest first, with their byline's people prefetched.

    ``section``, ``author`` or ``tag`` (one at a time) narrows the list to a
    section's, a person's or a tag's stories.
    A story's section is its tree parent: look it up in ``section_map()`` with
    ``section_of()`` instead of a query per story.
    """
    listing = _listing(section=section, author=author, tag=tag)
    stories = _live_stories(section=section, author=author, tag=tag)
    return _ordered(stories, listing, newest=True).prefetch_related(_authors_prefetch())


def story_list_live_oldest_first(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> QuerySet[StoryPage]:
    """Return a section's, person's or tag's live stories oldest first, as archives
    number them."""
    listing = _listing(section=section, author=author, tag=tag)
    stories = _live_stories(section=section, author=author, tag=tag)
    return _ordered(stories, listing, newest=False).prefetch_related(
        _authors_prefetch()
    )


def story_list_live_slice(
    *,
    start: int,
    stop: int,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> list[StoryPage]:
    """Return live stories ``start:stop`` of a section's, person's or tag's list
    counted from the oldest, as archive pages number them (oldest first).

    The place is found in the listing rows alone, then only those stories are read:
    skipping 40,000 stories through the story tables cost a tenth of a second.
    """
    listing = _listing(section=section, author=author, tag=tag)
    if listing is None:
        ids = list(
            _count_rows(None)
            .order_by(*oldest_first())
            .values_list("pk", flat=True)[start:stop]
        )
    else:
        ids = list(
            _count_rows(listing)
            .order_by("first_published_at", "story_id")
            .values_list("story_id", flat=True)[start:stop]
        )
    found = {
        story.pk: story
        for story in StoryPage.objects.live()
        .filter(pk__in=ids)
        .prefetch_related(_authors_prefetch())
    }
    return [found[pk] for pk in ids if pk in found]


def _count_rows(
    listing: tuple[str, int] | None,
) -> QuerySet[StoryListing] | QuerySet[Page]:
    """Return the rows to count a list's stories by: its listing rows, or (for all
    live stories) the page table alone, whose rows are narrower than a story's."""
    if listing is None:
        pages: QuerySet[Page] = Page.objects.live().type(StoryPage)
        return pages
    kind, owner = listing
    return StoryListing.objects.filter(kind=kind, owner_id=owner)


def story_count_live(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> int:
    """Return how many live stories there are (of a section, person or tag)."""
    return _count_rows(_listing(section=section, author=author, tag=tag)).count()


def story_count_older(
    *,
    story: StoryPage,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> int:
    """Return how many live stories of a section, person or tag come before a story."""
    listing = _listing(section=section, author=author, tag=tag)
    when = story.first_published_at
    if listing is not None:
        at = when or UNDATED
        earlier = Q(first_published_at__lt=at) | Q(
            first_published_at=at, story_id__lt=story.pk
        )
        return _count_rows(listing).filter(earlier).count()
    older = _count_rows(None)
    if when is None:
        return older.filter(first_published_at__isnull=True, id__lt=story.pk).count()
    return older.filter(
        Q(first_published_at__isnull=True)
        | Q(first_published_at__lt=when)
        | Q(first_published_at=when, id__lt=story.pk)
    ).count()


def section_list_live() -> QuerySet[SectionPage]:
    """Return the live sections in their tree order (the order of the site's nav)."""
    sections: QuerySet[SectionPage] = SectionPage.objects.live().order_by("path")
    return sections


def section_map() -> dict[str, SectionPage]:
    """Return every section keyed by its tree path, for ``section_of()``."""
    return {section.path: section for section in SectionPage.objects.all()}


def section_of(
    page: Page, sections: Mapping[str, SectionPage] | None = None
) -> SectionPage | None:
    """Return the section a story sits in (its tree parent), without a query if mapped."""
    if not page.path:
        return None
    parent_path = page.path[: -page.steplen]
    if sections is not None:
        return sections.get(parent_path)
    section: SectionPage | None = SectionPage.objects.filter(path=parent_path).first()
    return section


def home_get() -> HomePage | None:
    """Return the site's home page."""
    home: HomePage | None = HomePage.objects.first()
    return home


def archive_page_count(*, total: int) -> int:
    """Return how many archive pages a list of ``total`` live stories has."""
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    return (total + size - 1) // size


def info_page_list_live() -> QuerySet[InfoPage]:
    """Return the live information pages (about, contribute ...) in tree order."""
    pages: QuerySet[InfoPage] = InfoPage.objects.live().order_by("path")
    return pages


def site_info(*, sections: Iterable[SectionPage] | None = None) -> SiteInfo:
    """Return what every reader page shows about the site."""
    if sections is None:
        sections = section_list_live()
    pages = tuple(SectionLink(p.title, public_path(p)) for p in info_page_list_live())
    language = settings.NEWSDESK_SITE_LANGUAGE
    return SiteInfo(
        name=settings.NEWSDESK_SITE_NAME,
        url=settings.NEWSDESK_SITE_URL,
        language=language,
        text_direction="rtl" if language in RTL_LANGUAGES else "ltr",
        feed_path=FEED_PATH,
        nav=tuple(SectionLink(s.title, public_path(s)) for s in sections),
        pages=pages,
    )


def byline_people(story: StoryPage) -> list[Person]:
    """Return the people in a story's byline, in order."""
    # Sorted here as well: a preview's authors come from the revision, unordered.
    credits = sorted(story.authors.all(), key=lambda a: (a.sort_order or 0, a.pk or 0))
    return [credit.person for credit in credits]


def author_names(story: StoryPage) -> list[str]:
    """Return the names in a story's byline, in order."""
    return [person.name for person in byline_people(story)]


def author_links(people: Iterable[Person]) -> tuple[AuthorLink, ...]:
    """Return the names and author page paths of people in a byline."""
    return tuple(AuthorLink(person.name, author_path(person)) for person in people)


def person_list_with_live_stories() -> QuerySet[Person]:
    """Return the people named in a live story's byline (those with a page), by name."""
    people: QuerySet[Person] = (
        Person.objects.filter(credits__story__live=True).distinct().order_by("name")
    )
    return people


def story_last_modified(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
) -> datetime | None:
    """Return when the latest change among live stories (of a section, person or tag)
    was: a story's last publish, else its first."""
    last: datetime | None = _live_stories(
        section=section, author=author, tag=tag
    ).aggregate(last=Max(Coalesce("last_published_at", "first_published_at")))["last"]
    return last


def person_slugs(ids: Iterable[int]) -> dict[int, str]:
    """Return the author page slugs of people, by id."""
    return dict(Person.objects.filter(pk__in=list(ids)).values_list("pk", "slug"))


def tag_slugs(ids: Iterable[int]) -> dict[int, str]:
    """Return the tag page slugs of tags, by id."""
    return dict(Tag.objects.filter(pk__in=list(ids)).values_list("pk", "slug"))


def story_summary(story: StoryPage) -> str:
    """Return the standfirst, or the start of the body as plain text."""
    if story.standfirst.strip():
        return " ".join(story.standfirst.split())
    text = " ".join(strip_tags(story.body).split())
    return Truncator(text).words(DESCRIPTION_WORDS, truncate="…")


def _section_link(section: SectionPage | None) -> SectionLink | None:
    # A section taken off the site has no page to link to.
    if section is None or not section.live:
        return None
    return SectionLink(section.title, public_path(section))


def teaser(
    story: StoryPage, *, sections: Mapping[str, SectionPage] | None = None
) -> Teaser:
    """Return what a list shows about a story."""
    people = byline_people(story)
    return Teaser(
        pk=story.pk,
        headline=story.title,
        path=public_path(story),
        standfirst=story.standfirst,
        byline=byline_text(person.name for person in people),
        authors=author_links(people),
        published=moment(story.first_published_at),
        section=_section_link(section_of(story, sections)),
        language=story.language,
        text_direction=story.text_direction,
    )


def teasers(
    stories: Iterable[StoryPage], *, sections: Mapping[str, SectionPage] | None = None
) -> list[Teaser]:
    """Return teasers for stories, looking their sections up in one query."""
    if sections is None:
        sections = section_map()
    return [teaser(story, sections=sections) for story in stories]


def story_tags(story: StoryPage) -> list[Tag]:
    """Return a story's tags by name (from the revision, for a preview)."""
    return sorted(story.tags.all(), key=lambda tag: tag.name.casefold())


def tag_list_with_live_stories() -> QuerySet[Tag]:
    """Return the tags of live stories (those with a page), by name."""
    tags: QuerySet[Tag] = (
        Tag.objects.filter(
            pk__in=StoryTag.objects.filter(content_object__live=True).values("tag_id")
        )
        .distinct()
        .order_by("name")
    )
    return tags


def story_list_related(
    story: StoryPage, *, limit: int = RELATED_SIZE
) -> list[StoryPage]:
    """Return live stories to read next: those sharing most tags, then the section's.

    Only stories published before this one count, so the list a page was written
    with stays true as newer stories arrive. Worked out from the listing rows alone,
    whose index holds each tag's and section's stories by date.
    """
    if story.pk is None:
        return []
    when = story.first_published_at

    def earlier(kind: str, owners: list[int]) -> QuerySet[StoryListing]:
        rows = StoryListing.objects.filter(kind=kind, owner_id__in=owners).exclude(
            story_id=story.pk
        )
        if when is not None:
            # An undated story is never "before" a dated one.
            rows = rows.filter(
                first_published_at__lt=when, first_published_at__gt=UNDATED
            )
        return rows

    chosen: list[int] = []
    tag_ids = [tag.pk for tag in story.tags.all()]
    if tag_ids:
        shared = (
            earlier(StoryListing.Kind.TAG, tag_ids)
            .values("story_id", "first_published_at")
            .annotate(shared=Count("id"))
            .order_by("-shared", "-first_published_at", "-story_id")
        )
        chosen = [row["story_id"] for row in shared[:limit]]
    section = section_of(story)
    if len(chosen) < limit and section is not None:
        newest = (
            earlier(StoryListing.Kind.SECTION, [section.pk])
            .exclude(story_id__in=chosen)
            .order_by("-first_published_at", "-story_id")
            .values_list("story_id", flat=True)
        )
        chosen += list(newest[: limit - len(chosen)])
    found = {
        related.pk: related
        for related in StoryPage.objects.live()
        .filter(pk__in=chosen)
        .prefetch_related(_authors_prefetch())
    }
    return [found[pk] for pk in chosen if pk in found]


def story_list_top(home: HomePage) -> list[StoryPage]:
    """Return the live stories the editors put at the top of the home page, in order.

    Read from the home page given (a preview's unsaved choices included); a story
    taken off the site is left out.
    """
    chosen = sorted(
        home.top_stories.all(), key=lambda t: (t.sort_order or 0, t.pk or 0)
    )
    ids = [top.story_id for top in chosen]
    live = {story.pk: story for story in story_list_live().filter(pk__in=ids)}
    return [live[pk] for pk in dict.fromkeys(ids) if pk in live]


def _story_key(story: StoryPage) -> tuple[bool, float, int]:
    """Sort key putting stories newest first, undated last, as the lists order them."""
    when = story.first_published_at
    return (when is None, -when.timestamp() if when else 0.0, -story.pk)


def story_related_map(
    stories: Sequence[StoryPage], *, limit: int = RELATED_SIZE
) -> dict[int, list[StoryPage]]:
    """Return ``story_list_related()`` for every story of ``stories``, without queries.

    ``stories`` must be all the live stories with their tags prefetched; the result
    is the same as the query's for each, which a full rebuild relies on.
    """
    ordered = sorted(stories, key=_story_key)
    by_tag: dict[int, list[int]] = {}
    tag_ids: dict[int, list[int]] = {}
    by_section: dict[str, list[int]] = {}
    for n, story in enumerate(ordered):
        ids = list(dict.fromkeys(tag.pk for tag in story.tags.all()))
        tag_ids[story.pk] = ids
        for tag_id in ids:
            by_tag.setdefault(tag_id, []).append(n)
        by_section.setdefault(story.path[: -story.steplen], []).append(n)
    tag_sets = {tag_id: set(ns) for tag_id, ns in by_tag.items()}

    def earlier(n: int, m: int) -> bool:
        when = ordered[n].first_published_at
        other = ordered[m].first_published_at
        if m == n:
            return False
        if when is None:
            return True
        return other is not None and other < when

    def newest_earlier(n: int, candidates: list[int], taken: set[int]) -> Iterator[int]:
        for m in candidates[bisect_right(candidates, n) :]:
            if m not in taken and earlier(n, m):
                yield m

    related: dict[int, list[StoryPage]] = {}
    for n, story in enumerate(ordered):
        ids = tag_ids[story.pk]
        chosen: list[int] = []
        if len(ids) > 1:
            # Stories sharing two tags or more: found through the tags' overlaps.
            overlap: set[int] = set()
            for i, first in enumerate(ids):
                for second in ids[i + 1 :]:
                    overlap |= tag_sets[first] & tag_sets[second]
            shared = [
                (-sum(m in tag_sets[tag_id] for tag_id in ids), m)
                for m in overlap
                if earlier(n, m)
            ]
            chosen = [m for _, m in sorted(shared)[:limit]]
        if len(chosen) < limit and ids:
            taken = set(chosen)
            singles = sorted(
                {
                    m
                    for tag_id in ids
                    for m in _take(newest_earlier(n, by_tag[tag_id], taken), limit)
                }
            )
            chosen += singles[: limit - len(chosen)]
        if len(chosen) < limit:
            taken = set(chosen)
            section = by_section[story.path[: -story.steplen]]
            chosen += _take(newest_earlier(n, section, taken), limit - len(chosen))
        related[story.pk] = [ordered[m] for m in chosen]
    return related


def _take(items: Iterator[int], count: int) -> list[int]:
    return [item for _, item in zip(range(count), items, strict=False)]
