"""What the agency did to a story shows in its history in the newsroom, beside
Wagtail's own record of revisions and publishing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import PageLogEntry

from newsdesk.accounts.models import User
from newsdesk.contributions.services import submission_accept, submission_receive
from newsdesk.stories.models import SectionPage, StoryEvent
from newsdesk.stories.services import story_publish
from tests.contributions.test_services import parsed

pytestmark = pytest.mark.django_db


def test_accepting_a_submission_is_in_the_storys_history(
    section: SectionPage, editor: User
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)
    story = submission_accept(submission=submission, section=section, by=editor)
    client = Client()
    client.force_login(editor)

    history = client.get(reverse("wagtailadmin_pages:history", args=[story.pk]))

    assert history.status_code == 200
    page = history.content.decode()
    assert f"Accepted from a submission: From submission #{submission.pk}" in page
    entry = PageLogEntry.objects.get(page=story, action="newsdesk.story.accepted")
    assert entry.user == editor
    assert StoryEvent.objects.get(story=story).kind == StoryEvent.Kind.ACCEPTED


def test_publishing_is_recorded_once_in_the_history(
    section: SectionPage, editor: User
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)
    story = submission_accept(submission=submission, section=section, by=editor)

    story_publish(story=story, by=editor)

    actions = list(
        PageLogEntry.objects.filter(page=story).values_list("action", flat=True)
    )
    assert actions.count("wagtail.publish") == 1
    assert not any(a.startswith("newsdesk.story.published") for a in actions)
