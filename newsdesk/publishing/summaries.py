"""Keeping the listing summaries (``ListingSummary``) in step with the live stories.

A listing is a section, a person's or a tag's stories, or a month of them (in the
site's time zone for the date archive, in UTC for the sitemaps). Its summary is how
many live stories it holds and when the latest of them changed. The publisher sets
the summaries of the listings it rewrites; a rebuild replaces them all. When the
mark a complete fill leaves is missing (a new database, a database from before the
summaries), the first read fills them from the stories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from newsdesk.stories.models import StoryPage
from newsdesk.stories.selectors import byline_people, story_list_live, story_tags

from .models import ListingSummary

Kind = ListingSummary.Kind
Key = tuple[str, str]


@dataclass(frozen=True)
class Tally:
    """A listing's number of live stories and the latest change among them."""

    count: int
    last_modified: datetime | None


def changed_at(story: StoryPage) -> datetime | None:
    """Return when a story last changed on the site (its last publish, else its first)."""
    changed: datetime | None = story.last_published_at or story.first_published_at
    return changed


def month_key(when: datetime, *, utc: bool = False) -> str:
    """Return the key of the month a moment falls in (site time zone, or UTC)."""
    local = when.astimezone(UTC) if utc else timezone.localtime(when)
    return f"{local.year:04d}-{local.month:02d}"


def listing_keys(story: StoryPage) -> list[Key]:
    """Return every listing a live story is in (people and tags prefetched or not)."""
    keys: list[Key] = [(Kind.SECTION, story.path[: -story.steplen])]
    keys += [(Kind.AUTHOR, str(pk)) for pk in {p.pk for p in byline_people(story)}]
    keys += [(Kind.TAG, str(tag.pk)) for tag in story_tags(story)]
    if story.first_published_at is not None:
        keys.append((Kind.MONTH, month_key(story.first_published_at)))
        keys.append((Kind.SITEMAP_MONTH, month_key(story.first_published_at, utc=True)))
    return keys


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    """Return the later of two moments, either of which may be missing."""
    if first is None or second is None:
        return first or second
    return max(first, second)


def summaries_from_stories(stories: Iterable[StoryPage]) -> dict[Key, Tally]:
    """Return the summary of every listing of ``stories`` (all the live ones)."""
    counts: dict[Key, int] = {}
    latest: dict[Key, datetime | None] = {}
    for story in stories:
        changed = changed_at(story)
        for key in listing_keys(story):
            counts[key] = counts.get(key, 0) + 1
            latest[key] = later(latest.get(key), changed)
    # The date archive's index shows only how many stories a month has.
    return {
        key: Tally(count, None if key[0] == Kind.MONTH else latest[key])
        for key, count in counts.items()
    }


def summaries_replace(tallies: Mapping[Key, Tally]) -> None:
    """Replace every summary with ``tallies`` and mark the summaries complete."""
    rows = [
        ListingSummary(
            kind=kind, key=key, count=tally.count, last_modified=tally.last_modified
        )
        for (kind, key), tally in tallies.items()
        if tally.count
    ]
    rows.append(ListingSummary(kind=Kind.COMPLETE, key=""))
    with transaction.atomic():
        ListingSummary.objects.all().delete()
        ListingSummary.objects.bulk_create(rows, batch_size=500)


def _ensure_complete() -> None:
    if not ListingSummary.objects.filter(kind=Kind.COMPLETE).exists():
        live = story_list_live().prefetch_related("tags")
        summaries_replace(summaries_from_stories(live.iterator(chunk_size=2000)))


def summary_get(kind: str, key: str) -> Tally | None:
    """Return one listing's summary, or None when it holds no live story."""
    _ensure_complete()
    row = ListingSummary.objects.filter(kind=kind, key=key).first()
    return None if row is None else Tally(row.count, row.last_modified)


def summary_lists(*kinds: str) -> dict[str, dict[str, Tally]]:
    """Return the summaries of every listing of some kinds that holds live stories,
    by kind and key."""
    _ensure_complete()
    found: dict[str, dict[str, Tally]] = {kind: {} for kind in kinds}
    rows = ListingSummary.objects.filter(kind__in=kinds).order_by("key")
    for kind, key, count, last_modified in rows.values_list(
        "kind", "key", "count", "last_modified"
    ):
        found[kind][key] = Tally(count, last_modified)
    return found


def summary_set(kind: str, key: str, tally: Tally) -> None:
    """Record a listing's summary; one holding no story loses its row."""
    if not tally.count:
        ListingSummary.objects.filter(kind=kind, key=key).delete()
        return
    row = ListingSummary(
        kind=kind, key=key, count=tally.count, last_modified=tally.last_modified
    )
    ListingSummary.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=("kind", "key"),
        update_fields=("count", "last_modified"),
    )
