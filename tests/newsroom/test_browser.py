"""The newsroom in a real browser: editors sign in with two factors, take an opinion
piece from the incoming queue, and it reaches readers after its two approvals; the
main newsroom pages pass axe-core.

The app is pytest-django's ``live_server``: a thread of this process over the test
database, whose after-commit publisher writes the reader site into the test's output
folder. It serves Wagtail's own CSS and JavaScript from the apps' static folders
(Django's StaticFilesHandler, which live_server uses when staticfiles is installed),
so nothing is collected first. Debian's Chromium drives it through Playwright, and
axe-core is injected from ``tools/quality`` (``make quality-tools``). Scheduled
publishing, corrections and kills are driven in ``test_browser_publishing.py``.
Screenshots of the dashboard and the incoming queue are kept in
``test-artifacts/newsroom/`` (or the folder NEWSDESK_TEST_ARTIFACTS names).
"""

from __future__ import annotations

import os
import re
import shutil
from base64 import b32decode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, Response, sync_playwright
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Submission
from newsdesk.contributions.services import submission_accept, submission_receive
from newsdesk.stories.models import SectionPage, StoryPage
from newsdesk.stories.selectors import public_path
from tests.contributions.test_services import parsed
from tests.publishing.test_quality import AXE, CHROMIUM, CHROMIUM_ARGS, require

# Transactional: the live server's thread sees only what is committed. The rollback
# is serialised so the migrations' groups, workflows and home page come back for
# the tests after these.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password"
OPINION_REVIEW = "Opinion review: desk, then chief editor"
SUBMITTED = "Opinion: The dams we never built"
EDITED = "The dams we should have built"


@pytest.fixture
def newsroom(
    live_server: LiveServer,
    settings: SettingsWrapper,
    end_stray_database_sessions: None,
) -> str:
    """The newsroom's address, with two-factor sign-in on as in production.

    By address, not "localhost": Chromium here resolves no host names at all."""
    settings.NEWSDESK_TWO_FACTOR_REQUIRED = True
    return f"http://127.0.0.1:{live_server.thread.port}/newsroom/"


