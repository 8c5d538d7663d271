"""Every write to the reader search index: index a story, remove one, rebuild all."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from newsdesk.stories.models import SectionPage, StoryAuthor, StoryPage
from newsdesk.stories.selectors import byline_people, section_map, section_of

from .backends import search_backend
from .models import IndexedStory
from .text import normalise, plain_text

# Stories read, turned into index rows and written per round trip of a rebuild.
REBUILD_BATCH = 500
ENTRY_FIELDS = (
    "language",
    "title",
    "standfirst",
    "body",
    "byline",
    "section",
    "first_published_at",
    "indexed_at",
)

Progress = Callable[[int, int], None]


def _live_stories() -> QuerySet[StoryPage]:
    stories: QuerySet[StoryPage] = StoryPage.objects.live().prefetch_related(
        Prefetch("authors", queryset=StoryAuthor.objects.select_related("person"))
    )
    return stories


def _entry(
    story: StoryPage, *, sections: dict[str, SectionPage] | None = None
) -> IndexedStory:
    """Return the (unsaved) index row of a live story."""
    return IndexedStory(
        story_id=story.pk,
        language=story.language,
        title=normalise(story.title),
        standfirst=normalise(story.standfirst),
        body=plain_text(story.body),
        byline=normalise(" ".join(person.name for person in byline_people(story))),
        section=section_of(story, sections),
        first_published_at=story.first_published_at,
    )


@transaction.atomic
def search_index_story(*, story: StoryPage) -> IndexedStory | None:
    """Write a story's row in the reader search index as it is live now.

    The story is read again from the database, so what is indexed is what readers
    get; a story that is not live (any more) is removed instead, and None returned.
    """
    current = _live_stories().filter(pk=story.pk).first()
    if current is None:
        search_remove_story(story_id=story.pk)
        return None
    entry = _entry(current)
    defaults = {name: getattr(entry, name) for name in ENTRY_FIELDS[:-1]}
    saved, _ = IndexedStory.objects.update_or_create(
        story_id=current.pk, defaults=defaults
    )
    return saved


def search_remove_story(*, story_id: int) -> bool:
    """Take a story out of the reader search index; say whether it was in it."""
    deleted, _ = IndexedStory.objects.filter(story_id=story_id).delete()
    return deleted > 0


def _batches(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def search_rebuild(
    *, batch_size: int = REBUILD_BATCH, progress: Progress | None = None
) -> int:
    """Index every live story again and drop every row that is not one; return how many.

    For the demo import and other bulk inserts that send no signals, and after a
    change to what is indexed. Each batch is its own transaction, so readers keep
    searching the old rows while new ones are written and publishing is never held
    up for long; running it twice at once does no harm.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be 1 or more")
    ids = list(StoryPage.objects.live().order_by("pk").values_list("pk", flat=True))
    total = len(ids)
    done = 0
    if progress is not None:
        progress(done, total)
    sections = section_map()
    for batch in _batches(ids, batch_size):
        with transaction.atomic():
            stories = _live_stories().filter(pk__in=batch)
            entries = [_entry(story, sections=sections) for story in stories]
            IndexedStory.objects.bulk_create(
                entries,
                update_conflicts=True,
                unique_fields=["story"],
                update_fields=list(ENTRY_FIELDS),
            )
        done += len(batch)
        if progress is not None:
            progress(done, total)
    with transaction.atomic():
        # Stories unpublished (or deleted) without a signal, and any left over.
        IndexedStory.objects.exclude(story__live=True).delete()
    search_backend().optimise()
    return total
