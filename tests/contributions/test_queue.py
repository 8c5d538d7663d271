"""Working the incoming queue: taking and assigning submissions with a due time,
moving them between desks, merging a duplicate into what it repeats; one click each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Submission, SubmissionFile
from newsdesk.contributions.services import submission_receive
from newsdesk.stories.models import Desk

from .test_services import parsed

pytestmark = pytest.mark.django_db


def _receive(n: int, **overrides: object) -> Submission:
    return submission_receive(
        parsed=parsed(message_id=f"<queue-{n}@writers.example>", **overrides),
        raw=None,
    )


@pytest.fixture
def signed_in(editor: User) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def test_take_it_is_one_click_from_the_queue(signed_in: Client, editor: User) -> None:
    submission = _receive(1)
    queue = reverse("contributions:index")
    assert "Take it" in signed_in.get(queue).content.decode()

    response = signed_in.post(
        reverse("contributions:assign", args=[submission.pk]),
        {"take": "1", "next": queue},
    )

    assert response.status_code == 302
    assert response["Location"] == queue
    submission.refresh_from_db()
    assert submission.assigned_to == editor
    assert "assigned it to themselves" in submission.notes.get().body_html


def test_assigning_to_a_colleague_with_a_due_time(
    signed_in: Client, editor: User
) -> None:
    colleague = User.objects.create_user(username="farid", password="x" * 20)
    colleague.groups.add(Group.objects.get(name="Desk editors"))
    submission = _receive(1)

    signed_in.post(
        reverse("contributions:assign", args=[submission.pk]),
        {"assigned_to": colleague.pk, "due_at": "2026-12-05T16:30"},
    )

    submission.refresh_from_db()
    assert submission.assigned_to == colleague
    assert submission.due_at is not None
    # the newsroom's time zone (UTC in the tests)
    expected = datetime(2026, 12, 5, 16, 30, tzinfo=UTC)
    assert submission.due_at == expected
    page = signed_in.get(reverse("contributions:detail", args=[submission.pk]))
    assert "due" in page.content.decode()


def test_reassigning_moves_the_work_and_says_who_had_it(
    signed_in: Client, editor: User
) -> None:
    first = User.objects.create_user(username="farid", password="x" * 20)
    second = User.objects.create_user(username="nadia", password="x" * 20)
    for colleague in (first, second):
        colleague.groups.add(Group.objects.get(name="Desk editors"))
    submission = _receive(1)
    assign = reverse("contributions:assign", args=[submission.pk])
    signed_in.post(assign, {"assigned_to": first.pk, "due_at": "2026-12-05T16:30"})

    # when: it is given to someone else, later
    signed_in.post(assign, {"assigned_to": second.pk, "due_at": "2026-12-06T09:00"})

    # then: it is theirs, due then, off the first one's list; both steps noted
    submission.refresh_from_db()
    assert submission.assigned_to == second
    assert submission.due_at == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert not Submission.objects.filter(assigned_to=first).exists()
    notes = [note.body_html for note in submission.notes.order_by("created_at", "pk")]
    assert len(notes) == 2
    assert "farid" in notes[0]
    assert "nadia" in notes[1]


def test_only_someone_who_may_accept_can_be_assigned(
    signed_in: Client, outsider: User
) -> None:
    submission = _receive(1)

    response = signed_in.post(
        reverse("contributions:assign", args=[submission.pk]),
        {"assigned_to": outsider.pk},
        follow=True,
    )

    submission.refresh_from_db()
    assert submission.assigned_to is None
    assert "Select a valid choice" in response.content.decode()


def test_moving_a_submission_to_another_desk(signed_in: Client) -> None:
    submission = _receive(1)
    pashto = Desk.objects.get(name="Pashto")

    signed_in.post(
        reverse("contributions:move", args=[submission.pk]), {"desk": pashto.pk}
    )

    submission.refresh_from_db()
    assert submission.desk == pashto
    assert "moved it to the Pashto desk" in submission.notes.get().body_html


def test_merging_a_duplicate_moves_its_files_and_leaves_the_queue(
    signed_in: Client,
) -> None:
    text = " ".join(f"word{n}" for n in range(200))
    first = _receive(1, body_html=f"<p>{text}</p>", body_text=text)
    second = _receive(2, body_html=f"<p>{text}</p>", body_text=text)
    SubmissionFile.objects.create(
        submission=second,
        name="photo.jpg",
        content_type="image/jpeg",
        size=3,
        sha256="0" * 64,
        path="files/x",
        kind=SubmissionFile.Kind.PHOTO,
    )
    page = signed_in.get(reverse("contributions:detail", args=[second.pk]))
    assert f"Merge this one into #{first.pk}" in page.content.decode()

    signed_in.post(reverse("contributions:merge", args=[second.pk]), {"into": first.pk})

    second.refresh_from_db()
    assert second.state == Submission.State.MERGED
    assert second.merged_into == first
    assert [f.name for f in first.files.all()] == ["photo.jpg"]
    assert f"merged submission #{second.pk}" in first.notes.get().body_html
    queue = signed_in.get(reverse("contributions:index")).content.decode()
    assert f"/submissions/{second.pk}/" not in queue
    # merging it again is refused, with a reason
    again = signed_in.post(
        reverse("contributions:merge", args=[second.pk]),
        {"into": first.pk},
        follow=True,
    )
    assert "already merged" in again.content.decode()


def test_an_editor_merges_a_duplicate_the_similarity_check_missed(
    signed_in: Client,
) -> None:
    # given: two submissions of the same event in different words, so no match
    first = _receive(1, body_html="<p>The dam gave way at dawn.</p>")
    second = _receive(2, body_html="<p>At first light the barrage broke.</p>")
    assert not second.matches.exists()

    # then: the submission's page offers every other open submission to merge into
    page = signed_in.get(reverse("contributions:detail", args=[second.pk]))
    html = page.content.decode()
    assert 'name="into" id="merge-into"' in html
    assert f'<option value="{first.pk}">#{first.pk} ' in html
    assert f'<option value="{second.pk}">#{second.pk} ' not in html

    # when: the editor picks the first and merges
    response = signed_in.post(
        reverse("contributions:merge", args=[second.pk]),
        {"into": first.pk},
        follow=True,
    )

    # then: merged, and said so
    assert f"Merged into submission #{first.pk}." in response.content.decode()
    second.refresh_from_db()
    assert second.merged_into == first
    # a merged submission is not offered as a target any more
    third = _receive(3)
    html = signed_in.get(reverse("contributions:detail", args=[third.pk])).content
    assert f'<option value="{second.pk}">#{second.pk} '.encode() not in html


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("none", "There is no such submission to merge into."),
        ("itself", "cannot be merged into itself"),
        ("held", "nothing can be merged into it"),
    ],
)
def test_a_merge_into_no_submission_itself_or_a_held_one_is_refused_saying_why(
    signed_in: Client, target: str, said: str
) -> None:
    held = _receive(1)
    Submission.objects.filter(pk=held.pk).update(state=Submission.State.QUARANTINED)
    submission = _receive(2)
    into = {"none": "", "itself": submission.pk, "held": held.pk}[target]

    response = signed_in.post(
        reverse("contributions:merge", args=[submission.pk]),
        {"into": into},
        follow=True,
    )

    assert said in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == Submission.State.NEW


def test_the_queue_is_closed_to_those_who_may_not_accept(outsider: User) -> None:
    submission = _receive(1)
    client = Client()
    client.force_login(outsider)

    response = client.post(
        reverse("contributions:assign", args=[submission.pk]), {"take": "1"}
    )

    assert response.status_code in (302, 403)
    submission.refresh_from_db()
    assert submission.assigned_to is None


def test_a_decided_submission_is_not_reassigned(signed_in: Client) -> None:
    submission = _receive(1)
    Submission.objects.filter(pk=submission.pk).update(
        state=Submission.State.DECLINED, due_at=timezone.now() - timedelta(days=1)
    )

    response = signed_in.post(
        reverse("contributions:assign", args=[submission.pk]),
        {"take": "1"},
        follow=True,
    )

    assert "was already declined" in response.content.decode()
