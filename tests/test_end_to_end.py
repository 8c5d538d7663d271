"""A contributor's emailed story reaches readers: the real servers, the real commands.

Starts ``newsdesk start`` (granian web server, SMTP receiver, worker) on free loopback
ports over a fresh database, sends a story with smtplib, accepts and publishes it with
the ``newsdesk`` commands and reads the result over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.error import HTTPError

import feedparser
import pytest

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "newsdesk start exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database for the subprocesses: SQLite, or a new PostgreSQL database."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
        return
    import psycopg

    name = f"newsdesk_e2e_{uuid.uuid4().hex[:12]}"
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    http_port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings.dev",
        "DATABASE_URL": database_url,
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        "NEWSDESK_HTTP_PORT": str(http_port),
        "NEWSDESK_SMTP_PORT": str(smtp_port),
        "NEWSDESK_SITE_URL": f"http://127.0.0.1:{http_port}",
        "NEWSDESK_HTTP_WORKERS": "1",
        "NEWSDESK_USER": "editor",
        # The writer here is one the agency knows; a new writer's confirmation is
        # covered by tests/contributions/test_confirmation.py.
        "NEWSDESK_CONFIRM_NEW_WRITERS": "false",
    }
    env.pop("REDIS_URL", None)
    return env


def newsdesk(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, (
        f"newsdesk {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback URL we built)
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read().decode(),
            )
    except HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def test_an_emailed_story_is_accepted_published_and_read(
    environment: dict[str, str],
) -> None:
    # given: a migrated database with sections and the demo editor, and newsdesk running
    env = environment
    newsdesk(env, "migrate", "--no-input")
    newsdesk(env, "load_demo", "--limit", "40")
    newsdesk(env, "build_site")
    site = env["NEWSDESK_SITE_URL"]
    server = subprocess.Popen([sys.executable, "-m", "newsdesk", "start"], env=env)
    try:
        wait_for_port(int(env["NEWSDESK_HTTP_PORT"]), server)
        wait_for_port(int(env["NEWSDESK_SMTP_PORT"]), server)

        # when: a contributor emails a story
        message = EmailMessage()
        message["From"] = "Farida Noori <farida@writers.example>"
        message["To"] = "stories@newsdesk.localhost"
        message["Subject"] = "Floodwater reaches the old city"
        message["Message-ID"] = "<e2e-flood@writers.example>"
        message.set_content(
            "KABUL — Floodwater reached the old city on Tuesday.\n\nResidents moved uphill."
        )
        with smtplib.SMTP(
            "127.0.0.1", int(env["NEWSDESK_SMTP_PORT"]), timeout=10
        ) as smtp:
            refused = smtp.send_message(message)
        assert refused == {}

        # then: the worker turns it into a submission in the queue
        submissions: list[dict[str, object]] = []
        deadline = time.monotonic() + 20
        while not submissions and time.monotonic() < deadline:
            submissions = json.loads(newsdesk(env, "list_submissions", "--json"))
            time.sleep(0.3)
        assert [s["headline"] for s in submissions] == [
            "Floodwater reaches the old city"
        ]
        assert submissions[0]["sender_email"] == "farida@writers.example"

        # when: an editor accepts it into a section and publishes it
        accepted = newsdesk(
            env, "accept_submission", str(submissions[0]["id"]), "--section", "politics"
        )
        story_id = re.search(r"draft story (\d+)", accepted)
        assert story_id, accepted
        published = newsdesk(env, "publish_story", story_id.group(1))
        story_url = re.search(r"Read it at (\S+)", published)
        assert story_url, published

        # then: readers get the story page, the home page and the feed over HTTP
        status, content_type, page = fetch(story_url.group(1))
        assert (status, content_type.split(";")[0]) == (200, "text/html")
        assert "Floodwater reaches the old city" in page
        assert "Residents moved uphill." in page
        ld = json.loads(
            re.search(
                r'<script type="application/ld\+json">(.*?)</script>', page, re.S
            ).group(1)
        )  # type: ignore[union-attr]
        assert ld["@type"] == "NewsArticle"
        assert ld["headline"] == "Floodwater reaches the old city"
        assert [a["name"] for a in ld["author"]] == ["Farida Noori"]

        status, _, home = fetch(site + "/")
        assert status == 200
        assert "Floodwater reaches the old city" in home
        assert re.search(
            r'<link rel="alternate" type="application/rss\+xml"[^>]*href="[^"]*rss\.xml"',
            home,
        )

        status, _, feed_text = fetch(site + "/rss.xml")
        feed = feedparser.parse(feed_text)
        assert status == 200
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.entries[0].title == "Floodwater reaches the old city"
        assert feed.entries[0].link == story_url.group(1)

        # and the newsroom answers at /newsroom/ (its sign-in page)
        status, _, login = fetch(site + "/newsroom/login/")
        assert status == 200
        assert "password" in login.lower()

        # when: the story is unpublished, it leaves the site
        newsdesk(env, "unpublish_story", story_id.group(1))
        assert fetch(story_url.group(1))[0] == 404
        assert "Floodwater reaches the old city" not in fetch(site + "/")[2]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert code == 0
