"""The worker's periodic jobs: run at start, again at their interval, never fatal."""

from __future__ import annotations

import threading

import pytest

from newsdesk.core.management.commands.run_worker import PeriodicJobs

calls: list[str] = []
ran_twice = threading.Event()


def record_job() -> str:
    calls.append("ran")
    if calls.count("ran") >= 2:
        ran_twice.set()
    return "did something"


def broken_job() -> None:
    calls.append("broken")
    raise RuntimeError("the mailbox is down")


def test_periodic_jobs_run_at_start_and_again_after_their_interval() -> None:
    calls.clear()
    ran_twice.clear()
    jobs = PeriodicJobs([(f"{__name__}.record_job", 0.05)])

    jobs.start()
    assert ran_twice.wait(timeout=5)
    jobs.stopping.set()
    jobs.join(timeout=5)

    assert not jobs.is_alive()
    assert calls[:2] == ["ran", "ran"]


def test_a_failing_job_is_logged_and_the_others_keep_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls.clear()
    ran_twice.clear()
    jobs = PeriodicJobs(
        [(f"{__name__}.broken_job", 0.05), (f"{__name__}.record_job", 0.05)]
    )

    jobs.start()
    assert ran_twice.wait(timeout=5)
    jobs.stopping.set()
    jobs.join(timeout=5)

    assert calls.count("broken") >= 2
    assert "the mailbox is down" in caplog.text
