"""Editing a Dari story in a real browser: the headline, dateline, credits and each
paragraph of the body run right to left as they are typed, and what was typed is
saved as it was.

The set-up is ``test_browser.py``'s (a live server over the test database, Debian's
Chromium through Playwright), whose fixtures and helpers are used here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Locator, expect

from newsdesk.stories.models import StoryPage
from tests.newsroom.test_browser import _screenshot, _settle

# The fixtures and marks of test_browser.py (a live server, committed data).
from tests.newsroom.test_browser import artefacts as artefacts
from tests.newsroom.test_browser import browser as browser
from tests.newsroom.test_browser import newsroom as newsroom
from tests.newsroom.test_browser import pytestmark as pytestmark
from tests.newsroom.test_browser_publishing import _chief, _edit

HEADLINE = "سیلاب در ولایت ننگرهار خانه‌ها را ویران کرد"  # noqa: RUF001 (Dari)
DATELINE = "جلال‌آباد"
CREDIT = "عکس: فرزانه احمدی"
PARAGRAPH = "آب دریای کابل شب گذشته از کناره‌ها بالا آمد."  # noqa: RUF001 (Dari)
ENGLISH = "UN figures, 12 March."


def _runs_right_to_left(field: Locator) -> bool:
    """Whether the browser lays out the element right to left (its resolved
    direction, as ``dir="auto"`` or the editor's own per-paragraph detection set it)."""
    direction: str = field.evaluate("el => getComputedStyle(el).direction")
    return direction == "rtl"


def test_a_dari_story_is_edited_right_to_left(
    browser: Browser,
    newsroom: str,
    story_factory: Callable[..., StoryPage],
    artefacts: Path,
) -> None:
    # given: a Dari story in the page editor
    story = story_factory(title="Draft", language="prs")
    chief = _chief(browser, newsroom)
    page = chief.page
    _edit(page, newsroom, story)

    # when: the editor types Dari into the headline, dateline and credits, and a
    # Dari paragraph then a line in English into the body
    fields = {
        "title": HEADLINE,
        "dateline": DATELINE,
        "lead_image_credit": CREDIT,
        "source_credit": CREDIT,
    }
    for name, text in fields.items():
        page.locator(f'[name="{name}"]').fill(text)
    body = page.locator('[data-contentpath="body"] [contenteditable="true"]')
    body.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.type(PARAGRAPH)
    page.keyboard.press("Enter")
    page.keyboard.type(ENGLISH)

    # then: each Dari field runs right to left; the body's paragraphs each take
    # their own direction
    for name in fields:
        assert _runs_right_to_left(page.locator(f'[name="{name}"]')), name
    blocks = body.locator("[data-block] > div")
    expect(blocks).to_have_count(2)
    assert _runs_right_to_left(blocks.nth(0))
    assert not _runs_right_to_left(blocks.nth(1))
    _screenshot(page, artefacts, "dari-story-editor")

    # when: they save the draft (once the body's editor has written what was typed
    # into the form, which it does a quarter of a second after typing stops)
    expect(page.locator('input[name="body"]')).to_have_value(
        re.compile(re.escape(ENGLISH))
    )
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"{newsroom}pages/{story.pk}/edit/")
    _settle(page)

    # then: the draft holds what was typed, letter for letter
    draft = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    assert draft.title == HEADLINE
    assert draft.dateline == DATELINE
    assert draft.lead_image_credit == CREDIT
    assert draft.source_credit == CREDIT
    assert PARAGRAPH in draft.body
    assert ENGLISH in draft.body
    assert chief.failures() == []
