"""newsdesk build_site: write the whole reader site into the output folder."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from newsdesk.publishing.output import output_root
from newsdesk.publishing.services import BUILT_MARKER, REBUILD_JOURNAL, site_rebuild

# Without a terminal (a log, CI), a progress line every tenth of the way.
PLAIN_STEPS = 10


class Command(BaseCommand):
    help = (
        "Rebuild the whole reader site (every page, the feeds) into the output "
        "folder and remove pages no longer published. An interrupted rebuild "
        "resumes where it stopped when run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Only build when no full build has finished in the output folder yet.",
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Start afresh instead of resuming an interrupted rebuild "
            "(after changing templates).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes rendering story pages (default: one per CPU when many).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = output_root()
        if options["if_missing"] and (root / BUILT_MARKER).exists():
            self.stdout.write(f"The site is already built in {root}; nothing to do.")
            return
        if (root / REBUILD_JOURNAL).exists() and not options["restart"]:
            self.stdout.write(
                "Resuming the rebuild that was stopped (--restart starts afresh)."
            )
        started = time.monotonic()
        interactive = sys.stderr.isatty()
        # No monitor thread: the rebuild forks worker processes.
        tqdm.monitor_interval = 0
        next_step = 0
        with tqdm(
            total=0,
            unit="file",
            desc="Building",
            file=sys.stderr,
            disable=not interactive,
            dynamic_ncols=True,
        ) as bar:

            def progress(done: int, total: int) -> None:
                nonlocal next_step
                bar.total = total
                bar.update(done - bar.n)
                if (
                    not interactive
                    and total
                    and done * PLAIN_STEPS >= next_step * total
                ):
                    share = done * 100 // total
                    self.stderr.write(f"Building: {done} of {total} files ({share}%)")
                    next_step = done * PLAIN_STEPS // total + 1

            try:
                count = site_rebuild(
                    progress=progress,
                    workers=options["workers"],
                    resume=not options["restart"],
                )
            except KeyboardInterrupt:
                raise CommandError(
                    f"Stopped after {bar.n} of {bar.total} files. The site in {root} "
                    "is whole (every file is replaced in one step); run build_site "
                    "again to resume."
                ) from None
        elapsed = time.monotonic() - started
        self.stdout.write(f"Wrote {count} files to {root} in {elapsed:.1f} s.")
