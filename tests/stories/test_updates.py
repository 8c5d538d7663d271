"""Developing stories: timestamped updates on the page, the updated time moving,
the address staying; updates and corrections in the story's history."""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text
from wagtail.users.models import UserProfile

from newsdesk.accounts.models import User
from newsdesk.stories.models import SectionPage, StoryEvent, StoryPage
from tests.stories.factories import make_person

FIRST = "Rescue teams reached the village at noon."
SECOND = "Officials now say 40 families were moved."


def _form(
    story: StoryPage,
    *,
    updates: list[dict[str, Any]],
    initial: int = 0,
    corrections: list[dict[str, Any]] | None = None,
    corrections_initial: int = 0,
    action: str = "action-publish",
) -> dict[str, Any]:
    author = story.authors.get()
    return nested_form_data(
        {
            "title": story.title,
            "slug": story.slug,
            "standfirst": "",
            "dateline": "JALALABAD",
            "kind": "news",
            "language": "en",
            "authors": inline_formset(
                [{"id": author.pk, "person": author.person_id, "ORDER": 1}], initial=1
            ),
            "body": rich_text("<p>The river burst its banks overnight.</p>"),
            "tags": "",
            "source_credit": "",
            "source_url": "",
            "corrections": inline_formset(
                corrections or [], initial=corrections_initial
            ),
            "updates": inline_formset(updates, initial=initial),
            action: action,
        }
    )


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _post(user: User, story: StoryPage, form: dict[str, Any], capture: Any) -> Any:
    client = Client()
    client.force_login(user)
    with capture(execute=True):
        return client.post(reverse("wagtailadmin_pages:edit", args=[story.pk]), form)


def _page(story: StoryPage) -> str:
    return (
        Path(settings.NEWSDESK_OUTPUT_DIR) / "world" / story.slug / "index.html"
    ).read_text()


def _modified(html: str) -> datetime:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found is not None
    return datetime.fromisoformat(json.loads(found.group(1))["dateModified"])


@pytest.fixture
def live_story(publish: Any) -> StoryPage:
    story: StoryPage = publish(
        title="Floods in the east", authors=[make_person(name="Farida Noori")]
    )
    return story


def test_an_update_shows_on_the_page_with_its_time_and_moves_the_modified_time(
    editor: User, live_story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    before = _modified(_page(live_story))
    address = live_story.url
    posted = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)

    # when: ten minutes on, the editor adds an update and publishes
    with time_machine.travel(posted + timedelta(seconds=5)):
        response = _post(
            editor,
            live_story,
            _form(
                live_story,
                updates=[
                    {"posted_at": _local(posted), "text": rich_text(f"<p>{FIRST}</p>")}
                ],
            ),
            django_capture_on_commit_callbacks,
        )

    # then: the page, at the same address, shows it with its time
    assert response.status_code == 302, response.content.decode()[:2000]
    live_story.refresh_from_db()
    assert live_story.url == address
    html = _page(live_story)
    assert FIRST in html
    assert f'<time datetime="{timezone.localtime(posted).isoformat()}"' in html
    assert _modified(html) > before
    assert (
        f'<meta property="article:modified_time" content="{_modified(html).isoformat()}">'
        in html
    )


