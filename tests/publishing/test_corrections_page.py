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
