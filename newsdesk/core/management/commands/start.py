"""newsdesk start: run the web server, the mail receiver and the worker together.

The web server is two processes on one port: the built-in server
(``newsdesk.publishing.fastserve``) answers reading the reader site from the output
folder, and passes everything else to the Django application under granian, which
listens on a private Unix socket.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.publishing.fastserve import web_server_commands

STOP_GRACE_SECONDS = 10


def signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    """Send a signal to a child started in a session of its own and its processes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


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
            help=(
                "Processes of the web server, and as many of the application behind "
                "it (default: one per core, at most 4)."
            ),
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
        # The application's socket: a short path (Unix sockets allow about 100
        # bytes), in a folder only this user can open (mkdtemp makes it 0700).
        socket_folder = Path(tempfile.mkdtemp(prefix="newsdesk-"))
        try:
            self._run(
                {
                    **web_server_commands(
                        host=http[0],
                        port=http[1],
                        root=Path(settings.NEWSDESK_OUTPUT_DIR),
                        workers=max(options["http_workers"], 1),
                        socket_path=socket_folder / "app.sock",
                    ),
                    "mail receiver": [*manage, "run_mail_receiver"],
                    "worker": [*manage, "run_worker"],
                },
                env,
                http,
                smtp,
            )
        finally:
            shutil.rmtree(socket_folder, ignore_errors=True)

    def _run(
        self,
        commands: dict[str, list[str]],
        env: dict[str, str],
        http: tuple[str, int],
        smtp: tuple[str, int],
    ) -> None:
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
            # The whole group: a server's worker processes too, which may not have
            # heard from their parent yet when it is stopped while starting.
            signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, child in children.items():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.stderr.write(
                    f"The {name} did not stop in {STOP_GRACE_SECONDS} s; killing it."
                )
                signal_group(child, signal.SIGKILL)
                child.wait()
            # Workers of a parent that stopped must not outlive it.
            signal_group(child, signal.SIGKILL)
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
            if settings.NEWSDESK_TWO_FACTOR_REQUIRED:
                lines.append(
                    "                  (the first sign-in sets up two-factor sign-in: "
                    "have an authenticator app ready)"
                )
        lines += ["Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
