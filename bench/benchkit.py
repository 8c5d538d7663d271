"""What the benchmarks share: a fresh embedded data folder and newsdesk's commands.

bench/ is on sys.path when a script in it runs, so they import this as
``benchkit``.
"""

from __future__ import annotations

import os
import socket
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


REPO = Path(__file__).resolve().parent.parent
NGINX = Path("/usr/sbin/nginx")
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def free_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def nginx_config(
    folder: Path,
    root: Path,
    port: int,
    *,
    app_port: int | None = None,
    workers: int | None = None,
    access_log: bool = False,
) -> Path:
    """Write a main nginx configuration in ``folder`` that includes deploy/nginx.conf
    as production does, serving ``root`` on a loopback ``port``; return its path.

    ``app_port`` points the app upstream somewhere; ``workers`` runs that many worker
    processes (nginx's www-data must then reach the folder), else one process as the
    current user.
    """
    lines = (REPO / "deploy" / "nginx.conf").read_text(encoding="utf-8").splitlines()
    values = {
        "listen 80;": f"listen 127.0.0.1:{port};",
        "root /srv/newsdesk/var/site;": f"root {root};",
    }
    if app_port is not None:
        values["server 127.0.0.1:8000;"] = f"server 127.0.0.1:{app_port};"
    for default, value in values.items():
        # The value's own line, not the comment that names it (deploy/README.md).
        n = next(n for n, line in enumerate(lines) if line.strip().startswith(default))
        lines[n] = lines[n].replace(default, value)
    (folder / "site.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    temp_paths = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    processes = f"worker_processes {workers};\n" if workers else "master_process off;\n"
    log = f"access_log {folder / 'access.log'}" if access_log else "access_log off"
    main = folder / "nginx.conf"
    main.write_text(
        f"daemon off;\n{processes}pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nload_module {BROTLI_MODULE};\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    {log};\n{temp_paths}    include {folder / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    return main
