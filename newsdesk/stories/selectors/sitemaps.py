"""Named reads for the sitemaps: a month's stories."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from ..models import StoryPage
from .lists import oldest_first

SITEMAP_FIELDS = (
    "title",
    "url_path",
    "language",
    "first_published_at",
    "last_published_at",
)


def story_list_for_sitemap(
    *, published_from: datetime, published_before: datetime | None = None
) -> QuerySet[StoryPage]:
    """Return live stories first published in a span, oldest first, sitemap fields only."""
    stories: QuerySet[StoryPage] = StoryPage.objects.live().filter(
        first_published_at__gte=published_from
    )
    if published_before is not None:
        stories = stories.filter(first_published_at__lt=published_before)
    return stories.order_by(*oldest_first()).only(*SITEMAP_FIELDS)
