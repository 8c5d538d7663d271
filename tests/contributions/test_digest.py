"""Editors hear of new submissions: an hourly email digest of what reached the queue."""

from __future__ import annotations

import pytest
from django.core import mail

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Submission
from newsdesk.contributions.services import submission_receive, submissions_digest_send

from .test_services import parsed

pytestmark = pytest.mark.django_db


def test_editors_each_get_a_digest_of_what_reached_the_queue(
    editor: User, writer: User, outsider: User
) -> None:
    for user, address in ((editor, "desk@news.example"), (outsider, "x@news.example")):
        user.email = address
        user.save()
    first = submission_receive(parsed=parsed(subject="Floods reach Kabul"), raw=None)
    submission_receive(
        parsed=parsed(message_id="<b@w.example>", subject="Council meets"), raw=None
    )

    assert submissions_digest_send() == 2

    # everyone who may accept submissions, no one else, each their own mail
    assert sorted(m.to[0] for m in mail.outbox) == [
        "desk@news.example",
        "writer@news.example",
    ]
    for digest in mail.outbox:
        assert digest.subject == "2 new submissions to read"
        assert "Floods reach Kabul" in digest.body
        assert "Council meets" in digest.body
        assert f"/{first.pk}/" in digest.body
    # what was in one digest is not in the next
    assert submissions_digest_send() == 0
    assert len(mail.outbox) == 2


def test_submissions_not_in_the_queue_are_not_in_the_digest(editor: User) -> None:
    editor.email = "desk@news.example"
    editor.save()
    held = submission_receive(parsed=parsed(), raw=None)
    Submission.objects.filter(pk=held.pk).update(state=Submission.State.UNCONFIRMED)

    assert submissions_digest_send() == 0
    assert mail.outbox == []
