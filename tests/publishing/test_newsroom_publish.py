"""An editor publishing in Wagtail's page editor writes the reader site, as the
command line does: both go through Wagtail's revisions and its publish signal."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from newsdesk.accounts.models import User
from newsdesk.stories.models import SectionPage, StoryPage
from tests.stories.factories import make_person, make_story


def test_publishing_from_the_page_editor_writes_the_story_page(
    editor: User, section: SectionPage, django_capture_on_commit_callbacks: object
) -> None:
    # given: a draft story bylined to a contributor
    person = make_person(name="Farida Noori")
    story = make_story(section=section, title="Draft headline", authors=[person])
    author = story.authors.get()
    client = Client()
    client.force_login(editor)

    # when: the editor changes the headline and presses Publish
    form = nested_form_data(
        {
            "title": "Floodwater reaches the old city",
            "slug": "floodwater",
            "standfirst": "Residents moved uphill.",
            "dateline": "KABUL",
            "kind": "news",
            "language": "en",
            "authors": inline_formset(
                [{"id": author.pk, "person": person.pk, "ORDER": 1}], initial=1
            ),
            "body": rich_text("<p>The river rose overnight.</p>"),
            "tags": "Floods, Kabul",
            "source_credit": "",
            "source_url": "",
            "corrections": inline_formset([]),
            "updates": inline_formset([]),
            "action-publish": "action-publish",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            reverse("wagtailadmin_pages:edit", args=[story.pk]), form
        )

    # then: the story is live and its page, the home page and the feed show it
    assert response.status_code == 302, response.content.decode()[:2000]
    story.refresh_from_db()
    assert story.live
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    page = (root / "world" / "floodwater" / "index.html").read_text()
    assert "Floodwater reaches the old city" in page
    assert "KABUL" in page
    assert "Farida Noori" in page
    assert "The river rose overnight." in page
    assert "Floodwater reaches the old city" in (root / "index.html").read_text()
    assert "Floodwater reaches the old city" in (root / "rss.xml").read_text()
    assert StoryPage.objects.live().count() == 1
    assert [a.person_id for a in story.authors.all()] == [person.pk]
