"""The agency's actions on a story after review, in a real browser: a chief editor
schedules a story, corrects a live one and kills one, and each time the reader
site's output folder changes (or does not) as readers would see it.

The set-up is ``test_browser.py``'s, whose fixtures and helpers are used here:
pytest-django's ``live_server`` over the test database, whose after-commit
publisher writes the reader site into the test's output folder, driven by
Debian's Chromium through Playwright. Reader pages are read from that folder; the
live server answers only the addresses the folder has no file for (a killed
story's, with 410 Gone), as it does behind the production web server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, Response, expect
from wagtail.models import Revision

from newsdesk.stories.models import StoryPage
from newsdesk.stories.scheduling import scheduled_publishing_run
from newsdesk.stories.selectors import moment, public_path
from tests.conftest import Publish
from tests.newsroom.test_browser import (
    Watched,
    _app_configured,
    _code,
    _member,
    _output,
    _screenshot,
    _settle,
    _sign_in,
    _tab,
)

# The fixtures and marks of test_browser.py (a live server, committed data).
from tests.newsroom.test_browser import artefacts as artefacts
from tests.newsroom.test_browser import browser as browser
from tests.newsroom.test_browser import newsroom as newsroom
from tests.newsroom.test_browser import pytestmark as pytestmark

HEADLINE = "Kabul council approves the new water budget"
# How Wagtail's date and time fields take a value (WAGTAIL_DATETIME_FORMAT).
FIELD_TIME = "%Y-%m-%d %H:%M"
CORRECTION = "The budget is 12 million afghanis, not 12 billion."
REASON = "The agency could not confirm the council's vote with a second source."


def _signed_in(browser: Browser, newsroom: str, username: str, group: str) -> Watched:
    """A tab where a member of ``group``, with their authenticator app set up,
    has signed in with their password and a code."""
    key = _app_configured(_member(username, group))
    tab = _tab(browser)
    _sign_in(tab.page, newsroom, username)
    tab.page.wait_for_url(re.compile(r"/newsroom/two-factor/verify/"))
    tab.page.get_by_label("Code").fill(_code(key))
    tab.page.get_by_role("button", name="Continue").click()
    tab.page.wait_for_url(newsroom)
    return tab


def _chief(browser: Browser, newsroom: str) -> Watched:
    return _signed_in(browser, newsroom, "chief", "Chief editors")


def _edit(page: Page, newsroom: str, story: StoryPage) -> None:
    page.goto(f"{newsroom}pages/{story.pk}/edit/")
    _settle(page)


def _press_in_more_actions(
    page: Page, newsroom: str, story: StoryPage, action: str
) -> None:
    """Press an action of the page editor's "More actions" menu and wait for
    Wagtail to go back to the story's section, as it does after publishing."""
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=action, exact=True).click()
    page.wait_for_url(f"{newsroom}pages/{story.get_parent().pk}/")
    _settle(page)


def _reader_site(story: StoryPage) -> dict[str, bool]:
    """Where the story is on the reader site: its own page, the home page, the
    site's feed."""
    path = public_path(story)
    return {
        "page": _output(path).exists(),
        "home": path in _read(_output("/")),
        "feed": path in _feed(),
    }


def _read(file: Path) -> str:
    """A file of the output folder, or "" if the publisher has not written it."""
    return file.read_text(encoding="utf-8") if file.exists() else ""


def _feed() -> str:
    return _read(Path(settings.NEWSDESK_OUTPUT_DIR) / "rss.xml")


def _fill_time(field: Locator, value: datetime, *, away: Locator) -> None:
    """Type a time into one of Wagtail's date and time fields, then click
    ``away`` to close the calendar it opens, which can lie over the next button.

    The calendar opens a moment after the field has focus, so it is waited for
    first: a click before then would leave it to open after."""
    calendar = field.page.locator(".xdsoft_datetimepicker:visible")
    field.fill(value.strftime(FIELD_TIME))
    expect(calendar).to_have_count(1)
    away.click()
    expect(calendar).to_have_count(0)