@pytest.fixture
def browser(newsroom: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """Chromium, closed before the database is flushed.

    Playwright's sync API keeps an event loop in this thread, so Django would refuse
    the ORM calls made between browser steps; they run while the browser waits, in
    this one thread, which is the case DJANGO_ALLOW_ASYNC_UNSAFE is for."""
    require(CHROMIUM, "Debian's chromium")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def submission(db: None) -> Submission:
    """An opinion piece from a contributor, waiting in the incoming queue."""
    return submission_receive(
        parsed=parsed(
            message_id="<opinion-1@writers.example>",
            subject=SUBMITTED,
            body_html="<p>Every dry summer we talk about dams.</p>",
            body_text="Every dry summer we talk about dams.",
        ),
        raw=None,
    )


@pytest.fixture
def artefacts(tmp_path: Path) -> Iterator[Path]:
    """A folder for screenshots; copied after the test to ``test-artifacts/newsroom``
    in the repository, or to NEWSDESK_TEST_ARTIFACTS (relative to the repository)
    when that is set, so a run's pictures outlive its temporary folders."""
    folder = tmp_path / "artefacts"
    folder.mkdir()
    yield folder
    keep = os.environ.get("NEWSDESK_TEST_ARTIFACTS") or "test-artifacts/newsroom"
    shutil.copytree(folder, Path(settings.BASE_DIR) / keep, dirs_exist_ok=True)


def _member(username: str, group: str) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@news.example", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def _app_configured(user: User) -> bytes:
    """Give the user a confirmed authenticator app; return its secret key."""
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    key: bytes = device.bin_key
    return key


def _code(key: bytes) -> str:
    """The six digits an authenticator app shows for this key now."""
    return f"{totp(key, t0=0, step=30, digits=6):06d}"


class Watched:
    """A browser tab, with every response the newsroom sent it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.responses: list[tuple[int, str]] = []
        # Wagtail's autosave posts the form every half second as the editor types;
        # a form caught half filled in (a correction's date, not yet its note) is
        # answered 400 and kept as it is, without the editor seeing anything.
        self.autosaves_refused: list[str] = []
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        request = response.request
        if (
            response.status == 400
            and request.method == "POST"
            and request.resource_type in {"fetch", "xhr"}
            and "application/json" in (request.headers.get("accept") or "")
        ):
            self.autosaves_refused.append(response.url)
            return
        self.responses.append((response.status, response.url))

    def failures(self) -> list[tuple[int, str]]:
        """Every answer of 400 or more the editor would have met."""
        return [(status, url) for status, url in self.responses if status >= 400]

    def served(self, path: str) -> bool:
        return any(status == 200 and path in url for status, url in self.responses)


def _tab(browser: Browser) -> Watched:
    """A new tab with its own cookies (one per newsroom user)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return Watched(context.new_page())


def _sign_in(page: Page, newsroom: str, username: str) -> None:
    """Sign in through the newsroom's form with the password (the first factor)."""
    page.goto(newsroom + "login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _settle(page: Page) -> None:
    """Wait until the page and its requests are done: the live server shares the
    test's in-memory SQLite connection, so the test reads the database only then."""
    page.wait_for_load_state("networkidle")


def _screenshot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _output(reader_path: str) -> Path:
    return Path(settings.NEWSDESK_OUTPUT_DIR) / reader_path.strip("/") / "index.html"


def _story_of(submission: Submission) -> StoryPage:
    submission.refresh_from_db()
    story: StoryPage = StoryPage.objects.get(pk=submission.story_id)
    return story


def _approve_in_editor(
    page: Page, newsroom: str, story: StoryPage, action: str
) -> None:
    """Open the story in the page editor and approve its current review step
    (Wagtail says "Approve and Publish" on the last)."""
    page.goto(f"{newsroom}pages/{story.pk}/edit/")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=action, exact=True).click()
    page.wait_for_url(f"{newsroom}pages/{story.get_parent().pk}/")
    _settle(page)


def test_an_opinion_piece_goes_from_the_queue_through_two_approvals_to_readers(
    browser: Browser,
    newsroom: str,
    opinion: SectionPage,
    submission: Submission,
    artefacts: Path,
) -> None:
    # given: a desk editor signing in for the first time, a chief editor who has
    # set up their app, and an opinion piece in the queue
    _member("desk", "Desk editors")
    chief_key = _app_configured(_member("chief", "Chief editors"))
    desk = _tab(browser)
    page = desk.page

    # when: the desk editor signs in with the password and sets up their app
    _sign_in(page, newsroom, "desk")
    page.wait_for_url(re.compile(r"/newsroom/two-factor/setup/"))
    secret = page.locator(".two-factor-secret").inner_text()
    page.get_by_label("Code").fill(_code(b32decode(secret)))
    page.get_by_role("button", name="Confirm").click()
    # then: the recovery codes, once, and on into the newsroom
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(set(codes)) == 10
    page.get_by_role("link", name="Continue to the newsroom").click()
    page.wait_for_url(newsroom)
    _settle(page)
    _screenshot(page, artefacts, "newsroom-dashboard")

    # when: they open the queue and the submission, and accept it into Opinion
    page.get_by_role("link", name="Incoming").first.click()
    page.get_by_role("link", name=SUBMITTED).wait_for()
    _settle(page)
    _screenshot(page, artefacts, "newsroom-incoming")
    page.get_by_role("link", name=SUBMITTED).click()
    page.get_by_label("Section").select_option(label="Opinion")
    assert page.get_by_label("Kind").input_value() == StoryPage.Kind.OPINION
    page.get_by_role("button", name="Accept as a draft story").click()

    # then: they are in the page editor of a draft, which readers do not see
    page.wait_for_url(re.compile(r"/newsroom/pages/\d+/edit/$"))
    _settle(page)
    story = _story_of(submission)
    assert page.url == f"{newsroom}pages/{story.pk}/edit/"
    assert page.locator("#id_title").input_value() == SUBMITTED
    assert not _output(public_path(story)).exists()

    # when: they change the headline and submit the piece for its review
    page.locator("#id_title").fill(EDITED)
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=f"Submit to {OPINION_REVIEW}").click()
    page.wait_for_url(f"{newsroom}pages/{opinion.pk}/")
    page.locator(".messages").get_by_text(
        "has been submitted for moderation"
    ).wait_for()

    # and: give it the desk's approval, the first of two
    _approve_in_editor(page, newsroom, story, "Approve")

    # then: it still waits for the chief editor; readers see nothing
    story.refresh_from_db()
    assert not story.live
    assert story.current_workflow_task is not None
    assert story.current_workflow_task.name == "Chief editor approval"
    assert not _output(public_path(story)).exists()
    assert EDITED not in _output("/").read_text(encoding="utf-8")

    # when: the chief editor signs in with a code from their app and approves
    chief = _tab(browser)
    _sign_in(chief.page, newsroom, "chief")
    chief.page.wait_for_url(re.compile(r"/newsroom/two-factor/verify/"))
    chief.page.get_by_label("Code").fill(_code(chief_key))
    chief.page.get_by_role("button", name="Continue").click()
    chief.page.wait_for_url(newsroom)
    _approve_in_editor(chief.page, newsroom, story, "Approve and Publish")

    # then: the story is live with its new headline, and on the home page
    story.refresh_from_db()
    assert story.live
    assert story.title == EDITED
    assert EDITED in _output(public_path(story)).read_text(encoding="utf-8")
    home = _output("/").read_text(encoding="utf-8")
    assert EDITED in home
    assert public_path(story) in home
    # Wagtail's CSS and JavaScript were served (its sidebar and menus worked),
    # and nothing failed
    assert desk.served("/static/wagtailadmin/css/core.css")
    assert desk.served("/static/wagtailadmin/js/wagtailadmin.js")
    assert desk.failures() + chief.failures() == []
    assert {p.name for p in artefacts.iterdir()} == {
        "newsroom-dashboard.png",
        "newsroom-incoming.png",
    }


