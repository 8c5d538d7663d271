"""The reader site's HTML is valid (Nu HTML Checker) and accessible (axe-core in
Chromium), for English and for a right-to-left Dari story.

The checkers are the real ones, run offline: vnu.jar with the machine's Java and
axe-core injected into Debian's Chromium through Playwright. ``make quality-tools``
installs them (``make test`` does it for you).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, sync_playwright

from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import SectionPage, StoryPage
from newsdesk.stories.selectors import public_path
from tests.stories.factories import make_person, make_story

TOOLS = Path(settings.BASE_DIR) / "tools" / "quality" / "node_modules"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = TOOLS / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus" / "tico19-dari-pashto"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


def require(path: Path, what: str) -> None:
    if not path.exists():
        pytest.fail(f"{what} is missing at {path}: run `make quality-tools`.")


def dari_story() -> dict[str, object]:
    with (CORPUS / "wikinews_covid_en_prs_ps.jsonl").open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    return next(r for r in records if r["language"] == "prs")


@pytest.fixture
def built_site(section: SectionPage) -> list[Path]:
    """A small site: an English and a Dari story, fronts, archive, feed, 404."""
    english = make_story(
        section=section,
        title="Floodwater reaches the old city",
        standfirst="Residents moved uphill as the river rose.",
        dateline="KABUL",
        body="<p>The river rose overnight.</p><h2>Aid</h2><ul><li>Tents</li></ul>",
        authors=[make_person(name="Farida Noori")],
        live=True,
    )
    record = dari_story()
    paragraphs = record["paragraphs"]
    assert isinstance(paragraphs, list)
    dari = make_story(
        section=section,
        title=str(record["title"]),
        body="".join(f"<p>{p}</p>" for p in paragraphs[1:]),
        language=StoryPage.Language.DARI,
        authors=[make_person(name="گزارشگر")],
        live=True,
    )
    site_rebuild(workers=1)
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    pages = [
        "/",
        "/world/",
        "/world/archive/1/",
        public_path(english),
        public_path(dari),
        "/authors/farida-noori/",
        "/authors/farida-noori/archive/1/",
    ]
    files = [root / page.strip("/") / "index.html" for page in pages]
    return [*files, root / "404.html"]


@pytest.fixture
def browser(built_site: list[Path]) -> Iterator[Browser]:
    """Chromium, started after the site is built and stopped before the database
    is rolled back: Playwright's event loop would make Django refuse the ORM."""
    require(CHROMIUM, "Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def test_every_page_passes_the_nu_html_checker(built_site: list[Path]) -> None:
    require(VNU, "The Nu HTML Checker (vnu.jar)")
    java = shutil.which("java")
    assert java, "Java is needed for the Nu HTML Checker: install default-jre-headless"

    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", *map(str, built_site)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    messages = json.loads(result.stderr)["messages"]
    problems = [
        f"{Path(m['url']).parent.name}: {m['type']}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "warning"
    ]
    assert problems == []


def test_the_checker_finds_an_error_when_there_is_one(tmp_path: Path) -> None:
    require(VNU, "The Nu HTML Checker (vnu.jar)")
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><html><body><p>no title<div></span></body>")

    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", str(broken)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert any(m["type"] == "error" for m in json.loads(result.stderr)["messages"])


def test_every_page_has_no_axe_violations(
    built_site: list[Path], browser: Browser
) -> None:
    require(AXE, "axe-core")
    page = browser.new_page()
    found = {}
    for path in built_site:
        page.goto(path.as_uri())
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document)).violations"
            ".map(v => `${v.id} (${v.impact}): ${v.nodes.length} node(s)`)"
        )
        if violations:
            found[str(path.relative_to(settings.NEWSDESK_OUTPUT_DIR))] = violations
    page.close()

    assert found == {}


def test_the_dari_story_reads_right_to_left(
    built_site: list[Path], browser: Browser
) -> None:
    dari_page = built_site[4]
    page = browser.new_page(viewport={"width": 412, "height": 900})
    page.goto(dari_page.as_uri())

    direction = page.evaluate(
        "getComputedStyle(document.querySelector('h1')).direction"
    )
    # Nothing sticks out of the page sideways (a hidden link once widened it).
    width = page.evaluate("document.documentElement.scrollWidth")
    lang = page.evaluate("document.documentElement.lang")
    screenshot = Path(settings.BASE_DIR) / "test-artifacts" / "dari-story.png"
    screenshot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=False)
    # The headline's first line starts at the right edge of the text column.
    box = page.evaluate(
        "(() => { const r = document.createRange(); const h = document.querySelector('h1');"
        " r.selectNodeContents(h); const rects = r.getClientRects();"
        " const first = rects[0]; const col = h.getBoundingClientRect();"
        " return {right: first.right, colRight: col.right, left: first.left, colLeft: col.left}; })()"
    )
    page.close()

    assert (direction, lang) == ("rtl", "prs")
    assert width <= 412
    assert abs(box["right"] - box["colRight"]) < 2
    assert box["left"] - box["colLeft"] >= 0
