"""Partner feed requests per second, and the time to render every partner format
for the whole demo archive.

Run from the repository root:

    uv run python bench/syndication.py [--stories 0] [--seconds 10] [--clients 8]

A fresh data folder (SQLite, the embedded setup) gets the demo archive (all of it,
or ``--stories`` of it) and a site build. Then, in one process:

1. every live story is made into a partner item, and each item is written as IPTC
   ninjs 3.1, ninjs 2.2 and NewsML-G2 (one ``newsItem`` each): the seconds for each;
2. a partner with a key gets 100 changes in its log.

The built-in server (as ``newsdesk start`` runs it) then answers, on loopback,
``GET /partners/v1/items?limit=100&format=ninjs3`` with the key (100 items of
ninjs, about three quarters of a megabyte), the read API's first page of 20 stories
and one whole story, and, as the reference in the same run, a story page, a static
file from the same server. ``--clients`` threads keep their
connections open and ask as fast as they are answered for ``--seconds``; each
figure is requests per second. The client is Python and shares the machine's cores
with the server, so both figures are lower than a dedicated load generator's; their
ratio is what to compare between runs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchkit import REPO, embedded_env, free_port, newsdesk

PARTNER_URL = "/partners/v1/items?limit=100&format=ninjs3"


def prepare() -> None:
    """In the data folder's environment: time the formats, make the partner's log."""
    import django

    django.setup()
    from django.conf import settings

    from newsdesk.stories.models import StoryPage
    from newsdesk.stories.selectors import public_path, story_list_live
    from newsdesk.syndication import formats
    from newsdesk.syndication.models import Partner
    from newsdesk.syndication.selectors import story_item
    from newsdesk.syndication.services import item_version_record, partner_key_issue

    stories = list(story_list_live().prefetch_related("tags", "corrections", "updates"))
    started = time.perf_counter()
    items = []
    for n, story in enumerate(stories, 1):
        items.append(story_item(story, version=1, status="usable"))
        if n % 500 == 0:
            print(f"\r  items: {n}/{len(stories)}", end="", file=sys.stderr)
    print(file=sys.stderr)
    timings = {"items": time.perf_counter() - started}
    sizes = {}
    for name, render in (
        ("ninjs3", lambda item: json.dumps(formats.ninjs3(item)).encode()),
        ("ninjs2", lambda item: json.dumps(formats.ninjs2(item)).encode()),
        ("newsml", formats.newsml_g2_item),
    ):
        started = time.perf_counter()
        total = sum(len(render(item)) for item in items)
        timings[name] = time.perf_counter() - started
        sizes[name] = total
        print(f"  {name}: {timings[name]:.2f} s", file=sys.stderr)

    partner = Partner.objects.create(
        name="Benchmark partner",
        all_sections=True,
        requests_per_minute=10**9,
        formats=["ninjs3"],
    )
    _, key = partner_key_issue(partner=partner, by=None, label="benchmark")
    for story in StoryPage.objects.live().order_by("-first_published_at")[:100]:
        item_version_record(story=story, change="published")
    story_path = public_path(stories[0])
    print(
        json.dumps(
            {
                "stories": len(items),
                "timings": timings,
                "sizes": sizes,
                "key": key,
                "story_path": story_path,
                "story_id": stories[0].pk,
                "settle": settings.NEWSDESK_SYNDICATION_SETTLE_SECONDS,
            }
        )
    )


def _hammer(
    port: int, path: str, headers: dict[str, str], seconds: float, clients: int
) -> tuple[float, int]:
    """Return requests per second and the size of one answer."""
    counts = [0] * clients
    sizes: list[int] = []
    failures: list[str] = []
    stop_at = time.perf_counter() + seconds

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                failures.append(f"{response.status}: {body[:200]!r}")
                return
            if not sizes:
                sizes.append(len(body))
            counts[n] += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"{path} failed: {failures[0]}")
    return sum(counts) / (time.perf_counter() - started), sizes[0] if sizes else 0


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"The built-in server stopped at start ({process.returncode}).")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("The built-in server did not start within 60 s.")


def main() -> None:
    if sys.argv[1:] == ["prepare"]:
        prepare()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=0, help="0: the whole archive")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    from newsdesk.publishing.fastserve import web_server_commands

    with tempfile.TemporaryDirectory(prefix="newsdesk-syndication-") as temp:
        folder = Path(temp)
        env = embedded_env(folder / "data")
        # The clients all come from 127.0.0.1: lift the read API's per-address limit.
        env["NEWSDESK_API_REQUESTS_PER_MINUTE"] = "100000000"
        print(f"Loading the demo archive into {folder} ...", file=sys.stderr)
        newsdesk(env, "migrate", "--no-input", "-v0")
        limit = ["--limit", str(options.stories)] if options.stories else []
        newsdesk(env, "load_demo", *limit)
        newsdesk(env, "build_site")
        print("Rendering every format ...", file=sys.stderr)
        prepared = subprocess.run(
            [sys.executable, __file__, "prepare"],
            env={**env, "PYTHONPATH": str(REPO)},
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        facts: dict[str, Any] = json.loads(prepared.stdout.strip().splitlines()[-1])
        time.sleep(facts["settle"] + 0.5)

        workers = os.cpu_count() or 1
        port = free_port()
        commands = web_server_commands(
            host="127.0.0.1",
            port=port,
            root=folder / "data" / "site",
            workers=workers,
            socket_path=folder / "app.sock",
        )
        servers = [
            subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True)
            for command in commands.values()
        ]
        try:
            _wait_for(port, servers[-1])
            auth = {"Authorization": f"Bearer {facts['key']}"}
            targets = [
                ("partner", PARTNER_URL, auth),
                ("api list", "/api/v1/stories?limit=20", {}),
                ("api story", f"/api/v1/stories/{facts['story_id']}", {}),
                ("story", facts["story_path"], {}),
            ]
            runs: dict[str, list[float]] = {name: [] for name, _, _ in targets}
            size = dict.fromkeys(runs, 0)
            for _, path, headers in targets:  # warm up
                _hammer(port, path, headers, 2, options.clients)
            for _ in range(options.rounds):
                for name, path, headers in targets:
                    rate, size[name] = _hammer(
                        port, path, headers, options.seconds, options.clients
                    )
                    runs[name].append(rate)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()

    timings, sizes = facts["timings"], facts["sizes"]
    print(f"\nAll {facts['stories']:,} live stories of the demo archive, one process:")
    print(f"  {'partner items':18}{timings['items']:8.2f} s")
    for name, label in (
        ("ninjs3", "ninjs 3.1"),
        ("ninjs2", "ninjs 2.2"),
        ("newsml", "NewsML-G2"),
    ):
        print(
            f"  {label:18}{timings[name]:8.2f} s   {sizes[name] / 1e6:8.1f} MB"
            f"   {facts['stories'] / timings[name]:8,.0f} items/s"
        )
    rates = {name: statistics.median(values) for name, values in runs.items()}
    print(
        f"\nBuilt-in server, {workers} workers, {options.clients} Python clients, "
        f"median of {options.rounds} runs of {options.seconds:.0f} s:"
    )
    for name, label in (
        ("partner", "partner feed, 100 ninjs items"),
        ("api list", "read API, 20 stories listed"),
        ("api story", "read API, one story whole"),
        ("story", "reference: a story page"),
    ):
        print(
            f"  {label} ({size[name]:,} bytes):".ljust(52)
            + f"{rates[name]:8,.0f} requests/s"
        )
    print(
        f"  ratio, partner feed to story page: {rates['partner'] / rates['story']:.3f}"
    )


if __name__ == "__main__":
    main()