# Serious violations in Wagtail's own widgets that our code cannot fix, each left
# out for one page and within one field only, never for the whole page: none now.
# (The body's Draftail box and the tag input had no accessible name, wagtail/wagtail
# #14205; stories/static/stories/editor_labels.js names them after their labels.)
WAGTAIL_VIOLATIONS: dict[str, list[tuple[str, str]]] = {}
AXE_SERIOUS = """async (allowed) => {
    const {violations} = await axe.run(document);
    const known = (id, node) => allowed.some(([rule, scope]) =>
        rule === id && document.querySelector(node.target[0])?.closest(scope));
    return violations
        .filter(v => ["serious", "critical"].includes(v.impact))
        .map(v => ({id: v.id, impact: v.impact,
                    nodes: v.nodes.filter(n => !known(v.id, n)).map(n => n.target.join(" "))}))
        .filter(v => v.nodes.length);
}"""


def _axe_problems(page: Page, allowed: list[tuple[str, str]]) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, each
    with the elements it found, leaving out those ``allowed`` (rule id, and the
    part of the page it is allowed in)."""
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        AXE_SERIOUS, [list(pair) for pair in allowed]
    )
    return [f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}" for v in violations]


def test_the_newsrooms_main_pages_have_no_serious_accessibility_violations(
    browser: Browser,
    newsroom: str,
    opinion: SectionPage,
    submission: Submission,
) -> None:
    # given: a story accepted from one submission and another waiting; a desk
    # editor new to the newsroom and a chief editor who has set up their app
    _member("desk", "Desk editors")
    chief = _member("chief", "Chief editors")
    key = _app_configured(chief)
    accepted = submission_receive(
        parsed=parsed(message_id="<opinion-2@writers.example>"), raw=None
    )
    story = submission_accept(submission=accepted, section=opinion, by=chief)
    found: dict[str, list[str]] = {}

    def check(page: Page, name: str) -> None:
        _settle(page)
        problems = _axe_problems(page, WAGTAIL_VIOLATIONS.get(name, []))
        if problems:
            found[name] = problems

    # when: axe-core looks at each page on the way: the two-factor pages...
    verify = _tab(browser)
    _sign_in(verify.page, newsroom, "chief")
    verify.page.wait_for_url(re.compile(r"/newsroom/two-factor/verify/"))
    check(verify.page, "two-factor verify")
    verify.page.get_by_label("Code").fill(_code(key))
    verify.page.get_by_role("button", name="Continue").click()
    verify.page.wait_for_url(newsroom)
    desk = _tab(browser)
    page = desk.page
    _sign_in(page, newsroom, "desk")
    page.wait_for_url(re.compile(r"/newsroom/two-factor/setup/"))
    check(page, "two-factor setup")
    secret = page.locator(".two-factor-secret").inner_text()
    page.get_by_label("Code").fill(_code(b32decode(secret)))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    check(page, "recovery codes")
    # ...and the newsroom's main pages
    for name, path in [
        ("dashboard", ""),
        ("incoming", "submissions/"),
        ("submission", f"submissions/{submission.pk}/"),
        ("page editor", f"pages/{story.pk}/edit/"),
        ("contributors", "snippets/contributions/contributor/"),
        ("two-factor settings", "two-factor/recovery-codes/"),
    ]:
        page.goto(newsroom + path)
        check(page, name)
    # ...and the chief editor's: the story's history, its kill page, partners and
    # the delivery log
    for name, path in [
        ("story history", f"pages/{story.pk}/history/"),
        ("kill", f"stories/{story.pk}/kill/"),
        ("partners", "partners/"),
        ("partner form", "partners/add/"),
        ("partner deliveries", "partner-deliveries/"),
    ]:
        response = verify.page.goto(newsroom + path)
        assert response is not None
        assert response.status == 200, name
        check(verify.page, name)

    # then: none has a serious or critical violation
    assert found == {}
    assert verify.failures() + desk.failures() == []


def test_the_two_factor_pages_load_the_newsrooms_icons_and_translations(
    browser: Browser, newsroom: str
) -> None:
    _member("desk", "Desk editors")
    tab = _tab(browser)
    page = tab.page

    _sign_in(page, newsroom, "desk")
    page.wait_for_url(re.compile(r"/newsroom/two-factor/setup/"))
    _settle(page)
    secrets = page.locator(".two-factor-secret").all_inner_texts()
    subresources = [
        (status, url)
        for status, url in tab.responses
        if "/newsroom/sprite/" in url or "/newsroom/jsi18n/" in url
    ]

    assert subresources
    assert all(status == 200 for status, _ in subresources)
    assert len(secrets) == 1
    page.get_by_label("Code").fill(_code(b32decode(secrets[0])))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for(timeout=5000)
