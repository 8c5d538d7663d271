"""Time how late scheduled stories go live, with and without a slow partner.

Run from the repository root:

    uv run python bench/scheduled_go_live.py [--stories 8] [--spread 90]
        [--partner-delay 9] [--keep]

Target (issue 5): a scheduled story goes live within a minute of its time.

Two runs, each on a fresh embedded data folder (``newsdesk migrate``, ``load_demo
--limit 50``, ``build_site``) with the real worker (``newsdesk run_worker``) as a
subprocess:

- reference: no partner;
- slow partner: a partner whose webhook (an HTTP server on loopback, in this
  process) answers each delivery after ``--partner-delay`` seconds, kept busy from
  the start by a batch of updates to live stories, then by every scheduled story
  going live.

In each run ``--stories`` stories are scheduled (Wagtail's go-live time, set and
published as the page editor does) at even steps over ``--spread`` seconds, the
first 20 seconds after the worker starts. A story counts as live when its page is in
the reader site's output folder, looked for every 0.2 seconds; its lateness is that
moment minus its go-live time. Exits 1 when a story of either run is a minute late or
never goes live.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchkit import embedded_env, newsdesk

TARGET_SECONDS = 60.0
FIRST_AFTER_SECONDS = 20
BUSY_UPDATES = 6
POLL_SECONDS = 0.2
MARK = "SCHEDULED "

# Run in the app's shell: update some live stories (changes for partners), then
# schedule new stories; print their reader paths and go-live times.
SCHEDULE = """
import datetime as dt, json
from django.utils import timezone
from newsdesk.accounts.models import User
from newsdesk.stories.models import Person, SectionPage, StoryAuthor, StoryPage
from newsdesk.stories.selectors import public_path
editor = User.objects.get(username="editor")
for story in StoryPage.objects.live().order_by("-pk")[:{busy}]:
    story.standfirst = "Updated for the benchmark."
    story.save_revision(user=editor).publish(user=editor)
section = SectionPage.objects.live().order_by("pk").first()
person = Person.objects.order_by("pk").first()
first = timezone.now() + dt.timedelta(seconds={first})
scheduled = []
for n in range({stories}):
    story = StoryPage(title=f"Scheduled story {{n}}", body="<p>On time.</p>", live=False)
    section.add_child(instance=story)
    StoryAuthor.objects.create(story=story, person=person)
    story.go_live_at = first + dt.timedelta(seconds={step} * n)
    story.save_revision(user=editor).publish(user=editor)
    scheduled.append([public_path(story), story.go_live_at.isoformat()])
print("{mark}" + json.dumps(scheduled))
"""

PARTNER = """
import secrets
from newsdesk.syndication.models import Partner
Partner.objects.create(
    name="Slow outlet",
    all_sections=True,
    webhook_url="http://127.0.0.1:{port}/hook",
    webhook_secret=secrets.token_hex(32),
)
"""


class SlowPartner(ThreadingHTTPServer):
    """A partner's webhook that answers every delivery after a delay."""

    daemon_threads = True

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.deliveries = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _SlowHandler)


class _SlowHandler(BaseHTTPRequestHandler):
    server: SlowPartner

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.deliveries += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def one_run(
    label: str, folder: Path, *, stories: int, spread: float, delay: float | None
) -> dict[str, object]:
    env = embedded_env(folder)
    for step in (
        ("migrate", "--no-input"),
        ("load_demo", "--limit", "50"),
        ("build_site",),
    ):
        print(f"  [{label}] newsdesk {' '.join(step)} ...", flush=True)
        newsdesk(env, *step)
    partner: SlowPartner | None = None
    if delay is not None:
        partner = SlowPartner(delay)
        threading.Thread(target=partner.serve_forever, daemon=True).start()
        newsdesk(env, "shell", "-c", PARTNER.format(port=partner.server_address[1]))
    step = spread / max(stories - 1, 1)
    _, said = newsdesk(
        env,
        "shell",
        "-c",
        SCHEDULE.format(
            busy=BUSY_UPDATES if partner else 0,
            first=FIRST_AFTER_SECONDS,
            stories=stories,
            step=step,
            mark=MARK,
        ),
    )
    line = next(line for line in said.splitlines() if line.startswith(MARK))
    scheduled = [
        (path, datetime.fromisoformat(when))
        for path, when in json.loads(line.removeprefix(MARK))
    ]
    site = folder / "site"
    worker = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "run_worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lateness: dict[str, float] = {}
    deadline = max(when for _, when in scheduled).timestamp() + 2 * TARGET_SECONDS
    try:
        print(
            f"  [{label}] worker running; {stories} stories due over {spread:.0f} s",
            flush=True,
        )
        while len(lateness) < len(scheduled) and time.time() < deadline:
            now = time.time()
            for path, when in scheduled:
                if (
                    path not in lateness
                    and (site / path.strip("/") / "index.html").exists()
                ):
                    lateness[path] = now - when.timestamp()
                    print(
                        f"  [{label}] {path} live {lateness[path]:5.1f} s after its time",
                        flush=True,
                    )
            time.sleep(POLL_SECONDS)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        if partner is not None:
            partner.shutdown()
    late = sorted(lateness.values())
    return {
        "run": label,
        "stories": len(scheduled),
        "live": len(late),
        "median_s": statistics.median(late) if late else None,
        "max_s": max(late) if late else None,
        "webhook_deliveries": partner.deliveries if partner else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=8)
    parser.add_argument("--spread", type=float, default=90.0)
    parser.add_argument("--partner-delay", type=float, default=9.0)
    parser.add_argument("--keep", action="store_true", help="keep the data folders")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="newsdesk-bench-schedule-"))
    results = []
    try:
        for label, delay in (("reference", None), ("slow partner", args.partner_delay)):
            results.append(
                one_run(
                    label,
                    base / label.replace(" ", "-"),
                    stories=args.stories,
                    spread=args.spread,
                    delay=delay,
                )
            )
    finally:
        if args.keep:
            print(f"data folders kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print(
        f"{'run':<14} {'live':>6} {'median late':>12} {'max late':>9} {'webhooks':>9}"
    )
    missed = False
    for result in results:
        median, worst = result["median_s"], result["max_s"]
        print(
            f"{result['run']:<14} {result['live']}/{result['stories']:<4} "
            f"{median if median is None else f'{median:.1f} s':>12} "
            f"{worst if worst is None else f'{worst:.1f} s':>9} "
            f"{result['webhook_deliveries']:>9}"
        )
        if result["live"] != result["stories"] or (
            isinstance(worst, float) and worst >= TARGET_SECONDS
        ):
            missed = True
    print(
        f"target: every story live within {TARGET_SECONDS:.0f} s of its time: "
        + ("MISSED" if missed else "met")
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
