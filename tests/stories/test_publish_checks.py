"""The newsroom's last checks before a story goes out: a headline that fits, a
byline, alt text for the picture, a section; what fails them is kept as a draft, saying why."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from newsdesk.accounts.models import User
from newsdesk.stories.errors import StoryValidationError
from newsdesk.stories.models import HomePage, SectionPage, StoryAuthor, StoryPage
from newsdesk.stories.selectors import HEADLINE_MAX, story_publish_problems
from newsdesk.stories.services import story_publish

from .factories import make_person, make_story

pytestmark = pytest.mark.django_db


def _publish_in_editor(
    client: Client, story: StoryPage, *, title: str, byline: bool = True
) -> str:
    """Press Publish in the page editor; return the messages the editor then sees."""
    credits = [
        {"id": credit.pk, "person": credit.person_id, "ORDER": 1}
        for credit in story.authors.all()
    ]
    if not byline:
        credits = [{**credit, "DELETE": "1"} for credit in credits]
    form = nested_form_data(
        {
            "title": title,
            "slug": story.slug,
            "standfirst": "",
            "dateline": "",
            "kind": "news",
            "language": "en",
            "authors": inline_formset(credits, initial=len(credits)),
            "body": rich_text("<p>The river rose overnight.</p>"),
            "tags": "",
            "source_credit": "",
            "source_url": "",
            "corrections": inline_formset([]),
            "updates": inline_formset([]),
            "action-publish": "action-publish",
        }
    )
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[story.pk]), form, follow=True
    )
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def signed_in(editor: User) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def test_an_overlong_headline_is_kept_as_a_draft_saying_why(
    section: SectionPage, signed_in: Client, django_capture_on_commit_callbacks: Any
) -> None:
    story = make_story(section=section, authors=[make_person(name="Farida Noori")])
    headline = "Floods " + "x" * HEADLINE_MAX

    with django_capture_on_commit_callbacks(execute=True):
        said = _publish_in_editor(signed_in, story, title=headline)

    story.refresh_from_db()
    assert not story.live
    assert f"keep it to {HEADLINE_MAX}" in said
    assert "Saved as a draft" in said
    # nothing the editor wrote is lost
    assert story.get_latest_revision_as_object().title == headline


def test_a_story_without_a_byline_is_not_published(
    section: SectionPage, signed_in: Client, django_capture_on_commit_callbacks: Any
) -> None:
    story = make_story(section=section, authors=[make_person(name="Farida Noori")])

    with django_capture_on_commit_callbacks(execute=True):
        said = _publish_in_editor(
            signed_in, story, title="Floods reach the capital", byline=False
        )

    assert not StoryPage.objects.get(pk=story.pk).live
    assert "It needs a byline" in said


def test_a_story_that_passes_the_checks_is_published(
    section: SectionPage, signed_in: Client, django_capture_on_commit_callbacks: Any
) -> None:
    story = make_story(section=section, authors=[make_person(name="Farida Noori")])

    with django_capture_on_commit_callbacks(execute=True):
        _publish_in_editor(signed_in, story, title="Floods reach the capital")

    assert StoryPage.objects.get(pk=story.pk).live


def test_the_command_line_publish_applies_the_same_checks(
    section: SectionPage, editor: User
) -> None:
    story = make_story(
        section=section,
        title="Floods " + "x" * HEADLINE_MAX,
        authors=[make_person(name="Farida Noori")],
    )

    with pytest.raises(StoryValidationError, match="keep it to"):
        story_publish(story=story, by=editor)
    assert not StoryPage.objects.get(pk=story.pk).live


def test_headline_dateline_captions_and_credits_are_typed_in_their_own_direction(
    section: SectionPage, signed_in: Client
) -> None:
    story = make_story(section=section)

    page = signed_in.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))

    html = page.content.decode()
    for field in (
        "title",
        "standfirst",
        "dateline",
        "lead_image_alt",
        "lead_image_caption",
        "lead_image_credit",
        "source_credit",
    ):
        tag = re.search(rf'<(?:input|textarea)[^>]*name="{field}"[^>]*>', html)
        assert tag is not None, field
        assert 'dir="auto"' in tag.group(0), field


def test_a_lead_image_without_alt_text_is_not_published(
    section: SectionPage, editor: User, photo: Any
) -> None:
    # given: a story whose picture has alt text, and a version of it with none
    story = make_story(
        section=section,
        authors=[make_person(name="Farida Noori")],
        lead_image=photo,
        lead_image_alt="Boats carry families past the old bridge",
    )
    story.lead_image_alt = "   "

    # then: the version without it is neither saved nor published
    with pytest.raises(ValidationError, match="alt text is required"):
        story.save_revision()
    assert story_publish_problems(story) == [
        "The lead image needs alt text: describe it for readers who cannot see it."
    ]
    story.refresh_from_db()
    story_publish(story=story, by=editor)
    assert StoryPage.objects.get(pk=story.pk).live


def test_a_story_outside_any_section_is_not_published(
    home: HomePage, editor: User
) -> None:
    # Wagtail's editor only offers sections as a story's parent; a story put
    # elsewhere by code or an import is still refused.
    story = StoryPage(
        title="Floods reach the capital", body="<p>Water.</p>", live=False
    )
    home.add_child(instance=story)
    StoryAuthor.objects.create(story=story, person=make_person(), sort_order=0)
    story.save_revision()

    with pytest.raises(StoryValidationError, match="must be in a section"):
        story_publish(story=story, by=editor)
    assert not StoryPage.objects.get(pk=story.pk).live
