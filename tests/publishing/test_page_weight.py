"""A story page served by nginx stays within issue 3's page-weight budget and loads
nothing that tracks or runs: at most 30 KB on the wire without images (HTML and CSS,
compressed), no request to another origin, no cookies, no JavaScript.

nginx runs deploy/nginx.conf on a free loopback port (the fixtures of
test_nginx.py) and sends the precompressed files publishing wrote; Debian's Chromium
loads each page with a phone's viewport and an empty cache, and every request is
recorded through the DevTools protocol. ``bench/page_weight.py`` measures the same
on the whole demo archive, with lead images, Lighthouse and axe-core.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, sync_playwright
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.publishing.output import write_file
from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.demo import body_html, corpus_default_path, corpus_read
from newsdesk.stories.models import SectionPage
from newsdesk.stories.selectors import public_path
from tests.stories.factories import make_person, make_story

from .test_nginx import nginx_port, upstream  # noqa: F401  (fixtures used below)
from .test_quality import CHROMIUM, CHROMIUM_ARGS, require

TEXT_BUDGET = 30_000  # bytes on the wire, headers included
# Lighthouse's mobile device (bench/page_weight.py uses the same).
PHONE: dict[str, Any] = {
    "viewport": {"width": 412, "height": 823},
    "device_scale_factor": 1.75,
    "is_mobile": True,
    "has_touch": True,
}
# Script elements that hold data (JSON-LD), not code.
EXECUTABLE = """() => [
    ...[...document.scripts].filter(s => s.type.toLowerCase() !== 'application/ld+json'),
    ...[...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on'))),
    ...document.querySelectorAll('[href^="javascript:" i]'),
].length"""


@dataclass
class Load:
    """Every request one page load made, as Chromium's network stack saw it."""

    urls: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    transferred: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    set_cookie: bool = False
    cookies: int = 0
    scripts: int = 0

    def bytes_without_images(self) -> int:
        return sum(
            size
            for request, size in self.transferred.items()
            if self.kinds.get(request) != "Image"
        )

    def problems(self, origin: str) -> list[str]:
        """Return what a reader page must not do that this load did."""
        return [
            *(f"request to {url}" for url in self.elsewhere(origin)),
            *(["a Set-Cookie header"] if self.set_cookie else []),
            *([f"{self.cookies} cookie(s)"] if self.cookies else []),
            *([f"{self.scripts} script(s)"] if self.scripts else []),
            *(f"script {self.urls[r]}" for r, k in self.kinds.items() if k == "Script"),
        ]

    def elsewhere(self, origin: str) -> list[str]:
        return [
            url
            for url in self.urls.values()
            if not url.startswith((origin + "/", "data:"))
        ]


def load(browser: Browser, url: str) -> Load:
    """Open a page as a phone with an empty cache and record what it cost."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    seen = Load()

    def sent(event: dict[str, Any]) -> None:
        seen.urls[event["requestId"]] = event["request"]["url"]
        seen.kinds[event["requestId"]] = event.get("type", "")

    def responded(event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        seen.encodings[event["requestId"]] = headers.get("content-encoding", "")

    def raw_headers(event: dict[str, Any]) -> None:
        # Set-Cookie is only in the raw headers.
        seen.set_cookie |= any(k.lower() == "set-cookie" for k in event["headers"])

    def finished(event: dict[str, Any]) -> None:
        seen.transferred[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", responded)
    cdp.on("Network.responseReceivedExtraInfo", raw_headers)
    cdp.on("Network.loadingFinished", finished)
    cdp.send("Network.enable")
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    seen.scripts = int(page.evaluate(EXECUTABLE))
    seen.cookies = len(context.cookies())
    context.close()
    return seen


def load_pages(origin: str, paths: list[str]) -> list[Load]:
    """Load pages in Chromium, started after the site is built and stopped before
    the database is rolled back (Playwright's event loop would upset the ORM)."""
    require(CHROMIUM, "Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        loads = [load(browser, origin + path) for path in paths]
        browser.close()
    return loads


@pytest.fixture
def origin(nginx_port: int, settings: SettingsWrapper) -> str:  # noqa: F811
    """The address nginx serves the site at; canonical URLs name it too."""
    address = f"http://127.0.0.1:{nginx_port}"
    settings.NEWSDESK_SITE_URL = address
    return address


@pytest.fixture
def story_path(origin: str, section: SectionPage) -> str:
    """Build a site whose story is the longest of the demo's first 300 articles."""
    articles = corpus_read(path=corpus_default_path(), limit=300)
    longest = max(articles, key=lambda article: len(article.text))
    story = make_story(
        section=section,
        title=longest.title,
        standfirst="The longest report of the demo archive's first 300.",
        dateline="WASHINGTON",
        body=body_html(longest.text),
        authors=[make_person(name="Farida Noori"), make_person(name="Ahmad Karimi")],
        source_credit="Wikinews contributors, CC BY 2.5",
        source_url=longest.url,
        live=True,
    )
    for article in articles[:12]:
        make_story(section=section, title=article.title, live=True)
    site_rebuild(workers=1)
    return public_path(story)


def test_a_long_story_page_is_under_30_kb_compressed_through_nginx(
    story_path: str, origin: str
) -> None:
    [story] = load_pages(origin, [story_path])

    document = next(r for r, url in story.urls.items() if url == origin + story_path)
    assert story.encodings[document] == "br"
    assert story.bytes_without_images() <= TEXT_BUDGET


def test_reader_pages_set_no_cookie_run_no_script_and_stay_on_their_origin(
    story_path: str, origin: str
) -> None:
    paths = [story_path, "/", "/world/"]

    loads = load_pages(origin, paths)

    found = {
        path: seen.problems(origin)
        for path, seen in zip(paths, loads, strict=True)
        if seen.problems(origin)
    }
    assert found == {}


def test_the_check_sees_a_heavy_page_a_script_and_a_request_elsewhere(
    nginx_port: int,  # noqa: F811
) -> None:
    origin = f"http://127.0.0.1:{nginx_port}"
    padding = base64.b64encode(os.urandom(40_000)).decode()
    write_file(
        settings.NEWSDESK_OUTPUT_DIR / "heavy" / "index.html",
        (
            "<!doctype html><html lang=en><title>Heavy</title>"
            f"<p>{padding}</p><img src='http://cdn.example/pixel.png' alt=''>"
            "<script src='/assets/app.js'></script>"
        ).encode(),
    )

    [seen] = load_pages(origin, ["/heavy/"])

    assert seen.bytes_without_images() > TEXT_BUDGET
    assert seen.elsewhere(origin) == ["http://cdn.example/pixel.png"]
    assert seen.scripts == 1