EVERYWHERE = {"page": True, "home": True, "feed": True}
NOWHERE = {"page": False, "home": False, "feed": False}


def test_a_story_scheduled_in_the_editor_goes_live_when_its_time_comes(
    browser: Browser,
    newsroom: str,
    story_factory: Callable[..., StoryPage],
    artefacts: Path,
) -> None:
    # given: a draft story, and a chief editor in its page editor
    story = story_factory(title=HEADLINE)
    go_live = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    chief = _chief(browser, newsroom)
    page = chief.page
    _edit(page, newsroom, story)

    # when: they set a go-live time tomorrow in the status panel's schedule...
    page.locator('[data-side-panel-toggle="status"]').click()
    page.get_by_role("button", name="Set schedule").click()
    dialog = page.get_by_role("dialog", name="Set publishing schedule")
    _fill_time(
        dialog.get_by_label("Go live date/time"),
        timezone.localtime(go_live),
        away=dialog.get_by_role("heading", name="Set publishing schedule"),
    )
    with page.expect_navigation():
        dialog.get_by_role("button", name="Save schedule").click()
    _settle(page)
    _screenshot(page, artefacts, "story-schedule-saved")
    # ...and publish, which Wagtail now offers as a schedule
    _press_in_more_actions(page, newsroom, story, "Schedule to publish")

    # then: the revision waits for its time, and readers see nothing of it
    story.refresh_from_db()
    assert not story.live
    scheduled = Revision.page_revisions.get(
        object_id=str(story.pk), approved_go_live_at__isnull=False
    )
    assert scheduled.approved_go_live_at == go_live
    assert _reader_site(story) == NOWHERE
    # and the job that publishes what is due leaves it alone until then
    assert scheduled_publishing_run() == 0
    assert _reader_site(story) == NOWHERE

    # when: its time has come and the job runs
    with time_machine.travel(go_live + timedelta(seconds=30), tick=False):
        assert scheduled_publishing_run() == 1

    # then: it is live, on its own page, the home page and the feed
    story.refresh_from_db()
    assert story.live
    assert _reader_site(story) == EVERYWHERE
    assert HEADLINE in _output(public_path(story)).read_text(encoding="utf-8")
    assert chief.failures() == []


def test_a_correction_added_in_the_editor_is_on_the_story_and_the_corrections_page(
    browser: Browser, newsroom: str, publish: Publish, artefacts: Path
) -> None:
    # given: a live story without corrections, and a chief editor in its editor
    story = publish(title=HEADLINE)
    path = public_path(story)
    assert CORRECTION not in _output(path).read_text(encoding="utf-8")
    chief = _chief(browser, newsroom)
    page = chief.page
    _edit(page, newsroom, story)
    made = timezone.localtime().replace(second=0, microsecond=0)

    # when: they add a correction, dated and with its note, and publish
    page.get_by_role("button", name="Add correction").click()
    corrections = page.locator("#panel-child-content-corrections-section")
    _fill_time(
        corrections.get_by_label("Date"),
        made,
        away=corrections.get_by_text("A dated note on what was wrong"),
    )
    corrections.get_by_label("Note").fill(CORRECTION)
    _screenshot(page, artefacts, "story-correction")
    _press_in_more_actions(page, newsroom, story, "Publish")

    # then: the story's page shows the dated correction...
    story.refresh_from_db()
    assert [(c.note, c.published_at) for c in story.corrections.all()] == [
        (CORRECTION, made)
    ]
    when = moment(made)
    assert when is not None
    aside = re.search(
        r'<aside class="corrections".*?</aside>', _read(_output(path)), re.S
    )
    assert aside is not None, "no corrections on the story's page"
    assert (
        f'<li><time datetime="{when.iso}">{when.display}</time>: {CORRECTION}</li>'
        in aside.group()
    )
    # ...and the corrections page lists it, linking to the story
    listing = _output("/corrections/").read_text(encoding="utf-8")
    assert CORRECTION in listing
    assert f'href="{path}"' in listing
    assert chief.failures() == []


