"""newsdesk run_worker: run background tasks and the periodic jobs."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("newsdesk.worker")


class PeriodicJobs(threading.Thread):
    """Run each job in NEWSDESK_PERIODIC_JOBS at start and then every interval."""

    def __init__(self, jobs: list[tuple[str, float]]) -> None:
        super().__init__(name="newsdesk-periodic", daemon=True)
        self.jobs = [(import_string(path), path, interval) for path, interval in jobs]
        self.stopping = threading.Event()

    def run(self) -> None:
        due = dict.fromkeys((path for _, path, _ in self.jobs), 0.0)
        clock = 0.0
        while not self.stopping.is_set():
            for job, path, interval in self.jobs:
                if clock >= due[path]:
                    # A missed run is caught up at the next tick, never skipped.
                    self._run(job, path)
                    due[path] = clock + interval
            tick = min(interval for _, _, interval in self.jobs) if self.jobs else 60.0
            self.stopping.wait(tick)
            clock += tick
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
