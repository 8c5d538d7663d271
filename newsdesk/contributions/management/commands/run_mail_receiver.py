"""newsdesk run_mail_receiver: take contributors' mail over SMTP and store it."""

from __future__ import annotations

import errno
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.contributions.receiver import MailReceiver, size_text


class Command(BaseCommand):
    help = "Run the SMTP mail receiver; every message is stored before it is accepted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", help="Address to listen on (default: NEWSDESK_SMTP_HOST)."
        )
        parser.add_argument(
            "--port", type=int, help="Port to listen on (default: NEWSDESK_SMTP_PORT)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"] or settings.NEWSDESK_SMTP_HOST
        port: int = (
            options["port"]
            if options["port"] is not None
            else settings.NEWSDESK_SMTP_PORT
        )
        max_bytes: int = settings.NEWSDESK_MAIL_MAX_BYTES
        receiver = MailReceiver(host=host, port=port, max_bytes=max_bytes)
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = {
            signum: signal.signal(signum, stop)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            try:
                receiver.start()
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise CommandError(
                        f"port {port} is already in use: "
                        "set NEWSDESK_SMTP_PORT to a free port"
                    ) from exc
                raise CommandError(
                    f"The mail receiver cannot listen on {host}:{port}: {exc}"
                ) from exc
            self.stdout.write(
                f"Mail receiver listening on smtp://{host}:{receiver.port} "
                f"(messages up to {size_text(max_bytes)}). Press Ctrl-C to stop."
            )
            self.stdout.flush()
            while not stopping.wait(0.5):
                pass
            self.stdout.write("Stopping the mail receiver ...")
        finally:
            receiver.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Mail receiver stopped.")