def _first_answer(response: Response) -> tuple[str, int]:
    """The address first asked for and its answer, before any redirect."""
    request = response.request
    while request.redirected_from is not None:
        request = request.redirected_from
    first = request.response()
    assert first is not None
    return request.url, first.status


def _kill_button(page: Page) -> int:
    """Open the editor header's actions menu; return how many "Kill" items it has."""
    header = page.get_by_role("navigation", name="Actions", exact=True)
    header.get_by_role("button", name="Actions", exact=True).click()
    header.get_by_role("link", name="History").wait_for()
    return page.get_by_role("link", name="Kill (withdraw)").count()


def test_a_chief_editor_kills_a_story_and_its_address_says_why(
    browser: Browser, newsroom: str, publish: Publish, artefacts: Path
) -> None:
    # given: a live story, on its page, the home page and the feed
    story = publish(title=HEADLINE)
    path = public_path(story)
    assert _reader_site(story) == EVERYWHERE
    chief = _chief(browser, newsroom)
    page = chief.page
    _edit(page, newsroom, story)

    # when: a chief editor chooses Kill in the editor, gives a reason, confirms
    assert _kill_button(page) == 1
    page.get_by_role("link", name="Kill (withdraw)").click()
    page.wait_for_url(f"{newsroom}stories/{story.pk}/kill/")
    _settle(page)
    _screenshot(page, artefacts, "story-kill")
    # the confirmation names the story being killed
    assert page.get_by_role("heading", name=HEADLINE, exact=True).count() == 1
    assert page.locator("nav[aria-label=Breadcrumb]").get_by_text(HEADLINE).count() == 1
    page.get_by_label("Why is it withdrawn?").fill(REASON)
    page.get_by_role("button", name="Kill the story").click()

    # then: back in the editor, told it is done
    page.wait_for_url(f"{newsroom}pages/{story.pk}/edit/")
    page.locator(".messages").get_by_text("Killed:").wait_for()
    _settle(page)
    story.refresh_from_db()
    assert not story.live
    assert story.killed_path == path
    # and the story has left the reader site...
    assert _reader_site(story) == NOWHERE
    assert HEADLINE not in _output("/").read_text(encoding="utf-8")
    assert HEADLINE not in _feed()
    # ...its address answering 410 Gone with the reason
    reader = _tab(browser).page
    gone = reader.goto(newsroom.removesuffix("/newsroom/") + path)
    assert gone is not None
    assert gone.status == 410
    assert reader.get_by_role("heading", name="This story was withdrawn").count() == 1
    assert reader.get_by_text(REASON).count() == 1
    assert chief.failures() == []


def test_a_desk_editor_is_not_offered_kill_and_is_refused_it(
    browser: Browser, newsroom: str, publish: Publish
) -> None:
    # given: a live story a desk editor may edit
    story = publish(title=HEADLINE)
    desk = _signed_in(browser, newsroom, "desk", "Desk editors")
    page = desk.page
    _edit(page, newsroom, story)
    assert page.locator("#id_title").is_editable()

    # then: the editor's actions have no Kill...
    assert _kill_button(page) == 0
    # ...and the kill page, asked for by its address, is refused: the newsroom
    # sends them back to the dashboard with Wagtail's "no permission" message
    kill = f"{newsroom}stories/{story.pk}/kill/"
    shown = page.goto(kill)
    assert shown is not None
    assert _first_answer(shown) == (kill, 302)
    assert page.url == newsroom
    page.locator(".messages").get_by_text("you do not have permission").wait_for()
    assert page.get_by_label("Why is it withdrawn?").count() == 0
    # ...as is the kill itself, posted with their valid form token
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    posted = page.request.post(
        kill, form={"csrfmiddlewaretoken": token, "reason": REASON}, max_redirects=0
    )
    assert (posted.status, posted.headers["location"]) == (302, "/newsroom/")
    # and the story stays on the reader site
    story.refresh_from_db()
    assert story.live
    assert story.killed_at is None
    assert _reader_site(story) == EVERYWHERE
    assert desk.failures() == []
