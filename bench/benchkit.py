"""What the benchmarks share: a fresh embedded data folder and newsdesk's commands.

bench/ is on sys.path when a script in it runs, so they import this as
``benchkit``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path


def embedded_env(folder: Path) -> dict[str, str]:
    """Return the environment of a first start with its data in ``folder``.

    The embedded setup (SQLite, no Redis) is what a first start uses; a configured
    database is never touched.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings.dev",
        "NEWSDESK_DATA_DIR": str(folder),
    }
    for variable in ("DATABASE_URL", "REDIS_URL", "NEWSDESK_OUTPUT_DIR"):
        env.pop(variable, None)
    return env


def newsdesk(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run a newsdesk command (its progress on stderr); return seconds and output."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(
            f"`newsdesk {' '.join(args)}` failed (exit code {result.returncode}):\n"
            f"{result.stdout}"
        )
    return elapsed, result.stdout


def missing_commands(env: dict[str, str], required: Iterable[str]) -> list[str]:
    """Return the commands of ``required`` this checkout does not have."""
    _, listing = newsdesk(env, "help", "--commands")
    available = set(listing.split())
    return [command for command in required if command not in available]
