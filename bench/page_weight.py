"""Page weight, Lighthouse and axe-core figures of the reader site, served by nginx.

Run from the repository root (needs `make system-deps` and `make quality-tools`):

    uv run python bench/page_weight.py [--stories N] [--no-lighthouse] [--keep]

A fresh data folder gets the demo archive (all of it, or the first N stories) and a
full site build; Debian's nginx serves the output folder with deploy/nginx.conf on a
free loopback port, sending the precompressed Brotli and gzip files as in production.
Four pages are measured: a typical story (the median HTML size; among the stories
with an image when any has one), the largest story, the home page and a section
front. Each is loaded in Debian's Chromium with a phone's viewport and an empty
cache, and every request is recorded through the DevTools protocol: bytes on the
wire (headers and encoded body), its origin, Set-Cookie headers, scripts. axe-core
then checks each page, and the Lighthouse CLI (mobile preset, simulated throttling)
scores it.

Issue 3's budgets, for the story page: at most 30 KB (30,000 bytes) transferred
without images, 100 KB with its lead image at a phone's width; on every page no
request to another origin, no cookies, no JavaScript, Lighthouse performance >= 95
and accessibility, best practices and SEO = 100, no axe-core violations. The script
exits 1 when any budget is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchkit import BROTLI_MODULE, NGINX, REPO, free_port, nginx_config
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
TOOLS = REPO / "tools" / "quality" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
LIGHTHOUSE = TOOLS / "lighthouse" / "cli" / "index.js"
# Nothing but loopback resolves: a request to another origin fails instead of
# leaving the machine, and is still seen (and counted) by the recorder.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# Lighthouse's own mobile device (a Moto G Power), so both tools see the same phone.
PHONE: dict[str, Any] = {
    "viewport": {"width": 412, "height": 823},
    "device_scale_factor": 1.75,
    "is_mobile": True,
    "has_touch": True,
}
KB = 1000
TEXT_BUDGET = 30 * KB
IMAGES_BUDGET = 100 * KB
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
MINIMUM_SCORE = {
    "performance": 95,
    "accessibility": 100,
    "best-practices": 100,
    "seo": 100,
}
# The metrics the performance score is made of, as Lighthouse names them.
METRICS = {
    "FCP": "first-contentful-paint",
    "LCP": "largest-contentful-paint",
    "TBT": "total-blocking-time",
    "CLS": "cumulative-layout-shift",
    "SI": "speed-index",
}
STARTUP_SECONDS = 30
LIGHTHOUSE_SECONDS = 180
# Script elements holding data, not code (JSON-LD metadata).
DATA_SCRIPTS = ("application/ld+json", "application/json")
EXECUTABLE_CODE = """data => {
    const scripts = [...document.scripts].filter(
        s => !data.includes((s.type || '').toLowerCase()));
    const handlers = [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on')));
    const links = document.querySelectorAll('[href^="javascript:" i]');
    return scripts.length + handlers.length + links.length;
}"""


@dataclass
class Request:
    """One request the page made, as Chromium's network stack saw it."""

    url: str
    kind: str = ""
    status: int = 0
    mime: str = ""
    encoding: str = ""
    transferred: int = 0
    set_cookie: bool = False
    failed: str = ""


@dataclass
class Weight:
    """What one page load cost a reader."""

    requests: list[Request]
    cookies: int
    scripts: int
    csp_violations: int

    @property
    def total(self) -> int:
        return sum(r.transferred for r in self.requests)

    @property
    def without_images(self) -> int:
        return sum(r.transferred for r in self.requests if r.kind != "Image")

    def other_origins(self, origin: str) -> list[str]:
        return [
            r.url
            for r in self.requests
            if not r.url.startswith("data:") and _origin(r.url) != origin
        ]

    def script_requests(self) -> list[str]:
        return [r.url for r in self.requests if r.kind == "Script"]


@dataclass
class Scores:
    """Lighthouse's four category scores (0-100) and the audits it failed."""

    scores: dict[str, int]
    metrics: dict[str, str]
    failed_audits: list[str]
    seconds: float


@dataclass
class Page:
    label: str
    path: str
    html_bytes: int = 0
    weight: Weight = field(default_factory=lambda: Weight([], 0, 0, 0))
    axe: list[str] = field(default_factory=list)
    lighthouse: Scores | None = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def say(message: str) -> None:
    print(message, flush=True)


def newsdesk(env: dict[str, str], *args: str) -> str:
    """Run a newsdesk command in the bench's data folder; return its output."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"newsdesk {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    say(f"  newsdesk {' '.join(args)}: {time.perf_counter() - started:.1f} s")
    return result.stdout


def story_pages(root: Path) -> list[tuple[str, int, bool]]:
    """Return every story page as (path, HTML bytes, has an image)."""
    found = []
    for html in root.rglob("index.html"):
        text = html.read_text(encoding="utf-8")
        if '<meta property="og:type" content="article">' not in text:
            continue
        path = "/" + str(html.parent.relative_to(root)) + "/"
        found.append((path, len(text.encode()), "<picture" in text or "<img" in text))
    return sorted(found, key=lambda story: (story[1], story[0]))


def pick_pages(root: Path) -> tuple[list[Page], bool]:
    """Return the pages to measure and whether the chosen stories have an image."""
    stories = story_pages(root)
    if not stories:
        sys.exit(f"No story page in {root}: did the demo archive load?")
    with_images = [story for story in stories if story[2]]
    candidates = with_images or stories
    typical = candidates[(len(candidates) - 1) // 2]
    largest = candidates[-1]
    # The typical story's own section front ("/business/slug/" -> "/business/").
    section = "/" + typical[0].strip("/").split("/")[0] + "/"
    pages = [
        Page("story (median)", typical[0], typical[1]),
        Page("story (largest)", largest[0], largest[1]),
        Page("home", "/", (root / "index.html").stat().st_size),
        Page(
            "section front",
            section,
            (root / section.strip("/") / "index.html").stat().st_size,
        ),
    ]
    median = statistics.median(size for _, size, _ in stories)
    say(
        f"  {len(stories):,} story pages, median {median / KB:.1f} KB of HTML, "
        f"{len(with_images):,} with an image"
    )
    return pages, bool(with_images)


@contextmanager
def stand_in_app() -> Iterator[tuple[int, list[str]]]:
    """Answer 404 to whatever nginx passes to the app server, and remember it."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = b"no such page"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_POST = do_GET

        def log_message(self, format: str, *args: object) -> None:
            return  # the paths are recorded above

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def nginx(folder: Path, root: Path, port: int, app_port: int) -> Iterator[None]:
    """Run nginx with deploy/nginx.conf on a loopback port until the block ends."""
    config = nginx_config(folder, root, port, app_port=app_port, access_log=True)
    process = subprocess.Popen([str(NGINX), "-c", str(config)])
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                log = (folder / "error.log").read_text(errors="replace")
                sys.exit(f"nginx stopped at start (exit {process.returncode}):\n{log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"nginx did not listen on {port} in {STARTUP_SECONDS} s")
                time.sleep(0.05)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(browser: Browser, url: str) -> Weight:
    """Load a page with a phone's viewport and an empty cache; record every request."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    requests: dict[str, Request] = {}
    csp: list[str] = []
    cdp = context.new_cdp_session(page)

    def sent(event: dict[str, Any]) -> None:
        requests.setdefault(event["requestId"], Request(event["request"]["url"]))
        requests[event["requestId"]].kind = event.get("type", "")

    def responded(event: dict[str, Any]) -> None:
        request = requests.setdefault(
            event["requestId"], Request(event["response"]["url"])
        )
        response = event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        request.kind = event.get("type", request.kind)
        request.status = response["status"]
        request.mime = response.get("mimeType", "")
        request.encoding = headers.get("content-encoding", "")
        request.set_cookie |= "set-cookie" in headers

    def raw_headers(event: dict[str, Any]) -> None:
        # Set-Cookie is only in the raw headers, not in responseReceived's.
        if any(k.lower() == "set-cookie" for k in event.get("headers", {})):
            requests.setdefault(event["requestId"], Request("")).set_cookie = True

    def finished(event: dict[str, Any]) -> None:
        request = requests.setdefault(event["requestId"], Request(""))
        request.transferred = int(event["encodedDataLength"])

    def failed(event: dict[str, Any]) -> None:
        request = requests.setdefault(event["requestId"], Request(""))
        request.failed = event.get("blockedReason") or event.get("errorText", "failed")

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", responded)
    cdp.on("Network.responseReceivedExtraInfo", raw_headers)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", failed)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.on(
        "console",
        lambda message: (
            csp.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    scripts = int(page.evaluate(EXECUTABLE_CODE, list(DATA_SCRIPTS)))
    cookies = len(context.cookies())
    context.close()
    return Weight(list(requests.values()), cookies, scripts, len(csp))


def axe_violations(browser: Browser, url: str) -> list[str]:
    """Return axe-core's violations on a page, one line each."""
    # The site's CSP forbids scripts; axe is injected for the check only.
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    violations: list[str] = page.evaluate(
        "async () => (await axe.run(document)).violations.map(v => "
        "`${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"
    )
    context.close()
    return violations


def chrome_flags() -> str:
    """Return the Chromium flags as one string, quoting a value with spaces."""
    flags = []
    for flag in ["--headless=new", *CHROMIUM_ARGS]:
        name, _, value = flag.partition("=")
        flags.append(f'{name}="{value}"' if " " in value else flag)
    return " ".join(flags)


def lighthouse(url: str, report: Path) -> Scores:
    """Run the Lighthouse CLI (mobile, simulated throttling) on a page."""
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={report}",
        f"--chrome-flags={chrome_flags()}",
        # The full-page screenshot is for people reading the report; no score uses it.
        "--disable-full-page-screenshot",
        "--quiet",
    ]
    started = time.perf_counter()
    result = subprocess.run(
        command,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        capture_output=True,
        text=True,
        timeout=LIGHTHOUSE_SECONDS,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode or not report.exists():
        sys.exit(f"Lighthouse failed on {url}:\n{result.stdout}{result.stderr}")
    lhr = json.loads(report.read_text(encoding="utf-8"))
    if lhr.get("runtimeError"):
        sys.exit(f"Lighthouse could not check {url}: {lhr['runtimeError']}")
    scores = {
        name: round((lhr["categories"][name]["score"] or 0) * 100)
        for name in CATEGORIES
    }
    metrics = {
        name: lhr["audits"][audit].get("displayValue", "?")
        for name, audit in METRICS.items()
    }
    return Scores(scores, metrics, failed_audits(lhr), seconds)


def failed_audits(lhr: dict[str, Any]) -> list[str]:
    """Return the scored audits outside performance that did not pass, with elements."""
    failures = []
    for name in CATEGORIES[1:]:
        for ref in lhr["categories"][name]["auditRefs"]:
            audit = lhr["audits"][ref["id"]]
            if ref["weight"] == 0 or audit["score"] is None or audit["score"] >= 1:
                continue
            items = (audit.get("details") or {}).get("items") or []
            found = [_audit_item(item) for item in items[:3]]
            failures.append(f"{ref['id']}: {'; '.join(found)}")
    return failures


def _audit_item(item: dict[str, Any]) -> str:
    """Return the element, or else the address and message, an audit item names."""
    node = item.get("node") or {}
    if node.get("snippet"):
        return f"{node.get('selector', '')} {node['snippet']}".strip()
    url = item.get("url") or (item.get("sourceLocation") or {}).get("url", "")
    return " ".join(part for part in (url, item.get("description", "")) if part)


def check_tools(with_lighthouse: bool) -> None:
    needed = [
        (NGINX, "make system-deps"),
        (BROTLI_MODULE, "make system-deps"),
        (CHROMIUM, "make system-deps"),
        (AXE, "make quality-tools"),
    ]
    if with_lighthouse:
        needed.append((LIGHTHOUSE, "make quality-tools"))
        if not shutil.which("node"):
            sys.exit("node is missing: run `make system-deps` (it installs npm)")
    for path, hint in needed:
        if not path.exists():
            sys.exit(f"{path} is missing: run `{hint}`")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(
    pages: list[Page], origin: str, has_images: bool, app_paths: list[str]
) -> bool:
    """Print the figures and the budgets; return whether every budget is met."""
    say("\nPage                 HTML   no images  all     reqs  other  cookies  JS")
    say("                     (KB)   (KB)       (KB)          orig.")
    for page in pages:
        weight = page.weight
        say(
            f"{page.label:18}{page.html_bytes / KB:7.1f}{weight.without_images / KB:9.1f}"
            f"{weight.total / KB:10.1f}{len(weight.requests):7}"
            f"{len(weight.other_origins(origin)):7}{weight.cookies:8}"
            f"{weight.scripts + len(weight.script_requests()):5}"
        )
    for page in pages:
        say(f"  {page.label}: {page.path}")
        for request in page.weight.requests:
            say(
                f"    {request.kind or '?':10} {request.status or '-':>3} "
                f"{request.encoding or 'identity':8} {request.transferred:>8,} B  "
                f"{request.url}{'  FAILED ' + request.failed if request.failed else ''}"
            )
    if any(page.lighthouse for page in pages):
        say("\nPage              perf  a11y  best-pr.  SEO   axe  Lighthouse run")
        for page in pages:
            lh = page.lighthouse
            if lh is None:
                continue
            s = lh.scores
            say(
                f"{page.label:18}{s['performance']:4}{s['accessibility']:6}"
                f"{s['best-practices']:10}{s['seo']:5}{len(page.axe):6}"
                f"{lh.seconds:9.1f} s"
            )
            say("    " + ", ".join(f"{k} {v}" for k, v in lh.metrics.items()))
            for failure in lh.failed_audits:
                say(f"    Lighthouse: {failure}")
    for page in pages:
        for violation in page.axe:
            say(f"    axe on {page.label}: {violation}")
    if app_paths:
        say(f"\nRequests nginx passed to the app server: {', '.join(app_paths)}")

    stories = [page for page in pages if page.label.startswith("story")]
    checks: list[tuple[str, bool]] = []
    for page in stories:
        checks.append(
            (
                f"{page.label}: {page.weight.without_images / KB:.1f} KB without "
                f"images <= {TEXT_BUDGET / KB:.0f} KB",
                page.weight.without_images <= TEXT_BUDGET,
            )
        )
        note = "" if has_images else " (no lead image in the demo yet)"
        checks.append(
            (
                f"{page.label}: {page.weight.total / KB:.1f} KB with images "
                f"<= {IMAGES_BUDGET / KB:.0f} KB{note}",
                page.weight.total <= IMAGES_BUDGET,
            )
        )
    weights = [(page, page.weight) for page in pages]
    checks += [
        (
            "no request to another origin",
            not any(w.other_origins(origin) for _, w in weights),
        ),
        (
            "no cookies",
            not any(
                w.cookies or any(r.set_cookie for r in w.requests) for _, w in weights
            ),
        ),
        (
            "no JavaScript (no script requests, no executable script elements)",
            not any(w.scripts or w.script_requests() for _, w in weights),
        ),
        (
            "no Content Security Policy violations",
            not any(w.csp_violations for _, w in weights),
        ),
        ("axe-core: no violations", not any(page.axe for page in pages)),
    ]
    scored = [page.lighthouse for page in pages if page.lighthouse]
    for name, minimum in MINIMUM_SCORE.items():
        if scored:
            lowest = min(lh.scores[name] for lh in scored)
            relation = ">=" if name == "performance" else "="
            checks.append(
                (
                    f"Lighthouse {name} {relation} {minimum} (lowest: {lowest})",
                    lowest >= minimum,
                )
            )
    say("\nBudgets")
    for text, ok in checks:
        say(f"  {verdict(ok)}  {text}")
    return all(ok for _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stories", type=int, help="Load only the first N demo stories (default: all)."
    )
    parser.add_argument(
        "--lighthouse",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Run Lighthouse on each page (default: yes; about 10 s a page).",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the data folder and print its path."
    )
    options = parser.parse_args()
    check_tools(options.lighthouse)

    folder = Path(tempfile.mkdtemp(prefix="newsdesk-weight-"))
    try:
        root = folder / "data" / "site"
        nginx_port = free_port()
        origin = f"http://127.0.0.1:{nginx_port}"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "NEWSDESK_OUTPUT_DIR")
        }
        # Canonical URLs name the address the pages are served from, as in production.
        env |= {
            "DJANGO_SETTINGS_MODULE": "newsdesk.settings.dev",
            "NEWSDESK_DATA_DIR": str(folder / "data"),
            "NEWSDESK_SITE_URL": origin,
        }
        amount = f"the first {options.stories:,}" if options.stories else "all"
        say(f"Building a site of {amount} demo stories in {folder} ...")
        newsdesk(env, "migrate", "--no-input", "-v0")
        limit = ["--limit", str(options.stories)] if options.stories else []
        newsdesk(env, "load_demo", *limit)
        newsdesk(env, "build_site")
        pages, has_images = pick_pages(root)

        with (
            stand_in_app() as (app_port, app_paths),
            nginx(folder, root, nginx_port, app_port),
        ):
            say(f"nginx serves {root} at {origin}; measuring in Chromium ...")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                for page in pages:
                    page.weight = measure(browser, origin + page.path)
                    page.axe = axe_violations(browser, origin + page.path)
                browser.close()
            if options.lighthouse:
                for page in pages:
                    say(f"  Lighthouse: {page.label} ...")
                    name = page.label.replace(" (", "-").strip(")").replace(" ", "-")
                    json_path = folder / f"lighthouse-{name}.json"
                    page.lighthouse = lighthouse(origin + page.path, json_path)
        ok = report(pages, origin, has_images, app_paths)
    finally:
        if options.keep:
            say(f"\nThe data folder is kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
