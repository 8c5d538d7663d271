"""newsdesk rebuild_search_index: index every live story for the reader search again."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from newsdesk.search.models import IndexedStory
from newsdesk.search.services import REBUILD_BATCH, search_rebuild


class Command(BaseCommand):
    help = (
        "Index every live story for the reader search and drop the rows of stories "
        "no longer live. Safe to run at any time; readers can search meanwhile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the index holds stories already (for first starts).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=REBUILD_BATCH,
            metavar="N",
            help=f"Stories written per transaction (default {REBUILD_BATCH}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        if options["if_empty"] and IndexedStory.objects.exists():
            self.stdout.write("The search index holds stories already; left as it is.")
            return
        started = time.monotonic()
        with tqdm(
            unit="story",
            desc="Indexing",
            file=sys.stderr,
            disable=None,
            dynamic_ncols=True,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            count = search_rebuild(batch_size=options["batch_size"], progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Indexed {count} live stories for the reader search in {elapsed:.1f} s."
        )
