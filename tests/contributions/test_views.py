"""The newsroom's incoming queue over HTTP: who sees it, and accepting from it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.models import User
from newsdesk.contributions.models import RawMessage, Submission
from newsdesk.contributions.services import submission_receive
from newsdesk.stories.models import SectionPage, StoryPage

from .test_services import RECEIVED, parsed


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_queue_lists_new_submissions_for_an_editor(editor: User) -> None:
    submission_receive(parsed=parsed(), raw=None)

    response = signed_in(editor).get(reverse("contributions:index"))

    assert response.status_code == 200
    assert "Floods reach the capital" in response.content.decode()
    assert "Incoming (1)" in response.content.decode()  # the menu count


def test_queue_is_closed_to_a_user_without_a_newsroom_role(outsider: User) -> None:
    response = signed_in(outsider).get(reverse("contributions:index"))

    assert response.status_code in (302, 403)
    assert "Floods" not in response.content.decode()


def test_queue_is_closed_to_anonymous_visitors(db: None) -> None:
    response = Client().get(reverse("contributions:index"))

    assert response.status_code == 302
    assert "/newsroom/login/" in response["Location"]


def test_detail_shows_the_sanitised_body_and_problems(editor: User) -> None:
    submission = submission_receive(
        parsed=parsed(
            body_html="<p>Clean <b>copy</b></p>",
            problems=("The message had no subject.",),
        ),
        raw=None,
    )

    page = (
        signed_in(editor)
        .get(reverse("contributions:detail", args=[submission.pk]))
        .content.decode()
    )

    assert "<p>Clean <b>copy</b></p>" in page
    assert "The message had no subject." in page
    assert 'name="section"' in page


def test_accepting_from_the_queue_opens_the_draft_in_the_editor(
    editor: User, section: SectionPage
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)

    response = signed_in(editor).post(
        reverse("contributions:detail", args=[submission.pk]), {"section": section.pk}
    )

    story = StoryPage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[story.pk])
    submission.refresh_from_db()
    assert submission.state == Submission.State.ACCEPTED


def test_accepting_twice_shows_an_error_and_creates_nothing_more(
    editor: User, section: SectionPage
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)
    client = signed_in(editor)
    client.post(
        reverse("contributions:detail", args=[submission.pk]), {"section": section.pk}
    )

    response = client.post(
        reverse("contributions:detail", args=[submission.pk]),
        {"section": section.pk},
        follow=True,
    )

    assert "already accepted" in response.content.decode()
    assert StoryPage.objects.count() == 1


def test_accepting_into_an_unknown_section_is_a_form_error(
    editor: User, section: SectionPage
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)

    response = signed_in(editor).post(
        reverse("contributions:detail", args=[submission.pk]), {"section": 999999}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not StoryPage.objects.exists()


def test_the_original_message_downloads_exactly_as_received(editor: User) -> None:
    data = b"Subject: x\r\n\r\nbody\x00with a NUL\r\n"
    path = Path(settings.NEWSDESK_MAIL_DIR) / "raw" / "a.eml"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    raw = RawMessage.objects.create(
        path="raw/a.eml", sha256="0" * 64, size=len(data), received_at=RECEIVED
    )
    submission = submission_receive(parsed=parsed(), raw=raw)

    response = signed_in(editor).get(reverse("contributions:raw", args=[submission.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data  # type: ignore[attr-defined]
    assert "attachment" in response["Content-Disposition"]


def test_the_story_editor_links_back_to_its_submission_and_previews(
    editor: User, section: SectionPage
) -> None:
    # given: a submission accepted as a draft
    submission = submission_receive(parsed=parsed(), raw=None)
    client = signed_in(editor)
    client.post(
        reverse("contributions:detail", args=[submission.pk]), {"section": section.pk}
    )
    story = StoryPage.objects.get()

    # when: the editor opens it in Wagtail's page editor
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))

    # then: it shows the story and links back to the submission
    assert edit.status_code == 200
    page = edit.content.decode()
    assert "Floods reach the capital" in page
    assert reverse("contributions:detail", args=[submission.pk]) in page

    # and the draft preview renders the reader template with the byline
    preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[story.pk]))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "<h1" in html
    assert "Floods reach the capital" in html
    assert "Farida Noori" in html
