"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from pytest_django.fixtures import Settings as SettingsWrapper
from wagtail.images import get_image_model

from newsdesk.accounts.models import User
from newsdesk.stories.models import HomePage, SectionPage, StoryPage

from .stories.factories import make_section, make_story

Publish = Callable[..., StoryPage]
Unpublish = Callable[[StoryPage], None]


@pytest.fixture(autouse=True)
def data_dirs(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Give every test its own output, mail and media folders."""
    settings.DATA_DIR = tmp_path
    settings.NEWSDESK_OUTPUT_DIR = tmp_path / "site"
    settings.NEWSDESK_MAIL_DIR = tmp_path / "mail"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NEWSDESK_SITE_URL = "https://news.example"
    return tmp_path


@pytest.fixture
def home(db: None) -> HomePage:
    """The home page the migrations create."""
    return HomePage.objects.get()


@pytest.fixture
def section(home: HomePage) -> SectionPage:
    return make_section(home, title="World", slug="world")


@pytest.fixture
def opinion(home: HomePage) -> SectionPage:
    """An Opinion section reviewed by a desk editor, then a chief editor."""
    from wagtail.models import Workflow, WorkflowPage

    from tests.stories.factories import make_section

    section = make_section(home, title="Opinion", slug="opinion")
    WorkflowPage.objects.create(
        page=section,
        workflow=Workflow.objects.get(name="Opinion review: desk, then chief editor"),
    )
    return section


@pytest.fixture
def story_factory(section: SectionPage) -> Callable[..., StoryPage]:
    """Make a story in the World section; ``live=True`` publishes it."""

    def factory(**kwargs: Any) -> StoryPage:
        kwargs.setdefault("section", section)
        return make_story(**kwargs)

    return factory


def _user_in(group_name: str | None, username: str) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@news.example",
        password="a-long-test-password",
    )
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor(db: None) -> User:
    """An editor who may accept submissions and publish (Wagtail's Moderators)."""
    return _user_in("Moderators", "editor")


@pytest.fixture
def writer(db: None) -> User:
    """A newsroom user who may edit drafts and accept submissions but not publish."""
    return _user_in("Editors", "writer")


@pytest.fixture
def outsider(db: None) -> User:
    """A signed-up user with no newsroom role at all."""
    return _user_in(None, "outsider")


@pytest.fixture
def photo(db: None, tmp_path: Path) -> Any:
    """A 1600x1000 JPEG photo in the image library, as an editor uploads it."""
    path = tmp_path / "flood.jpg"
    PILImage.new("RGB", (1600, 1000), (40, 90, 160)).save(path, "JPEG", quality=90)
    with path.open("rb") as upload:
        return get_image_model().objects.create(
            title="Flood", file=ImageFile(upload, name=path.name)
        )


@pytest.fixture
def publish(
    story_factory: Callable[..., StoryPage],
    django_capture_on_commit_callbacks: Any,
) -> Publish:
    """Publish a new story through Wagtail and run the after-commit receivers."""

    def make(**kwargs: Any) -> StoryPage:
        with django_capture_on_commit_callbacks(execute=True):
            return story_factory(live=True, **kwargs)

    return make


@pytest.fixture
def unpublish(django_capture_on_commit_callbacks: Any) -> Unpublish:
    """Unpublish a story through Wagtail and run the after-commit receivers."""

    def take_down(story: StoryPage) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            story.unpublish()

    return take_down


# The moment publish_at counts from.
PUBLISHED_FROM = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
PublishAt = Callable[..., StoryPage]


@pytest.fixture
def publish_at(
    story_factory: Callable[..., StoryPage], django_capture_on_commit_callbacks: Any
) -> PublishAt:
    """Publish a story with tags through Wagtail ``minutes`` after PUBLISHED_FROM,
    and run the publisher."""

    def make(*, minutes: float, tags: Sequence[str] = (), **kwargs: Any) -> StoryPage:
        story = story_factory(live=False, **kwargs)
        story.tags.add(*tags)
        with (
            time_machine.travel(
                PUBLISHED_FROM + timedelta(minutes=minutes), tick=False
            ),
            django_capture_on_commit_callbacks(execute=True),
        ):
            story.save_revision().publish()
        story.refresh_from_db()
        return story

    return make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test that commits to the database serialized rollback.

    A transactional test empties the database when it ends; without this, what the
    migrations put there (the page tree, the roles, the desks) is gone for the next
    one, and a later test asking for it back collides with the content types Django
    recreated in between (duplicate key on django_content_type).
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", [])
        transactional = (marker is not None and marker.kwargs.get("transaction")) or (
            "transactional_db" in names or "live_server" in names
        )
        if transactional and "django_db_serialized_rollback" not in names:
            names.append("django_db_serialized_rollback")


@pytest.fixture(scope="session")
def end_stray_database_sessions(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    """For tests whose threads reach the database (the live server's request
    threads, concurrent workers): before the test database is dropped, end any
    session such a thread left open, which PostgreSQL would refuse to drop it over."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()
