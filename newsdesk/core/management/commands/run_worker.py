"""newsdesk run_worker: run background tasks and the periodic jobs."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("newsdesk.worker")


class PeriodicJobs:
    """Run each job in NEWSDESK_PERIODIC_JOBS at start and then every interval, each
    in its own thread: a slow job (webhooks waiting on a partner's server) never
    delays another (scheduled publishing, due every 30 seconds)."""

    def __init__(self, jobs: list[tuple[str, float]]) -> None:
        self.jobs = [(import_string(path), path, interval) for path, interval in jobs]
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(
                target=self._loop,
                args=(job, path, interval),
                name=f"newsdesk-periodic {path}",
                daemon=True,
            )
            for job, path, interval in self.jobs
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait up to ``timeout`` seconds in all for the jobs to finish their run."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self.threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)

    def is_alive(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def _loop(self, job: Any, path: str, interval: float) -> None:
        due = time.monotonic()
        try:
            while not self.stopping.is_set():
                self._run(job, path)
                # The next run is an interval after this one began; a run that took
                # longer than its interval is followed at once, never skipped.
                due += interval
                now = time.monotonic()
                if due < now:
                    due = now
                self.stopping.wait(due - now)
        finally:
            connections.close_all()

    def _run(self, job: Any, path: str) -> None:
        close_old_connections()
        try:
            result = job()
        except Exception:
            logger.exception(
                "Periodic job %s failed; it runs again at its next time", path
            )
        else:
            if result:
                logger.info("%s: %s", path, result)
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks plus periodic jobs (Ctrl-C stops it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=0.5,
            help="Seconds between looks at an empty queue.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        periodic = PeriodicJobs(list(settings.NEWSDESK_PERIODIC_JOBS))
        periodic.start()
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
        )
        worker.configure_signals()  # SIGINT/SIGTERM finish the running task, then stop
        self.stdout.write("Worker running: queued tasks and periodic jobs.")
        try:
            worker.run()
        finally:
            periodic.stopping.set()
            periodic.join(timeout=10)
        self.stdout.write("Worker stopped.")
