"""Messages per second through receive, store and parse, and the time from the mail
receiver's 250 to the submission being in the queue.

Run from the repository root:

    uv run python bench/mail_intake.py [--messages 300] [--latency-samples 30]

In a fresh data folder (the embedded setup: SQLite, no Redis), ``newsdesk
run_mail_receiver`` and ``newsdesk run_worker`` run as their own processes, as
``newsdesk start`` runs them. Then:

1. latency: one message at a time, the time from the receiver's 250 reply to the
   submission being in the queue (its row committed), ``--latency-samples`` times;
2. throughput: ``--messages`` messages sent over one SMTP connection as fast as the
   receiver takes them; messages per second from the first send to the last
   submission in the queue, and for the receiver alone (stored and answered 250).

Target (issue 4): a submission in the queue under 2 s after 250 (median and p90).
Exits 1 when it is missed.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from benchkit import REPO, embedded_env, free_port, newsdesk

TARGET_SECONDS = 2.0
STORY = (
    "KABUL — Floodwater reached the old city on Tuesday after three days of rain "
    "in the mountains to the north. Residents carried what they could uphill.\n\n"
    "Volunteers ran boats along the flooded streets near the river."
)


def _message(number: int, run: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Writer {number} <writer{number}@writers.example>"
    message["To"] = "stories@newsdesk.localhost"
    message["Subject"] = f"Floods reach the capital, report {number}"
    message["Message-ID"] = f"<bench-{run}-{number}@writers.example>"
    message.set_content(f"{STORY}\n\nReport number {number}.")
    return message


def _in_queue(database: Path, message_id: str) -> bool:
    with sqlite3.connect(database, timeout=30) as db:
        row = db.execute(
            "SELECT 1 FROM contributions_submission WHERE message_id = ?", (message_id,)
        ).fetchone()
    return row is not None


def _count(database: Path, prefix: str) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM contributions_submission WHERE message_id LIKE ?",
            (f"<{prefix}%",),
        ).fetchone()
    return int(count)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the mail receiver stopped at start (exit {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the mail receiver did not listen on {port} within 30 s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--latency-samples", type=int, default=30)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="newsdesk-intake-"))
    env = embedded_env(folder)
    port = free_port()
    env["NEWSDESK_SMTP_PORT"] = str(port)
    # Senders here are writers the agency knows: the bench measures intake, not the
    # confirmation a new writer's first message waits for.
    env["NEWSDESK_CONFIRM_NEW_WRITERS"] = "false"
    database = folder / "newsdesk.sqlite3"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        newsdesk(env, "migrate", "--no-input", "-v0")
        for command in ("run_mail_receiver", "run_worker"):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "newsdesk", command],
                    env=env,
                    cwd=REPO,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        _wait_for_port(port, processes[0])
        time.sleep(1.0)  # the worker's first sweep and periodic jobs

        latencies = []
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for number in range(options.latency_samples):
                message = _message(number, "latency")
                smtp.send_message(message)
                answered = time.perf_counter()
                while not _in_queue(database, str(message["Message-ID"])):
                    if time.perf_counter() - answered > 60:
                        sys.exit("a submission did not reach the queue within 60 s")
                    time.sleep(0.01)
                latencies.append(time.perf_counter() - answered)
                print(
                    f"\r  latency: {number + 1}/{options.latency_samples}",
                    end="",
                    file=sys.stderr,
                )
        print(file=sys.stderr)

        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for number in range(options.messages):
                smtp.send_message(_message(number, "burst"))
        received = time.perf_counter() - started
        while _count(database, "bench-burst") < options.messages:
            if time.perf_counter() - started > 600:
                sys.exit("the burst did not reach the queue within 10 minutes")
            time.sleep(0.05)
        queued = time.perf_counter() - started
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)

    median = statistics.median(latencies)
    p90 = percentile(latencies, 0.9)
    print(
        f"CPUs: {os.cpu_count()}   embedded setup (SQLite)   load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"250 to queue, {len(latencies)} messages one at a time: median {median:.3f} s, "
        f"p90 {p90:.3f} s, max {max(latencies):.3f} s (target under {TARGET_SECONDS:.0f} s)"
    )
    print(
        f"{options.messages} messages over one connection: received and stored in "
        f"{received:.1f} s ({options.messages / received:.0f} messages/s at the "
        f"receiver), all in the queue after {queued:.1f} s "
        f"({options.messages / queued:.0f} messages/s through receive, store and parse)"
    )
    passed = p90 < TARGET_SECONDS
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