def test_updates_are_shown_newest_first(
    editor: User, live_story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    earlier = timezone.now() - timedelta(hours=1)
    later = timezone.now()
    _post(
        editor,
        live_story,
        _form(
            live_story,
            updates=[
                {"posted_at": _local(earlier), "text": rich_text(f"<p>{FIRST}</p>")},
                {"posted_at": _local(later), "text": rich_text(f"<p>{SECOND}</p>")},
            ],
        ),
        django_capture_on_commit_callbacks,
    )

    html = _page(live_story)
    assert html.index(SECOND) < html.index(FIRST)
    assert '<h2 id="updates">Updates</h2>' in html


def test_each_update_and_correction_is_in_the_story_history_with_who(
    editor: User, live_story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    # given: one update already published
    now = timezone.now()
    _post(
        editor,
        live_story,
        _form(
            live_story,
            updates=[{"posted_at": _local(now), "text": rich_text(f"<p>{FIRST}</p>")}],
        ),
        django_capture_on_commit_callbacks,
    )
    update = live_story.updates.get()

    # when: a second update and a correction are published together
    _post(
        editor,
        live_story,
        _form(
            live_story,
            initial=1,
            updates=[
                {
                    "id": update.pk,
                    "posted_at": _local(now),
                    "text": rich_text(f"<p>{FIRST}</p>"),
                },
                {"posted_at": _local(now), "text": rich_text(f"<p>{SECOND}</p>")},
            ],
            corrections=[
                {
                    "published_at": _local(now),
                    "note": "The river is the Kabul, not the Kunar.",
                }
            ],
        ),
        django_capture_on_commit_callbacks,
    )

    # then: each new one is a story event naming the editor, none twice
    events = list(
        StoryEvent.objects.filter(story=live_story)
        .exclude(kind=StoryEvent.Kind.PUBLISHED)
        .order_by("created_at", "id")
        .values_list("kind", "note", "actor")
    )
    assert events == [
        (StoryEvent.Kind.UPDATED, FIRST, editor.pk),
        (StoryEvent.Kind.UPDATED, SECOND, editor.pk),
        (
            StoryEvent.Kind.CORRECTED,
            "The river is the Kabul, not the Kunar.",
            editor.pk,
        ),
    ]
    history = Client()
    history.force_login(editor)
    page = history.get(
        reverse("wagtailadmin_pages:history", args=[live_story.pk])
    ).content.decode()
    assert "Update published" in page
    assert "Correction published" in page


def test_an_empty_update_is_refused_and_the_live_story_is_unchanged(
    editor: User, live_story: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    before = _page(live_story)

    response = _post(
        editor,
        live_story,
        _form(
            live_story,
            updates=[{"posted_at": _local(timezone.now()), "text": rich_text("")}],
        ),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200
    assert "an update needs some text" in response.content.decode()
    assert _page(live_story) == before
    assert not StoryEvent.objects.filter(kind=StoryEvent.Kind.UPDATED).exists()


def test_a_story_without_updates_shows_no_updates_box(
    live_story: StoryPage, section: SectionPage
) -> None:
    assert 'class="updates"' not in _page(live_story)


WRONG_RIVER = "The river is the Kabul, not the Kunar."


@pytest.fixture
def edit_corrections(
    editor: User, live_story: StoryPage, django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """Send the live story's editor form with these corrections (and no updates);
    return the response."""

    def send(
        *,
        corrections: list[dict[str, Any]],
        corrections_initial: int = 0,
        action: str = "action-publish",
    ) -> Any:
        form = _form(
            live_story,
            updates=[],
            corrections=corrections,
            corrections_initial=corrections_initial,
            action=action,
        )
        return _post(editor, live_story, form, django_capture_on_commit_callbacks)

    return send


def test_a_published_correction_cannot_be_deleted(
    editor: User, live_story: StoryPage, edit_corrections: Callable[..., Any]
) -> None:
    # given: a correction published on the story
    now = _local(timezone.now())
    edit_corrections(
        corrections=[{"published_at": now, "note": WRONG_RIVER}],
    )
    correction = live_story.corrections.get()

    # when: an editor deletes it in the Corrections panel and publishes
    response = edit_corrections(
        corrections=[
            {
                "id": correction.pk,
                "published_at": now,
                "note": WRONG_RIVER,
                "DELETE": "1",
            }
        ],
        corrections_initial=1,
    )

    # then: nothing is saved; the editor is told why; the correction stays public
    assert response.status_code == 200
    said = " ".join(str(m) for m in response.context["messages"])
    assert "A published correction cannot be removed or rewritten" in said
    assert WRONG_RIVER in said
    assert live_story.corrections.filter(pk=correction.pk).exists()
    latest = StoryPage.objects.get(pk=live_story.pk).get_latest_revision_as_object()
    assert [c.note for c in latest.corrections.all()] == [WRONG_RIVER]
    assert WRONG_RIVER in _page(live_story)

    # and: keeping it, with a second correction added, publishes as before
    again = edit_corrections(
        corrections=[
            {"id": correction.pk, "published_at": now, "note": WRONG_RIVER},
            {"published_at": now, "note": "The bridge reopened on Monday."},
        ],
        corrections_initial=1,
    )
    assert again.status_code == 302
    assert live_story.corrections.count() == 2

    # but: rewriting a published one is refused like removing it
    first = live_story.corrections.get(note=WRONG_RIVER)
    second = live_story.corrections.exclude(pk=first.pk).get()
    rewritten = edit_corrections(
        corrections=[
            {"id": first.pk, "published_at": now, "note": "Nothing was wrong."},
            {"id": second.pk, "published_at": now, "note": second.note},
        ],
        corrections_initial=2,
    )
    assert rewritten.status_code == 200
    assert WRONG_RIVER in _page(live_story)
    assert "Nothing was wrong." not in _page(live_story)


def test_a_correction_not_yet_published_can_be_taken_out(
    editor: User, live_story: StoryPage, edit_corrections: Callable[..., Any]
) -> None:
    # given: a correction saved in a draft of the live story, not published
    now = _local(timezone.now())
    edit_corrections(
        corrections=[{"published_at": now, "note": WRONG_RIVER}],
        action="action-save",
    )
    draft = StoryPage.objects.get(pk=live_story.pk).get_latest_revision_as_object()
    (saved,) = draft.corrections.all()

    # when: the editor thinks better of it and removes it
    response = edit_corrections(
        corrections=[
            {
                "id": saved.pk or "",
                "published_at": now,
                "note": WRONG_RIVER,
                "DELETE": "1",
            }
        ],
        corrections_initial=1,
        action="action-save",
    )

    # then: it is gone from the draft
    assert response.status_code == 302
    draft = StoryPage.objects.get(pk=live_story.pk).get_latest_revision_as_object()
    assert list(draft.corrections.all()) == []


def test_an_editor_in_another_time_zone_keeps_a_published_correction_as_it_is(
    editor: User, live_story: StoryPage, edit_corrections: Callable[..., Any]
) -> None:
    # given: a correction published with a note of two lines
    now = timezone.now()
    note = "The river is the Kabul.\r\nIt is not the Kunar."
    edit_corrections(
        corrections=[{"published_at": _local(now), "note": note}],
    )
    correction = live_story.corrections.get()

    # when: an editor whose newsroom clock is Kabul's publishes the story again,
    # the correction as their form shows it (in their time, CRLF line ends)
    profile = UserProfile.get_for_user(editor)
    profile.current_time_zone = "Asia/Kabul"
    profile.save()
    kabul = now.astimezone(zoneinfo.ZoneInfo("Asia/Kabul")).strftime("%Y-%m-%d %H:%M")
    response = edit_corrections(
        corrections=[{"id": correction.pk, "published_at": kabul, "note": note}],
        corrections_initial=1,
    )

    # then: it is the same correction, and the story is published
    assert response.status_code == 302, [str(m) for m in response.context["messages"]]
    assert live_story.corrections.count() == 1
