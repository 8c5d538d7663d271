"""Story-page requests per second: the built-in server against nginx, same file.

Run from the repository root (needs Debian's nginx with the brotli_static module and
wrk: `make system-deps` and `apt-get install wrk`):

    uv run python bench/serve_static.py [--seconds 10] [--connections 64] [--rounds 3]

A fresh data folder gets the first 300 demo stories and a full site build; then the
built-in server (as `newsdesk start` runs it: `newsdesk.publishing.fastserve` on the
port with granian and `newsdesk.wsgi` behind it, one worker per core each) and nginx
(with `deploy/nginx.conf`, one worker per core) serve the same story page on loopback
ports, measured by wrk in turn, with and without Brotli. Each figure is the median
of `--rounds` runs, the two servers taking turns, so a burst of other work on the
machine weighs on both alike. The issue's target: the built-in server at least half
of nginx.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import BROTLI_MODULE, NGINX, REPO, free_port, nginx_config

from newsdesk.publishing.fastserve import web_server_commands

TARGET_RATIO = 0.5


def wait_for(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} stopped at start (exit code {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{name} did not listen on port {port} within 30 s")


def newsdesk(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"newsdesk {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def wrk(url: str, *, seconds: int, connections: int, brotli: bool) -> float:
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s"]
    if brotli:
        command += ["-H", "Accept-Encoding: br, gzip"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        sys.exit(f"wrk saw {errors.group(1)} error responses from {url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        sys.exit(f"Could not read wrk's output:\n{output}")
    return float(match.group(1))


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and its worker processes (its own process group, if it has one)."""
    try:
        group = os.getpgid(process.pid)
    except ProcessLookupError:
        group = None
    if group == process.pid:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if group == process.pid:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--stories", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    for tool, hint in (
        (NGINX, "make system-deps"),
        (BROTLI_MODULE, "make system-deps"),
    ):
        if not tool.exists():
            sys.exit(f"{tool} is missing: run `{hint}`")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="newsdesk-serve-") as temp:
        folder = Path(temp)
        folder.chmod(0o755)  # nginx's workers (www-data) must reach the output folder
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL")
        }
        env |= {
            "DJANGO_SETTINGS_MODULE": "newsdesk.settings.dev",
            "NEWSDESK_DATA_DIR": str(folder / "data"),
        }
        print(f"Building a site of {options.stories} demo stories in {folder} ...")
        newsdesk(env, "migrate", "--no-input", "-v0")
        newsdesk(env, "load_demo", "--limit", str(options.stories))
        newsdesk(env, "build_site")
        root = folder / "data" / "site"
        story = next(
            p for p in sorted((root / "politics").iterdir()) if p.name != "archive"
        )
        path = "/" + str(story.relative_to(root)) + "/"
        size = (story / "index.html").stat().st_size
        br_size = (story / "index.html.br").stat().st_size

        app_port, nginx_port = free_port(), free_port()
        commands = web_server_commands(
            host="127.0.0.1",
            port=app_port,
            root=root,
            workers=workers,
            socket_path=folder / "app.sock",
        )
        built_in = [
            subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True)
            for command in commands.values()
        ]
        nginx = subprocess.Popen(
            [
                str(NGINX),
                "-c",
                str(nginx_config(folder, root, nginx_port, workers=workers)),
            ]
        )
        try:
            wait_for(app_port, built_in[-1], "the built-in server")
            wait_for(nginx_port, nginx, "nginx")
            runs: dict[tuple[str, bool], list[float]] = {}
            for brotli in (False, True):
                for port in (app_port, nginx_port):  # warm up
                    url = f"http://127.0.0.1:{port}{path}"
                    wrk(url, seconds=2, connections=options.connections, brotli=brotli)
                for _ in range(options.rounds):
                    for name, port in (("built-in", app_port), ("nginx", nginx_port)):
                        runs.setdefault((name, brotli), []).append(
                            wrk(
                                f"http://127.0.0.1:{port}{path}",
                                seconds=options.seconds,
                                connections=options.connections,
                                brotli=brotli,
                            )
                        )
            results = {key: statistics.median(values) for key, values in runs.items()}
        finally:
            for process in built_in:
                stop(process)
            stop(nginx)

    print(
        f"\nStory page {path} ({size:,} bytes, {br_size:,} as Brotli); "
        f"wrk, {options.connections} connections, median of {options.rounds} runs of "
        f"{options.seconds} s, {workers} CPUs, server workers: {workers}"
    )
    print(f"{'':24}{'built-in':>12}{'nginx':>12}{'ratio':>9}")
    worst = 1.0
    for brotli in (False, True):
        ours, theirs = results["built-in", brotli], results["nginx", brotli]
        ratio = ours / theirs
        worst = min(worst, ratio)
        label = "Accept-Encoding: br" if brotli else "uncompressed"
        print(f"{label:24}{ours:>12,.0f}{theirs:>12,.0f}{ratio:>9.2f}")
    verdict = "meets" if worst >= TARGET_RATIO else "misses"
    print(f"\nThe built-in server {verdict} the target of {TARGET_RATIO:.0%} of nginx.")
    sys.exit(0 if worst >= TARGET_RATIO else 1)


if __name__ == "__main__":
    main()
