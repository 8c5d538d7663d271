"""newsdesk load_demo: import the Wikinews demo archive and create the demo editor."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from newsdesk.core.errors import NewsdeskError
from newsdesk.stories.demo import (
    CORPUS_ENV,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    corpus_default_path,
    corpus_read,
    demo_archive_load,
)
from newsdesk.stories.demo_extras import demo_extras_add
from newsdesk.stories.models import StoryPage


class Command(BaseCommand):
    help = (
        "Import the demo archive (real Wikinews articles, CC BY 2.5) as live stories "
        "in the Politics, Business and Politics and economy sections, and create the "
        "demo editor account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when there are stories already.",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            metavar="N",
            help="Import only the first N articles.",
        )
        parser.add_argument(
            "--copies",
            type=int,
            default=1,
            metavar="N",
            help="Import the archive N times, each copy dated one archive span "
            "earlier than the one before, to try the site at a larger scale "
            "(default 1).",
        )
        parser.add_argument(
            "--corpus",
            type=Path,
            default=None,
            metavar="PATH",
            help=f"The corpus file (.jsonl.gz); default ${CORPUS_ENV} or the shared corpus.",
        )

        parser.add_argument(
            "--missing-ok",
            action="store_true",
            help="Warn instead of failing when the corpus file is not there.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and StoryPage.objects.exists():
            self.stdout.write(
                "There are stories already; the demo archive is not loaded."
            )
            return
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be 1 or more.")
        copies = options["copies"]
        if copies < 1:
            raise CommandError("--copies must be 1 or more.")
        path = options["corpus"] or corpus_default_path()
        if not path.is_file() and options["missing_ok"]:
            self.stderr.write(
                f"The demo corpus is not at {path}; starting without demo content. "
                f"Set {CORPUS_ENV} to the file wikinews_en.jsonl.gz to load it."
            )
            return
        if not path.is_file():
            raise CommandError(
                f"The demo corpus is not at {path}. Point to the file "
                f"wikinews_en.jsonl.gz with --corpus PATH (or set {CORPUS_ENV})."
            )
        started = time.monotonic()
        try:
            articles = corpus_read(path=path, limit=limit)
            with tqdm(
                total=len(articles) * copies,
                unit="story",
                desc="Importing",
                file=sys.stderr,
                disable=None,
                dynamic_ncols=True,
            ) as bar:

                def progress(done: int, total: int) -> None:
                    bar.update(done - bar.n)

                result = demo_archive_load(
                    articles=articles, copies=copies, progress=progress
                )
        except NewsdeskError as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        elapsed = time.monotonic() - started

        sections = ", ".join(
            f"{title} {count}" for title, count in result.stories_per_section.items()
        )
        replayed = (
            f" ({result.copies} copies of {len(articles)} articles)"
            if result.copies > 1
            else ""
        )
        lines = [
            f"Imported {result.stories} stories{replayed} from {path} "
            f"in {elapsed:.1f} s ({sections}).",
        ]
        if result.sections_created:
            lines.append(
                "Created the sections " + ", ".join(result.sections_created) + "."
            )
        if result.editor_created:
            lines.append(
                f"Demo editor: username {DEMO_USERNAME}, password {DEMO_PASSWORD} "
                "(sign in at /newsroom/)."
            )
        else:
            lines.append(
                f"The account {DEMO_USERNAME!r} exists already and was left as it is."
            )
        extras = demo_extras_add(site_name=settings.NEWSDESK_SITE_NAME)
        lines.append(
            f"Tagged {extras.tagged_stories} stories with {extras.tags} places, "
            f"illustrated {extras.illustrated_stories}, put {extras.top_stories} at "
            f"the top of the home page, added {extras.info_pages} information pages."
        )
        self.stdout.write("\n".join(lines))
