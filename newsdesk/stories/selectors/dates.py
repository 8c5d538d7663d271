"""The date archive: every month with stories, each month's days, each day's stories.

Days are the site's time zone's days. A day's stories are listed oldest first and
cut into numbered pages from the oldest, so a story published today changes only
the last page of today, its month page and the archive's index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.html import format_html_join

from ..models import SectionPage, StoryPage
from .common import (
    DATE_ARCHIVE_PATH,
    ArchivePage,
    SectionLink,
    SiteInfo,
    day_path,
    month_name,
    month_path,
)
from .fronts import _page_context
from .lists import (
    _authors_prefetch,
    _live_stories,
    archive_page_count,
    oldest_first,
    teasers,
)


@dataclass(frozen=True)
class MonthCount:
    """A month with live stories first published in it (site time zone)."""

    year: int
    month: int
    count: int
    name: str
    path: str


@dataclass(frozen=True)
class DayCount:
    """A day with live stories first published on it (site time zone)."""

    day: date
    count: int
    name: str
    path: str


def _month_name(year: int, month: int) -> str:
    return f"{month_name(month)} {year}"


def _day_name(day: date) -> str:
    return f"{day.day} {month_name(day.month)} {day.year}"


def day_page_path(day: date, number: int) -> str:
    """Return the reader path of page ``number`` of a day (1 = the day's own path)."""
    return day_path(day) if number == 1 else f"{day_path(day)}{number}/"


def _day_span(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end


def month_count(year: int, month: int, count: int) -> MonthCount:
    """Return a month of the date archive's index, with its number of stories."""
    return MonthCount(
        year=year,
        month=month,
        count=count,
        name=_month_name(year, month),
        path=month_path(year, month),
    )


def story_day_counts(year: int, month: int) -> list[DayCount]:
    """Return the days of a month with live stories, oldest first, with how many."""
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    start, _ = _day_span(first)
    end, _ = _day_span(after)
    rows = (
        _live_stories()
        .filter(first_published_at__gte=start, first_published_at__lt=end)
        .annotate(
            day=TruncDay("first_published_at", tzinfo=timezone.get_current_timezone())
        )
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )
    return [
        DayCount(
            day=row["day"].date(),
            count=row["count"],
            name=_day_name(row["day"].date()),
            path=day_path(row["day"].date()),
        )
        for row in rows
    ]


def story_list_live_on_day(day: date) -> QuerySet[StoryPage]:
    """Return the live stories first published on a day, oldest first."""
    start, end = _day_span(day)
    return (
        _live_stories()
        .filter(first_published_at__gte=start, first_published_at__lt=end)
        .order_by(*oldest_first())
        .prefetch_related(_authors_prefetch())
    )


def date_archive_context(
    *, site: SiteInfo, months: Sequence[MonthCount]
) -> dict[str, Any]:
    """Return what the archive's index shows: every month with stories (``months``,
    newest first), by year."""
    years: dict[int, list[MonthCount]] = {}
    for month in months:
        years.setdefault(month.year, []).append(month)
    # Each year's list is built here rather than by a template loop: the index
    # lists every month of the archive and is rewritten on every publish (1,376
    # months at 55,000 stories cost 25 ms through the template engine).
    listed = [
        (
            year,
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>\n',
                ((m.path, m.name, m.count) for m in in_year),
            ),
        )
        for year, in_year in years.items()
    ]
    context = _page_context(
        site=site,
        path=DATE_ARCHIVE_PATH,
        title=f"Archive by date — {site.name}",
        description=f"Every story {site.name} has published, by month.",
    )
    context["years"] = listed
    return context


def month_archive_context(
    year: int,
    month: int,
    *,
    site: SiteInfo,
    days: Sequence[DayCount] | None = None,
) -> dict[str, Any]:
    """Return what a month's archive page shows: its days with stories."""
    if days is None:
        days = story_day_counts(year, month)
    name = _month_name(year, month)
    context = _page_context(
        site=site,
        path=month_path(year, month),
        title=f"{name} — {site.name}",
        description=f"Stories {site.name} published in {name}.",
    )
    context.update(
        {
            "month_name": name,
            "days": days,
            "index_link": SectionLink("Archive by date", DATE_ARCHIVE_PATH),
        }
    )
    return context


def day_archive_context(
    day: date,
    *,
    number: int = 1,
    site: SiteInfo,
    stories: Sequence[StoryPage] | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what page ``number`` of a day's archive shows (1 = its oldest stories).

    ``stories``, if given, are all the day's live stories oldest first (as
    ``story_list_live_on_day()`` returns them), saving the queries.
    """
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    start, stop = (number - 1) * size, number * size
    if stories is None:
        on_day = story_list_live_on_day(day)
        total = on_day.count()
        page_stories = list(on_day[start:stop])
    else:
        total = len(stories)
        page_stories = list(stories[start:stop])
    last = max(archive_page_count(total=total), 1)
    name = _day_name(day)
    title = name if number == 1 else f"{name}, page {number}"
    context = _page_context(
        site=site,
        path=day_page_path(day, number),
        title=f"{title} — {site.name}",
        description=f"Stories {site.name} published on {name}.",
    )
    context.update(
        {
            "day_name": name,
            "number": number,
            "last_number": last,
            "stories": teasers(page_stories, sections=sections),
            "earlier": (
                ArchivePage(number - 1, day_page_path(day, number - 1))
                if number > 1
                else None
            ),
            "later": (
                ArchivePage(number + 1, day_page_path(day, number + 1))
                if number < last
                else None
            ),
            "month_link": SectionLink(
                _month_name(day.year, day.month), month_path(day.year, day.month)
            ),
        }
    )
    return context
