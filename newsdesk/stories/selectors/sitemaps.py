"""Named reads for the sitemaps: stories by month, last changes by section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, Max, QuerySet
from django.db.models.functions import Coalesce, Length, Substr, TruncMonth

from ..models import (
    StoryPage,
)

SITEMAP_FIELDS = (
    "title",
    "url_path",
    "language",
    "first_published_at",
    "last_published_at",
)


@dataclass(frozen=True)
class StoryMonth:
    """A month (UTC) of live stories: its first moment, how many, their last change."""

    start: datetime
    count: int
    last_modified: datetime


def story_list_for_sitemap(
    *, published_from: datetime, published_before: datetime | None = None
) -> QuerySet[StoryPage]:
    """Return live stories first published in a span, oldest first, sitemap fields only."""
    stories: QuerySet[StoryPage] = StoryPage.objects.live().filter(
        first_published_at__gte=published_from
    )
    if published_before is not None:
        stories = stories.filter(first_published_at__lt=published_before)
    return stories.order_by("first_published_at", "id").only(*SITEMAP_FIELDS)


def story_month_list() -> list[StoryMonth]:
    """Return every month (UTC) with live stories first published in it, oldest first."""
    rows = (
        StoryPage.objects.live()
        .filter(first_published_at__isnull=False)
        .annotate(month=TruncMonth("first_published_at", tzinfo=UTC))
        .values("month")
        .annotate(
            count=Count("id"),
            last_modified=Max(Coalesce("last_published_at", "first_published_at")),
        )
        .order_by("month")
    )
    return [
        StoryMonth(
            start=row["month"], count=row["count"], last_modified=row["last_modified"]
        )
        for row in rows
    ]


def story_last_modified_by_section() -> dict[str, datetime]:
    """Return when a live story of each section last changed, by section tree path."""
    rows = (
        StoryPage.objects.live()
        .annotate(parent=Substr("path", 1, Length("path") - StoryPage.steplen))
        .values("parent")
        .annotate(
            last_modified=Max(Coalesce("last_published_at", "first_published_at"))
        )
        .order_by()
    )
    return {
        row["parent"]: row["last_modified"]
        for row in rows
        if row["last_modified"] is not None
    }
