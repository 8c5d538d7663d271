"""Lighthouse (mobile preset, simulated throttling) scores a story page served by
nginx: performance at least 95; accessibility, best practices and SEO 100.

The Lighthouse CLI (``make quality-tools``) runs Debian's Chromium itself; one run
takes about 15 s on the 2-core machine, so the suite scores one story page and
``bench/page_weight.py`` scores the home page, a section front and the demo archive's
stories. The report is kept in ``test-artifacts/lighthouse-story.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings

from .test_nginx import nginx_port, upstream  # noqa: F401  (fixtures used below)
from .test_page_weight import origin, story_path  # noqa: F401  (fixtures used below)
from .test_quality import CHROMIUM, CHROMIUM_ARGS, TOOLS, require

LIGHTHOUSE = TOOLS / "lighthouse" / "cli" / "index.js"
REPORT = Path(settings.BASE_DIR) / "test-artifacts" / "lighthouse-story.json"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
RUN_SECONDS = 180


def chrome_flags() -> str:
    """Return our Chromium flags as one string, quoting a value with spaces."""
    flags = []
    for flag in ["--headless=new", *CHROMIUM_ARGS]:
        name, _, value = flag.partition("=")
        flags.append(f'{name}="{value}"' if " " in value else flag)
    return " ".join(flags)


def lighthouse(url: str) -> dict[str, Any]:
    """Run the Lighthouse CLI on a page and return its report."""
    require(LIGHTHOUSE, "Lighthouse")
    require(CHROMIUM, "Debian's chromium")
    node = shutil.which("node")
    assert node, "Node.js is needed for Lighthouse: run `make system-deps`"
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.unlink(missing_ok=True)
    result = subprocess.run(
        [
            node,
            str(LIGHTHOUSE),
            url,
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            f"--output-path={REPORT}",
            f"--chrome-flags={chrome_flags()}",
            # A picture for people reading the report; no score uses it.
            "--disable-full-page-screenshot",
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"Lighthouse failed:\n{result.stderr}"
    report: dict[str, Any] = json.loads(REPORT.read_text(encoding="utf-8"))
    assert not report.get("runtimeError"), report.get("runtimeError")
    return report


def failed_audits(report: dict[str, Any], category: str) -> dict[str, list[str]]:
    """Return the scored audits of a category that did not pass, with what they name."""
    failed = {}
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
            items = (audit.get("details") or {}).get("items") or []
            failed[ref["id"]] = [
                (item.get("node") or {}).get("snippet")
                or (item.get("sourceLocation") or {}).get("url")
                or item.get("url")
                or ""
                for item in items
            ]
    return failed


def test_a_story_page_scores_95_for_performance_and_100_for_the_rest(
    story_path: str,  # noqa: F811
    origin: str,  # noqa: F811
) -> None:
    report = lighthouse(origin + story_path)

    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    assert scores["performance"] >= 95, failed_audits(report, "performance")
    for category in ("accessibility", "seo"):
        assert scores[category] == 100, failed_audits(report, category)
    practices = failed_audits(report, "best-practices")
    assert scores["best-practices"] == 100, practices
