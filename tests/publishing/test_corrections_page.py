"""The corrections page lists every correction to a live story, newest first, and
is rewritten as stories are published and taken down."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from newsdesk.stories.models import Correction

from .conftest import output_files, read


def test_the_corrections_page_lists_them_newest_first(
    publish: Any, unpublish: Any, django_capture_on_commit_callbacks: Any
) -> None:
    older = publish(title="Dam inspection finds cracks")
    older.corrections.add(
        Correction(
            note="The dam is in Kajaki, not Kandahar.",
            published_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        )
    )
    older.save_revision().publish()
    newer = publish(title="Council approves budget")
    newer.corrections.add(
        Correction(
            note="The budget is 12 million afghanis, not 12 billion.",
            published_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        newer.save_revision().publish()

    assert "corrections/index.html" in output_files()
    page = read("corrections/index.html")
    assert page.index("12 million afghanis") < page.index("Kajaki, not Kandahar")
    assert f'href="/world/{newer.slug}/"' in page
    # every page links it
    assert 'href="/corrections/"' in read("index.html")

    # a story taken down takes its corrections with it
    unpublish(newer)
    assert "12 million afghanis" not in read("corrections/index.html")
    assert "Kajaki, not Kandahar" in read("corrections/index.html")


def test_corrections_beyond_a_page_are_on_older_pages_and_go_with_their_story(
    publish: Any,
    unpublish: Any,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: two corrections a page, and five corrections on two stories
    from newsdesk.stories.selectors import fronts

    monkeypatch.setattr(fronts, "CORRECTIONS_PER_PAGE", 2)
    first = publish(title="Dam inspection finds cracks")
    for day in (1, 2, 3):
        first.corrections.add(
            Correction(
                note=f"Correction of day {day}.",
                published_at=datetime(2026, 11, day, 9, 0, tzinfo=UTC),
            )
        )
    with django_capture_on_commit_callbacks(execute=True):
        first.save_revision().publish()
    second = publish(title="Council approves budget")
    for day in (4, 5):
        second.corrections.add(
            Correction(
                note=f"Correction of day {day}.",
                published_at=datetime(2026, 11, day, 9, 0, tzinfo=UTC),
            )
        )
    with django_capture_on_commit_callbacks(execute=True):
        second.save_revision().publish()

    # then: every one is listed, newest first, over three linked pages
    pages = [
        read("corrections/index.html"),
        read("corrections/archive/2/index.html"),
        read("corrections/archive/3/index.html"),
    ]
    listed = [day for page in pages for day in range(5, 0, -1) if f"day {day}." in page]
    assert listed == [5, 4, 3, 2, 1]
    assert "day 3." not in pages[0]
    assert 'href="/corrections/archive/2/" rel="next"' in pages[0]
    assert 'href="/corrections/" rel="prev"' in pages[1]
    assert 'href="/corrections/archive/3/" rel="next"' in pages[1]
    assert "Older corrections" not in pages[2]
    assert "page 3 of 3" in pages[2]

    # when: the story with three is taken down, the pages shrink to one
    unpublish(first)
    assert "corrections/archive/2/index.html" not in output_files()
    assert "corrections/archive/3/index.html" not in output_files()
    only = read("corrections/index.html")
    assert "day 5." in only
    assert "day 4." in only
    assert "day 1." not in only
    assert "Older corrections" not in only
