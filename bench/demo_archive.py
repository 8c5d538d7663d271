"""Time the first start's heavy steps: importing the demo archive and building the site.

Run from the repository root:

    uv run python bench/demo_archive.py [--limit N] [--keep]

A fresh data folder (SQLite database, output folder) is made in a temporary
directory; ``newsdesk migrate``, ``newsdesk load_demo`` and ``newsdesk build_site``
run in it as subprocesses, as ``make run`` runs them on a first start. The import
and the site build must finish together within two minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchkit import embedded_env, missing_commands, newsdesk

BUDGET_SECONDS = 120.0
TIMED = ("load_demo", "build_site")


def count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--limit", type=int, help="Import only the first N articles (default: all)."
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the data folder and print its path."
    )
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    env = embedded_env(folder)
    try:
        absent = missing_commands(env, TIMED)
        if absent:
            print(
                "Cannot run the benchmark: this checkout has no "
                + " or ".join(f"`newsdesk {c}`" for c in absent)
                + " command yet.",
                file=sys.stderr,
            )
            return 2
        migrate_seconds, _ = newsdesk(env, "migrate", "--no-input", "-v0")
        load_args = ["--limit", str(options.limit)] if options.limit else []
        load_seconds, load_output = newsdesk(env, "load_demo", *load_args)
        build_seconds, build_output = newsdesk(env, "build_site")
        files = count_files(folder / "site")
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)

    total = load_seconds + build_seconds
    verdict = "within" if total <= BUDGET_SECONDS else "OVER"
    print()
    print(load_output.strip())
    print(build_output.strip())
    print()
    print(
        f"CPUs: {os.cpu_count()}   data folder: {folder}{'' if options.keep else ' (removed)'}"
    )
    print(f"  migrate       {migrate_seconds:7.1f} s  (not counted)")
    print(f"  load_demo     {load_seconds:7.1f} s")
    print(
        f"  build_site    {build_seconds:7.1f} s  ({files} files in the output folder)"
    )
    print(
        f"  total         {total:7.1f} s  {verdict} the {BUDGET_SECONDS:.0f} s budget"
    )
    return 0 if total <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
