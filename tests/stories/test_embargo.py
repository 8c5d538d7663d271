"""Embargo: a story held until a time is invisible to readers, feeds, sitemaps,
search, the read API and partners without the right, then goes live by itself; the
newsroom sees when."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from newsdesk.accounts.models import User
from newsdesk.stories.models import SectionPage, StoryEvent, StoryPage
from newsdesk.stories.scheduling import scheduled_publishing_run
from newsdesk.syndication.models import Format, Partner
from newsdesk.syndication.services import partner_key_issue
from tests.stories.factories import make_person, make_story

# A word no other story uses: wherever it appears, the embargoed copy leaked.
SECRET = "Quillwort"
HEADLINE = f"{SECRET} treaty signed at dawn"


def _form(story: StoryPage, **fields: Any) -> dict[str, Any]:
    author = story.authors.get()
    data = {
        "title": HEADLINE,
        "slug": story.slug,
        "standfirst": f"The {SECRET} accord ends a decade of talks.",
        "dateline": "KABUL",
        "kind": "news",
        "language": "en",
        "authors": inline_formset(
            [{"id": author.pk, "person": author.person_id, "ORDER": 1}], initial=1
        ),
        "body": rich_text(f"<p>Delegates signed the {SECRET} treaty.</p>"),
        "tags": SECRET,
        "source_credit": "",
        "source_url": "",
        "corrections": inline_formset([]),
        "updates": inline_formset([]),
        "action-publish": "action-publish",
    }
    data.update(fields)
    return nested_form_data(data)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _post(user: User, story: StoryPage, form: dict[str, Any], capture: Any) -> Any:
    client = Client()
    client.force_login(user)
    with capture(execute=True):
        return client.post(reverse("wagtailadmin_pages:edit", args=[story.pk]), form)


def _leaks() -> list[str]:
    """Return the reader site's files that mention the embargoed story."""
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and SECRET.encode() in path.read_bytes()
    )


@pytest.fixture
def draft(section: SectionPage) -> StoryPage:
    return make_story(
        section=section, title="Draft", authors=[make_person(name="Farida Noori")]
    )


def _embargo_at() -> datetime:
    return (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)


