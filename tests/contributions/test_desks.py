"""The desk follows from a submission's language and kind: it waits in that desk's
queue, its editors hear of it, and its count is theirs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Submission
from newsdesk.contributions.services import (
    submission_accept,
    submission_receive,
    submissions_digest_send,
)
from newsdesk.stories.models import Desk, SectionPage

from .test_services import parsed

pytestmark = pytest.mark.django_db

DARI = "باران شدید در کابل باعث سیلاب شد و راه‌ها بسته شدند."  # noqa: RUF001 (Dari)


def _receive(n: int, *, subject: str, text: str = "The river rose.") -> Submission:
    return submission_receive(
        parsed=parsed(
            message_id=f"<desk-{n}@writers.example>",
            subject=subject,
            body_html=f"<p>{text}</p>",
            body_text=text,
        ),
        raw=None,
    )


def _editor(username: str, *, desks: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@news.example", password="x" * 20
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    for name in desks:
        Desk.objects.get(name=name).members.add(user)
    return user


def test_each_submission_waits_on_the_desk_of_its_language_and_kind() -> None:
    news = _receive(1, subject="Floods reach the capital")
    opinion = _receive(2, subject="Opinion: the dams we never built")
    dari = _receive(3, subject="Opinion: " + DARI, text=DARI)

    assert news.desk is not None
    assert news.desk.name == "English news"
    assert opinion.desk is not None
    assert opinion.desk.name == "Opinion"
    assert dari.desk is not None
    assert dari.desk.name == "Dari"


def test_a_desk_naming_language_and_kind_comes_before_one_naming_the_language() -> None:
    Desk.objects.create(name="Dari opinion", languages=["prs"], kinds=["opinion"])

    opinion = _receive(1, subject="Opinion: " + DARI, text=DARI)
    news = _receive(2, subject=DARI, text=DARI)

    assert opinion.desk is not None
    assert opinion.desk.name == "Dari opinion"
    assert news.desk is not None
    assert news.desk.name == "Dari"


def test_with_no_desk_for_it_a_submission_still_reaches_the_queue() -> None:
    Desk.objects.all().delete()

    submission = _receive(1, subject="Floods reach the capital")

    assert submission.desk is None
    assert submission.state == Submission.State.NEW


def test_accepting_as_another_kind_moves_it_to_that_kinds_desk(
    section: SectionPage, editor: User
) -> None:
    submission = _receive(1, subject="The dams we never built")
    assert submission.desk is not None
    assert submission.desk.name == "English news"

    submission_accept(submission=submission, section=section, by=editor, kind="opinion")

    submission.refresh_from_db()
    assert submission.kind == "opinion"
    assert submission.desk is not None
    assert submission.desk.name == "Opinion"


def test_the_digest_tells_each_desk_of_its_own_submissions() -> None:
    dari_editor = _editor("dari", desks=("Dari",))
    english_editor = _editor("english", desks=("English news",))
    chief = _editor("chief")  # on no desk: hears of everything
    _receive(1, subject="Floods reach the capital")
    _receive(2, subject=DARI, text=DARI)
    _receive(3, subject="Opinion: the dams we never built")  # Opinion: nobody on it

    assert submissions_digest_send() == 3

    received = {m.to[0]: m.body for m in mail.outbox}
    assert set(received) == {dari_editor.email, english_editor.email, chief.email}
    assert DARI in received[dari_editor.email]
    assert "Floods reach the capital" not in received[dari_editor.email]
    assert "Floods reach the capital" in received[english_editor.email]
    assert DARI not in received[english_editor.email]
    # a desk nobody works on is not forgotten: every desk's editors hear of it
    for body in received.values():
        assert "the dams we never built" in body
    assert all(
        s in received[chief.email] for s in ("Floods", DARI, "the dams we never")
    )
    assert "Dari desk" in received[dari_editor.email]


def test_a_desk_member_sees_their_desks_queue_and_count_first(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    dari_editor = _editor("dari", desks=("Dari",))
    _receive(1, subject="Floods reach the capital")
    _receive(2, subject=DARI, text=DARI)
    client.force_login(dari_editor)

    mine = client.get(reverse("contributions:index")).content.decode()
    everything = client.get(reverse("contributions:index") + "?desk=all")
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()

    assert DARI in mine
    assert "Floods reach the capital" not in mine
    assert "Floods reach the capital" in everything.content.decode()
    assert "Incoming (1)" in dashboard


def test_administrators_set_up_desks_and_editors_may_not(
    client: Client, editor: User
) -> None:
    admin = User.objects.create_superuser(
        username="admin", email="admin@news.example", password="x" * 20
    )
    add = reverse("wagtailsnippets_stories_desk:add")

    client.force_login(editor)
    assert client.get(add).status_code in (302, 403)

    client.force_login(admin)
    response = client.post(
        add,
        {
            "name": "Pashto opinion",
            "languages": ["ps"],
            "kinds": ["opinion", "editorial"],
            "members": [editor.pk],
            "order": "5",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    desk = Desk.objects.get(name="Pashto opinion")
    assert desk.languages == ["ps"]
    assert desk.kinds == ["opinion", "editorial"]
    assert list(desk.members.all()) == [editor]
    refused = client.post(add, {"name": "Bad", "languages": ["xx"], "order": "1"})
    assert refused.status_code == 200
    assert not Desk.objects.filter(name="Bad").exists()
