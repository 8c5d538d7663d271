"""Stories go live and come down at the times editors set with Wagtail's Set schedule,
when the worker's scheduled publishing run comes round, catching up after downtime."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from wagtail.models import PageLogEntry, Revision
from wagtail.signals import page_published

from newsdesk.accounts.models import User
from newsdesk.stories.models import StoryEvent, StoryPage
from newsdesk.stories.scheduling import scheduled_publishing_run
from tests.publishing.conftest import output_files, read

StoryFactory = Callable[..., StoryPage]
Run = Callable[[datetime], int]

NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def schedule(
    story: StoryPage,
    *,
    by: User,
    go_live_at: datetime | None = None,
    expire_at: datetime | None = None,
    from_time: datetime = NOON - timedelta(hours=8),
) -> None:
    """Set a story's schedule and press Publish, as in the page editor, at
    ``from_time``; a go-live time ahead of it makes an approved scheduled revision."""
    with time_machine.travel(from_time, tick=False):
        story.go_live_at = go_live_at
        story.expire_at = expire_at
        story.save_revision(user=by).publish(user=by)
    story.refresh_from_db()


def page_file(story: StoryPage) -> str:
    return f"world/{story.slug}/index.html"


def scheduled_publishes() -> list[int]:
    """Return the pages Wagtail's log says went live on schedule, in order."""
    return list(
        PageLogEntry.objects.filter(action="wagtail.publish.scheduled")
        .order_by("timestamp", "pk")
        .values_list("page_id", flat=True)
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Run:
    """Run the worker's job at a moment, and the publisher's after-commit work."""

    def run_at(moment: datetime) -> int:
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return scheduled_publishing_run()

    return run_at


def test_a_scheduled_story_goes_live_at_its_time_and_not_before(
    story_factory: StoryFactory, editor: User, run: Run
) -> None:
    # given: a draft an editor scheduled for noon
    story = story_factory(title="Election results announced")
    schedule(story, go_live_at=NOON, by=editor)
    assert not story.live
    assert Revision.objects.filter(approved_go_live_at=NOON).count() == 1

    # when: the worker runs a minute early, then 20 seconds after noon
    early = run(NOON - timedelta(minutes=1))
    story.refresh_from_db()
    live_early = story.live
    files_early = output_files()
    on_time = run(NOON + timedelta(seconds=20))

    # then: nothing happens early; on time the story is live and on the site
    assert early == 0
    assert not live_early
    assert page_file(story) not in files_early
    assert on_time == 1
    story.refresh_from_db()
    assert story.live
    assert story.first_published_at == NOON + timedelta(seconds=20)
    assert "Election results announced" in read(page_file(story))
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()
    assert scheduled_publishes() == [story.pk]
    event = story.events.get(kind=StoryEvent.Kind.PUBLISHED)
    assert event.actor == editor
    assert event.note == "Published at its scheduled time, 2026-03-14 12:00 UTC."


def test_a_story_scheduled_to_expire_goes_off_the_site_after_its_time(
    story_factory: StoryFactory,
    editor: User,
    run: Run,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a story published in the morning, set to expire at noon
    story = story_factory(title="Polling stations open")
    with django_capture_on_commit_callbacks(execute=True):
        schedule(story, expire_at=NOON, by=editor)
    assert story.live
    assert page_file(story) in output_files()

    # when: the worker runs a minute before noon, then just after
    early = run(NOON - timedelta(minutes=1))
    files_early = output_files()
    on_time = run(NOON + timedelta(seconds=5))

    # then: it stays up until noon, then is off the site, marked expired
    assert early == 0
    assert page_file(story) in files_early
    assert on_time == 1
    story.refresh_from_db()
    assert not story.live
    assert story.expired
    assert page_file(story) not in output_files()
    assert PageLogEntry.objects.filter(
        page=story, action="wagtail.unpublish.scheduled"
    ).exists()
    event = story.events.get(kind=StoryEvent.Kind.UNPUBLISHED)
    assert event.note == "Expired at its scheduled time, 2026-03-14 12:00 UTC."


def test_after_downtime_every_missed_story_goes_live_in_the_order_of_its_time(
    story_factory: StoryFactory, editor: User, run: Run
) -> None:
    # given: three stories scheduled for 06:00, 07:00 and 08:00 (made out of order)
    eight = story_factory(title="Eight o'clock story")
    six = story_factory(title="Six o'clock story")
    seven = story_factory(title="Seven o'clock story")
    for story, hour in ((eight, 8), (six, 6), (seven, 7)):
        schedule(story, go_live_at=NOON.replace(hour=hour), by=editor)

    # when: the worker, down since 05:00, comes back at 11:00
    published = run(NOON.replace(hour=11))

    # then: one run publishes all three, earliest first
    assert published == 3
    assert scheduled_publishes() == [six.pk, seven.pk, eight.pk]
    for story in (six, seven, eight):
        story.refresh_from_db()
        assert story.live
        assert story.title in read(page_file(story))


def test_a_story_whose_time_to_go_live_and_to_expire_both_passed_ends_off_the_site(
    story_factory: StoryFactory, editor: User, run: Run
) -> None:
    # given: a story to be up from 06:00 to 07:00, while the worker was down
    story = story_factory(title="Morning traffic warning")
    schedule(
        story,
        go_live_at=NOON.replace(hour=6),
        expire_at=NOON.replace(hour=7),
        by=editor,
    )

    # when: the worker comes back at 11:00
    changed = run(NOON.replace(hour=11))

    # then: Wagtail publishes it late and the same run takes it down again
    assert changed == 2
    story.refresh_from_db()
    assert not story.live
    assert story.expired
    assert page_file(story) not in output_files()


def test_running_twice_publishes_and_unpublishes_nothing_twice(
    story_factory: StoryFactory,
    editor: User,
    run: Run,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: one story due to go live at noon and one due to expire then
    coming = story_factory(title="Coming up")
    schedule(coming, go_live_at=NOON, by=editor)
    going = story_factory(title="Going down")
    with django_capture_on_commit_callbacks(execute=True):
        schedule(going, expire_at=NOON, by=editor)

    # when: the worker runs after noon, and again 30 seconds later
    first = run(NOON + timedelta(seconds=10))
    counts = (
        Revision.objects.count(),
        PageLogEntry.objects.count(),
        StoryEvent.objects.count(),
    )
    files = output_files()
    second = run(NOON + timedelta(seconds=40))

    # then: the second run finds nothing to do and writes nothing
    assert first == 2
    assert second == 0
    assert counts == (
        Revision.objects.count(),
        PageLogEntry.objects.count(),
        StoryEvent.objects.count(),
    )
    assert output_files() == files
    assert page_file(coming) in files
    assert page_file(going) not in files


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks; SQLite's IMMEDIATE transactions make writers take turns",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_running_at_once_publish_each_story_once(
    story_factory: StoryFactory, editor: User, end_stray_database_sessions: None
) -> None:
    # given: three stories due, and a publisher slow enough that the two workers'
    # runs overlap (each lists all three before the other has published any)
    stories = [story_factory(title=f"Story due at {hour}:00") for hour in (6, 7, 8)]
    for story, hour in zip(stories, (6, 7, 8), strict=True):
        schedule(story, go_live_at=NOON.replace(hour=hour), by=editor)
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[Exception] = []

    def slow_publisher(sender: type[StoryPage], **kwargs: Any) -> None:
        time.sleep(0.2)

    def worker() -> None:
        try:
            start.wait(timeout=10)
            results.append(scheduled_publishing_run())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    # when: two workers run the job at the same moment
    page_published.connect(slow_publisher, sender=StoryPage, dispatch_uid="slow")
    try:
        with time_machine.travel(NOON.replace(hour=11), tick=True):
            threads = [threading.Thread(target=worker) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
    finally:
        page_published.disconnect(sender=StoryPage, dispatch_uid="slow")

    # then: between them they published each story once
    assert errors == []
    assert len(results) == 2
    assert sum(results) == 3
    assert sorted(scheduled_publishes()) == sorted(s.pk for s in stories)
    for story in stories:
        assert story.events.filter(kind=StoryEvent.Kind.PUBLISHED).count() == 1
        story.refresh_from_db()
        assert story.live


# Stands in for a periodic job stuck on a slow partner's server (webhook delivery).
slow_job_running = threading.Event()
slow_job_release = threading.Event()


def slow_job() -> None:
    slow_job_running.set()
    slow_job_release.wait(timeout=30)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_publishes_on_time_while_another_job_is_slow(
    story_factory: StoryFactory, editor: User
) -> None:
    # given: the worker's periodic jobs, one of them stuck, and a story due to go
    # live a moment from now
    from newsdesk.core.management.commands.run_worker import PeriodicJobs

    slow_job_running.clear()
    slow_job_release.clear()
    story = story_factory(title="Results are announced")
    go_live = datetime.now(UTC) + timedelta(seconds=1)
    schedule(story, go_live_at=go_live, by=editor, from_time=datetime.now(UTC))
    assert not StoryPage.objects.get(pk=story.pk).live
    jobs = PeriodicJobs(
        [
            (f"{__name__}.slow_job", 0.1),
            ("newsdesk.stories.scheduling.scheduled_publishing_run", 0.2),
        ]
    )

    # when: the worker runs (this thread only listens: SQLite's shared in-memory
    # test database refuses a read while the worker's thread writes)
    went_live = threading.Event()

    def published(sender: type[StoryPage], instance: StoryPage, **kwargs: Any) -> None:
        if instance.pk == story.pk:
            went_live.set()

    page_published.connect(published, sender=StoryPage, dispatch_uid="went_live")
    jobs.start()
    try:
        assert slow_job_running.wait(timeout=10)
        went_live.wait(timeout=15)
        live_at = datetime.now(UTC)
        still_stuck = not slow_job_release.is_set()
    finally:
        slow_job_release.set()
        jobs.stopping.set()
        jobs.join(timeout=10)
        page_published.disconnect(sender=StoryPage, dispatch_uid="went_live")

    # then: the story went live at its time, while the slow job was still running
    assert went_live.is_set()
    assert StoryPage.objects.get(pk=story.pk).live
    assert still_stuck
    assert live_at - go_live < timedelta(seconds=5)
    assert not jobs.is_alive()
