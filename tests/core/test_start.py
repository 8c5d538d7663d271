"""newsdesk start: one command starts the site on one port, and Ctrl-C stops it all."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.error import HTTPError, URLError

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_start_refuses_a_port_in_use(settings: SettingsWrapper) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings.NEWSDESK_HTTP_HOST = "127.0.0.1"
        settings.NEWSDESK_HTTP_PORT = taken.getsockname()[1]

        with pytest.raises(CommandError, match="NEWSDESK_HTTP_PORT"):
            call_command("start")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _processes_in_sessions(sessions: set[int]) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            # Fields after the name: state, ppid, pgrp, session, ...
            if fields is not None and fields[0] != "Z" and int(fields[3]) in sessions:
                found.append(int(name))
    return found


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback URL we built)
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()
    except (URLError, TimeoutError):  # not listening yet, or still starting
        return 0, b""


@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_start_serves_one_port_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    # given: a migrated database, one reader page, and newsdesk started
    port, smtp_port = free_port(), free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL")
        },
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings.dev",
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        "NEWSDESK_HTTP_PORT": str(port),
        "NEWSDESK_SMTP_PORT": str(smtp_port),
        "NEWSDESK_HTTP_WORKERS": "2",
    }
    subprocess.run(
        [sys.executable, "-m", "newsdesk", "migrate", "--no-input", "-v0"],
        env=env,
        check=True,
        timeout=300,
    )
    site = tmp_path / "data" / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_bytes(b"<!doctype html><title>Home</title>")
    start = subprocess.Popen([sys.executable, "-m", "newsdesk", "start"], env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert start.poll() is None, "newsdesk start stopped"
            assert time.monotonic() < deadline, "the newsroom did not answer in time"
            status, _ = _get(f"http://127.0.0.1:{port}/newsroom/login/")
            if status == 200:
                break
            time.sleep(0.5)
        children = {
            int(name)
            for name in os.listdir("/proc")
            if name.isdigit()
            and (fields := _stat_fields(int(name))) is not None
            and int(fields[1]) == start.pid
        }
        sockets = [
            Path(part)
            for pid in children
            for part in Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            if part.endswith("app.sock")
        ]

        # then: the reader site and the newsroom answer on the one port
        assert _get(f"http://127.0.0.1:{port}/") == (
            200,
            b"<!doctype html><title>Home</title>",
        )
        assert len(children) == 4  # application, web server, mail receiver, worker
        assert sockets
        assert sockets[0].exists()

        # when: Ctrl-C
        start.send_signal(signal.SIGINT)
        code = start.wait(timeout=60)
    finally:
        if start.poll() is None:
            # A failed test must not leave the servers running: they live in
            # sessions of their own, which killing newsdesk start would not end.
            started = [
                int(name)
                for name in os.listdir("/proc")
                if name.isdigit()
                and (fields := _stat_fields(int(name))) is not None
                and int(fields[1]) == start.pid
            ]
            start.kill()
            start.wait()
            for pid in _processes_in_sessions(started):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    # then: everything stopped, nothing is left behind
    assert code == 0
    assert _processes_in_sessions(children) == []
    assert not sockets[0].parent.exists()
