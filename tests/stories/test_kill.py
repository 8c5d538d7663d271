"""Killing a story: withdrawn with a reason, gone from every front, feed, sitemap
and search result, its address answering 410 Gone with a short notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import PageLogEntry

from newsdesk.accounts.models import User
from newsdesk.search.selectors import story_search
from newsdesk.stories.models import StoryEvent, StoryPage
from newsdesk.stories.signals import story_killed

pytestmark = pytest.mark.django_db

REASON = "The agency could not stand by its central claim."


def _member(role: str) -> Client:
    user = User.objects.create_user(
        username=role.split()[0].lower(), password="a-long-test-password"
    )
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def _site_text() -> str:
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    return "".join(
        path.read_text("utf-8", errors="replace")
        for path in root.rglob("*")
        if path.is_file() and path.suffix in {".html", ".xml", ".json", ".txt"}
    )


def test_a_chief_editor_kills_a_story_and_its_address_says_why(
    publish: Any, django_capture_on_commit_callbacks: Any
) -> None:
    story = publish(title="Minister resigns over contract")
    assert "Minister resigns over contract" in _site_text()
    assert story_search(query="minister contract").total == 1
    heard: list[dict[str, Any]] = []
    story_killed.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="t")
    chief = _member("Chief editors")

    page = chief.get(reverse("stories_kill", args=[story.pk]))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = chief.post(
            reverse("stories_kill", args=[story.pk]), {"reason": REASON}
        )
    story_killed.disconnect(dispatch_uid="t")

    assert response.status_code == 302
    story = StoryPage.objects.get(pk=story.pk)
    assert not story.live
    assert story.killed_path == "/world/" + story.slug + "/"
    # gone from the home page, the section front, the feed and the sitemaps
    assert "Minister resigns over contract" not in _site_text()
    assert story_search(query="minister contract").total == 0
    # its address: 410 Gone, with the reason, for readers and crawlers alike
    gone = Client().get(story.killed_path)
    assert gone.status_code == 410
    assert REASON in gone.content.decode()
    assert "withdrawn" in gone.content.decode()
    # in its history, and partners can be told
    assert StoryEvent.objects.filter(story=story, kind="killed", note=REASON).exists()
    assert PageLogEntry.objects.filter(
        page=story, action="newsdesk.story.killed"
    ).exists()
    assert [h["reason"] for h in heard] == [REASON]


def test_a_kill_needs_a_reason(publish: Any) -> None:
    story = publish(title="Minister resigns over contract")
    chief = _member("Chief editors")

    response = chief.post(reverse("stories_kill", args=[story.pk]), {"reason": "  "})

    assert response.status_code == 200
    assert StoryPage.objects.get(pk=story.pk).live


def test_a_desk_editor_cannot_kill(publish: Any) -> None:
    story = publish(title="Minister resigns over contract")
    desk = _member("Desk editors")

    response = desk.post(reverse("stories_kill", args=[story.pk]), {"reason": REASON})

    assert response.status_code in (302, 403)
    assert StoryPage.objects.get(pk=story.pk).live


def test_a_story_not_published_cannot_be_killed(story_factory: Any) -> None:
    draft = story_factory(title="Draft only")
    chief = _member("Chief editors")

    response = chief.post(
        reverse("stories_kill", args=[draft.pk]), {"reason": REASON}, follow=True
    )

    assert "not published" in response.content.decode()
    assert StoryPage.objects.get(pk=draft.pk).killed_at is None


def test_other_missing_addresses_stay_404(client: Client) -> None:
    assert client.get("/world/never-was/").status_code == 404