def test_an_embargoed_story_is_held_back_from_every_reader_output(
    editor: User,
    draft: StoryPage,
    publish: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a live story, so the home page, feed and sitemaps exist
    publish(title="Council meets on Tuesday")
    until = _embargo_at()

    # when: the editor publishes a story with an embargo two hours away
    response = _post(
        editor,
        draft,
        _form(draft, embargo_until=_local(until)),
        django_capture_on_commit_callbacks,
    )

    # then: it is approved to go live at the embargo's end, and nowhere public
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert not draft.live
    scheduled = Revision.objects.get(
        object_id=str(draft.pk), approved_go_live_at__isnull=False
    )
    assert scheduled.approved_go_live_at == until
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    assert (root / "index.html").is_file()
    assert (root / "rss.xml").is_file()
    assert _leaks() == []
    found = Client().get("/search/", {"q": SECRET})
    assert found.status_code == 200
    assert "No stories found" in found.content.decode()
    assert "treaty signed at dawn" not in found.content.decode()
    assert Client().get(draft.url or "/world/draft/").status_code == 404
    # nor in the read API, nor to a partner without the embargo right, in any format
    api = [
        Client().get("/api/v1/stories", {"limit": 100}),
        Client().get(f"/api/v1/stories/{draft.pk}"),
        Client().get("/api/v1/authors", {"limit": 100}),
        Client().get("/api/v1/stories", {"tag": SECRET.lower()}),
    ]
    assert [a.status_code for a in api] == [200, 404, 200, 404]
    assert all(SECRET.encode() not in a.content for a in api)
    partner = Partner.objects.create(
        name="Valley Times",
        all_sections=True,
        formats=[Format.NINJS3, Format.NINJS2, Format.NEWSML],
    )
    key = partner_key_issue(partner=partner, by=None)[1]
    for fmt in ("ninjs3", "ninjs2", "newsml"):
        with time_machine.travel(timezone.now() + timedelta(minutes=1)):
            pulled = Client().get(
                "/partners/v1/items",
                {"format": fmt},
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
        assert pulled.status_code == 200, fmt
        assert b"Council meets on Tuesday" in pulled.content, fmt
        assert SECRET.encode() not in pulled.content, fmt


def test_an_embargoed_story_goes_live_by_itself_when_the_embargo_ends(
    editor: User, draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    until = _embargo_at()
    _post(
        editor,
        draft,
        _form(draft, embargo_until=_local(until)),
        django_capture_on_commit_callbacks,
    )

    # when: the worker runs a minute before, then a minute after the embargo
    with (
        time_machine.travel(until - timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert scheduled_publishing_run() == 0
    assert _leaks() == []
    with (
        time_machine.travel(until + timedelta(seconds=30)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert scheduled_publishing_run() == 1

    # then: live, on its page, the home page, the feed and in search
    draft.refresh_from_db()
    assert draft.live
    leaks = _leaks()
    assert "index.html" in leaks
    assert "rss.xml" in leaks
    assert any(path.endswith("index.html") and "draft" in path for path in leaks)
    assert HEADLINE in Client().get("/search/", {"q": SECRET}).content.decode()


def test_the_embargo_wins_over_an_earlier_go_live_time(
    editor: User, draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    # when: the editor also sets a go-live time an hour before the embargo ends
    until = _embargo_at()
    _post(
        editor,
        draft,
        _form(
            draft,
            embargo_until=_local(until),
            go_live_at=_local(until - timedelta(hours=1)),
        ),
        django_capture_on_commit_callbacks,
    )

    # then: it is held until the embargo ends all the same
    scheduled = Revision.objects.get(
        object_id=str(draft.pk), approved_go_live_at__isnull=False
    )
    assert scheduled.approved_go_live_at == until


def test_the_embargo_is_in_the_story_history_with_who_set_it(
    editor: User, draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    until = _embargo_at()
    _post(
        editor,
        draft,
        _form(draft, embargo_until=_local(until)),
        django_capture_on_commit_callbacks,
    )

    event = StoryEvent.objects.get(story=draft, kind=StoryEvent.Kind.EMBARGOED)
    assert event.actor == editor
    assert _local(until) in event.note


def test_the_dashboard_shows_what_is_embargoed_and_until_when(
    editor: User, draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    until = _embargo_at()
    _post(
        editor,
        draft,
        _form(draft, embargo_until=_local(until)),
        django_capture_on_commit_callbacks,
    )
    client = Client()
    client.force_login(editor)

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Scheduled and embargoed" in page
    assert HEADLINE in page
    assert "embargoed</strong> until" in page
    assert until.isoformat() in page or timezone.localtime(until).isoformat() in page


def test_an_embargo_cannot_hide_a_story_already_public(
    editor: User,
    section: SectionPage,
    publish: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a live story
    story = publish(title="Already out", authors=[make_person(name="Farida Noori")])

    # when: an editor sets an embargo on it and publishes
    response = _post(
        editor,
        story,
        _form(story, embargo_until=_local(_embargo_at())),
        django_capture_on_commit_callbacks,
    )

    # then: refused with the reason, and the story is still the public one
    assert response.status_code == 200
    assert "already public, so an embargo cannot hide it" in response.content.decode()
    story.refresh_from_db()
    assert story.live
    assert story.title == "Already out"
    assert not StoryEvent.objects.filter(kind=StoryEvent.Kind.EMBARGOED).exists()


def test_an_embargo_already_over_publishes_at_once(
    editor: User, draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    # when: the embargo given has already ended
    past = timezone.now() - timedelta(minutes=5)
    response = _post(
        editor,
        draft,
        _form(draft, embargo_until=_local(past)),
        django_capture_on_commit_callbacks,
    )

    # then: nothing holds it: it is live now
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.live
    assert "index.html" in _leaks()


def test_a_garbled_embargo_time_is_refused_and_nothing_is_published(
    editor: User, draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    response = _post(
        editor,
        draft,
        _form(draft, embargo_until="next tuesday-ish"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.live
    assert _leaks() == []
