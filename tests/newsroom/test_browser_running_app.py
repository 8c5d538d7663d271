"""The newsroom in a real browser against the running app: ``newsdesk start`` (the
web server, the SMTP receiver and the worker as their own processes) over a fresh
database. A contributor emails a story; a chief editor signs in with a code from
their app, accepts it from the queue, publishes it and later kills it; readers
fetch each result from the same server.

The other browser tests drive pytest-django's live server (a thread of the test
process) so they can set up data directly; this one sets up through the
``newsdesk`` commands only, as an operator would.
"""

from __future__ import annotations

import html
import json
import re
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, sync_playwright

from tests.publishing.test_quality import CHROMIUM, CHROMIUM_ARGS, require
from tests.test_end_to_end import database_url as database_url
from tests.test_end_to_end import environment as environment
from tests.test_end_to_end import fetch, newsdesk, wait_for_port

pytestmark = pytest.mark.e2e

HEADLINE = "Floodwater reaches the old city"
SLUG = "floodwater-reaches-the-old-city"
PASSWORD = "a-long-test-password"
REASON = "The agency could not confirm the flood's extent with a second source."

# Run in the app's own shell: a chief editor with a confirmed authenticator app;
# prints the app's secret key (hex).
CHIEF = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from newsdesk.accounts.models import User
user = User.objects.create_user("chief", "chief@news.example", "{PASSWORD}")
user.groups.add(Group.objects.get(name="Chief editors"))
print("key:", TOTPDevice.objects.create(user=user, name="Phone", confirmed=True).key)
"""


@pytest.fixture
def running(environment: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """``newsdesk start`` on free loopback ports, with demo sections; yields the
    site's address and the environment its commands run in."""
    env = environment
    newsdesk(env, "migrate", "--no-input")
    newsdesk(env, "load_demo", "--limit", "20")
    newsdesk(env, "build_site")
    server = subprocess.Popen([sys.executable, "-m", "newsdesk", "start"], env=env)
    try:
        wait_for_port(int(env["NEWSDESK_HTTP_PORT"]), server)
        wait_for_port(int(env["NEWSDESK_SMTP_PORT"]), server)
        yield env["NEWSDESK_SITE_URL"], env
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise


@pytest.fixture
def browser() -> Iterator[Browser]:
    require(CHROMIUM, "Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _email_a_story(env: dict[str, str]) -> None:
    message = EmailMessage()
    message["From"] = "Farida Noori <farida@writers.example>"
    message["To"] = "stories@newsdesk.localhost"
    message["Subject"] = HEADLINE
    message["Message-ID"] = "<browser-flood@writers.example>"
    message.set_content(
        "KABUL — Floodwater reached the old city on Tuesday.\n\nResidents moved uphill."
    )
    with smtplib.SMTP("127.0.0.1", int(env["NEWSDESK_SMTP_PORT"]), timeout=10) as smtp:
        assert smtp.send_message(message) == {}


def _wait_for_submission(env: dict[str, str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if json.loads(newsdesk(env, "list_submissions", "--json")):
            return
        time.sleep(0.3)
    raise AssertionError("the emailed story never reached the queue")


def _sign_in_with_code(page: Page, site: str, key: bytes) -> None:
    page.goto(f"{site}/newsroom/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/newsroom/two-factor/verify/"))
    page.get_by_label("Code").fill(f"{totp(key, t0=0, step=30, digits=6):06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{site}/newsroom/")


def test_an_emailed_story_is_accepted_published_and_killed_in_the_browser(
    running: tuple[str, dict[str, str]], browser: Browser
) -> None:
    # given: the running app, a chief editor with an authenticator app, and a
    # story a contributor emailed to the receiver
    site, env = running
    said = newsdesk(env, "shell", "-c", CHIEF)
    found = re.search(r"^key: ([0-9a-f]+)$", said, re.M)
    assert found is not None, said
    key = bytes.fromhex(found.group(1))
    _email_a_story(env)
    _wait_for_submission(env)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    failures: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: failures.append((r.status, r.url)) if r.status >= 400 else None,
    )

    # when: they sign in with their password and a code, and accept the story from
    # the queue into Politics
    _sign_in_with_code(page, site, key)
    page.get_by_role("link", name="Incoming").first.click()
    page.get_by_role("link", name=HEADLINE).click()
    page.get_by_label("Section").select_option(label="Politics")
    page.get_by_role("button", name="Accept as a draft story").click()
    page.wait_for_url(re.compile(r"/newsroom/pages/\d+/edit/$"))
    editor = page.url

    # then: a draft, which readers do not see
    story = f"{site}/politics/{SLUG}/"
    assert fetch(story)[0] == 404

    # when: they publish it
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_url(re.compile(r"/newsroom/pages/\d+/$"))

    # then: readers get its page and find it on the home page and in the feed,
    # from the running server (the worker's publisher wrote them)
    status, _, text = fetch(story)
    assert status == 200
    assert HEADLINE in text
    assert "Residents moved uphill." in text
    assert f"/politics/{SLUG}/" in fetch(f"{site}/")[2]
    assert HEADLINE in fetch(f"{site}/rss.xml")[2]

    # when: they kill it, with a reason
    page.goto(editor)
    header = page.get_by_role("navigation", name="Actions", exact=True)
    header.get_by_role("button", name="Actions", exact=True).click()
    page.get_by_role("link", name="Kill (withdraw)").click()
    page.get_by_label("Why is it withdrawn?").fill(REASON)
    page.get_by_role("button", name="Kill the story").click()
    page.locator(".messages").get_by_text("Killed:").wait_for()

    # then: its address answers 410 Gone with the reason; it left the home page
    status, _, notice = fetch(story)
    assert status == 410
    assert REASON in html.unescape(notice)
    assert f"/politics/{SLUG}/" not in fetch(f"{site}/")[2]
    assert failures == []
    context.close()
