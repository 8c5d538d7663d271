"""list_submissions and accept_submission, as a script would use them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Submission
from newsdesk.contributions.services import submission_receive
from newsdesk.stories.models import SectionPage, StoryPage

from .test_services import parsed


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_list_submissions_prints_new_ones_as_json(db: None) -> None:
    submission = submission_receive(
        parsed=parsed(problems=("The message had no subject.",)), raw=None
    )

    rows = json.loads(run("list_submissions", "--json"))

    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == submission.pk
    assert row["headline"] == "Floods reach the capital"
    assert row["sender_email"] == "farida@writers.example"
    assert row["state"] == "new"
    assert row["problems"] == ["The message had no subject."]
    assert row["newsroom_url"].endswith(f"/newsroom/submissions/{submission.pk}/")


def test_list_submissions_table_and_states(editor: User, section: SectionPage) -> None:
    from newsdesk.contributions.services import submission_accept

    first = submission_receive(parsed=parsed(), raw=None)
    submission_receive(
        parsed=parsed(message_id="<2@x>", subject="Second story"), raw=None
    )
    submission_accept(submission=first, section=section, by=editor)

    new = run("list_submissions")
    accepted = run("list_submissions", "--state", "accepted")

    assert "Second story" in new
    assert "Floods reach the capital" not in new
    assert "Floods reach the capital" in accepted
    assert "-> story" in accepted
    assert json.loads(run("list_submissions", "--state", "declined", "--json")) == []


def test_accept_submission_makes_a_draft_and_says_how_to_publish(
    editor: User, section: SectionPage
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)

    out = run(
        "accept_submission",
        str(submission.pk),
        "--section",
        "world",
        "--user",
        "editor",
    )

    story = StoryPage.objects.get()
    assert f"draft story {story.pk}" in out
    assert f"publish_story {story.pk}" in out
    submission.refresh_from_db()
    assert submission.state == Submission.State.ACCEPTED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["999", "--section", "world", "--user", "editor"],
            "There is no submission #999",
        ),
        (
            ["{id}", "--section", "sport", "--user", "editor"],
            "There is no section 'sport'. Sections: world",
        ),
        (
            ["{id}", "--section", "world", "--user", "nobody"],
            "no active newsroom user called 'nobody'",
        ),
        (["{id}", "--section", "world", "--user", ""], "Say who is acting"),
        (
            ["{id}", "--section", "world", "--user", "outsider"],
            "You may not accept submissions",
        ),
    ],
)
def test_accept_submission_refuses_with_a_clear_sentence(
    editor: User, outsider: User, section: SectionPage, args: list[str], message: str
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)

    with pytest.raises(CommandError, match=message):
        run("accept_submission", *[a.format(id=submission.pk) for a in args])

    assert not StoryPage.objects.exists()
