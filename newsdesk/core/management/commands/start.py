"""newsdesk start: run the web server, the mail receiver and the worker together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_GRACE_SECONDS = 10


def port_is_free(host: str, port: int) -> bool:
    """Return whether a TCP server could listen on host:port now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = "Start newsdesk: web server (reader site and newsroom), mail receiver and worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--http-workers",
            type=int,
            default=int(os.environ.get("NEWSDESK_HTTP_WORKERS", "0"))
            or min(os.cpu_count() or 1, 4),
            help="Web server processes (default: one per core, at most 4).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        http = (settings.NEWSDESK_HTTP_HOST, settings.NEWSDESK_HTTP_PORT)
        smtp = (settings.NEWSDESK_SMTP_HOST, settings.NEWSDESK_SMTP_PORT)
        for (host, port), variable in (
            (http, "NEWSDESK_HTTP_PORT"),
            (smtp, "NEWSDESK_SMTP_PORT"),
        ):
            if not port_is_free(host, port):
                raise CommandError(
                    f"Port {port} on {host} is already in use: stop what uses it, "
                    f"or set {variable} to a free port."
                )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "newsdesk.settings.dev"
            ),
        }
        manage = [sys.executable, "-m", "newsdesk"]
        commands = {
            "web server": [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                http[0],
                "--port",
                str(http[1]),
                "--workers",
                str(max(options["http_workers"], 1)),
                "--blocking-threads",
                "1",
                "--no-access-log",
                "newsdesk.wsgi:application",
            ],
            "mail receiver": [*manage, "run_mail_receiver"],
            "worker": [*manage, "run_worker"],
        }
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in commands.items():
            # Children get their own process group, so a Ctrl-C reaches only us and we
            # stop them in order, each with its own SIGTERM.
            children[name] = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
        self._announce(http, smtp)

        failed = ""
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = f"The {name} stopped unexpectedly (exit code {child.returncode})."
                    stopping = True
                    break
            time.sleep(0.2)

        self.stdout.write("Stopping newsdesk ...")
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, child in children.items():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.stderr.write(
                    f"The {name} did not stop in {STOP_GRACE_SECONDS} s; killing it."
                )
                child.kill()
                child.wait()
        if failed:
            raise CommandError(failed + " See its messages above.")
        self.stdout.write("Stopped.")

    def _announce(self, http: tuple[str, int], smtp: tuple[str, int]) -> None:
        base = f"http://{http[0]}:{http[1]}"
        lines = [
            "",
            "newsdesk is running:",
            f"  Reader site     {base}/",
            f"  Newsroom        {base}/newsroom/",
            f"  Mail receiver   smtp://{smtp[0]}:{smtp[1]}  (send stories to any address here)",
            f"  Output folder   {settings.NEWSDESK_OUTPUT_DIR}",
        ]
        if get_user_model().objects.filter(username="editor").exists():
            lines.append("  Demo editor     username editor, password newsdesk-demo")
        lines += ["Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
