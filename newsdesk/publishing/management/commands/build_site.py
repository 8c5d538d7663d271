"""newsdesk build_site: write the whole reader site into the output folder."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from newsdesk.publishing.output import output_root
from newsdesk.publishing.services import BUILT_MARKER, site_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the whole reader site (every page, the feed) into the output folder "
        "and remove pages no longer published."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Only build when no full build has finished in the output folder yet.",
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
        started = time.monotonic()
        # No monitor thread: the rebuild forks worker processes.
        tqdm.monitor_interval = 0
        with tqdm(
            total=0,
            unit="file",
            desc="Building",
            file=sys.stderr,
            disable=None,
            dynamic_ncols=True,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            count = site_rebuild(progress=progress, workers=options["workers"])
        elapsed = time.monotonic() - started
        self.stdout.write(f"Wrote {count} files to {root} in {elapsed:.1f} s.")
