"""Named reads of what the API shows: live stories, sections and authors only."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from taggit.models import Tag
from wagtail.models import PageViewRestriction

from newsdesk.stories.models import Person, SectionPage, StoryPage, StoryUpdate
from newsdesk.stories.selectors import (
    person_list_with_live_stories,
    section_list_live,
    story_count_live,
    story_list_live,
    tag_list_with_live_stories,
)

TAG_PK_PREFIX = "tag-"  # a tag with an empty slug is addressed as "tag-<pk>"


def _public(pages: QuerySet[Any]) -> QuerySet[Any]:
    """Leave out pages behind a view restriction (Wagtail's privacy settings)."""
    public: QuerySet[Any] = pages.public()  # type: ignore[attr-defined]  # PageQuerySet
    return public


def _updates() -> Prefetch[Any]:
    # A list shows when each story last changed, which its newest update may set.
    return Prefetch("updates", queryset=StoryUpdate.objects.order_by("posted_at", "pk"))


def _story_parts(stories: QuerySet[StoryPage]) -> QuerySet[StoryPage]:
    """Prefetch what a whole story shows beside the story row itself."""
    return stories.prefetch_related("tags", "corrections", _updates())


def story_get_public(story_id: int) -> StoryPage | None:
    """Return a live story readers may see, with its byline and notes, if it is one."""
    story: StoryPage | None = (
        _public(_story_parts(story_list_live()))
        .select_related("lead_image")
        .filter(pk=story_id)
        .first()
    )
    return story


def story_get_withdrawn(story_id: int) -> StoryPage | None:
    """Return the story with this id if it was killed (its address says why)."""
    story: StoryPage | None = (
        StoryPage.objects.filter(pk=story_id, live=False)
        .exclude(killed_at=None)
        .first()
    )
    return story


def story_list_public(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
    language: str | None = None,
    kind: str | None = None,
) -> QuerySet[StoryPage]:
    """Return live stories, newest first, narrowed by at most one of section, author
    or tag, and by language and kind; their bylines and updates prefetched."""
    stories = _public(story_list_live(section=section, author=author, tag=tag))
    if language:
        stories = stories.filter(language=language)
    if kind:
        stories = stories.filter(kind=kind)
    return stories.prefetch_related(_updates())


def story_count_public(
    *,
    section: SectionPage | None = None,
    author: Person | None = None,
    tag: Tag | None = None,
    language: str | None = None,
    kind: str | None = None,
) -> int:
    """Return how many stories ``story_list_public`` lists for the same filters."""
    if not language and not kind and not PageViewRestriction.objects.exists():
        # The listing rows answer this without reading the stories.
        return story_count_live(section=section, author=author, tag=tag)
    filters: dict[str, Any] = {"language": language, "kind": kind}
    stories = _public(story_list_live(section=section, author=author, tag=tag))
    return int(stories.filter(**{k: v for k, v in filters.items() if v}).count())


def section_list_public() -> QuerySet[SectionPage]:
    """Return the live sections in the order of the site's navigation."""
    return _public(section_list_live())


def section_get_public(slug: str) -> SectionPage | None:
    """Return the live section with this slug, if there is one."""
    section: SectionPage | None = section_list_public().filter(slug=slug).first()
    return section


def person_list_public() -> QuerySet[Person]:
    """Return the people named in a live story's byline (those with an author page),
    by name."""
    return person_list_with_live_stories()


def person_get_public(slug: str) -> Person | None:
    """Return the person with this slug if they have an author page."""
    person: Person | None = person_list_public().filter(slug=slug).first()
    return person


def tag_get_public(slug: str) -> Tag | None:
    """Return the tag with this slug (as in its page's address) if a live story
    carries it: a tag only on drafts or embargoed copy answers as if absent, so the
    API does not tell that such a story exists."""
    tags = tag_list_with_live_stories()
    if slug.startswith(TAG_PK_PREFIX) and slug[len(TAG_PK_PREFIX) :].isascii():
        number = slug[len(TAG_PK_PREFIX) :]
        if number.isdigit() and len(number) < 12:
            by_pk: Tag | None = tags.filter(pk=int(number), slug="").first()
            if by_pk is not None:
                return by_pk
    tag: Tag | None = tags.filter(slug=slug).exclude(slug="").first()
    return tag
