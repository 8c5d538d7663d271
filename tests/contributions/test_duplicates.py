"""Near-duplicates: a piece sent twice, a press release, copy of a published story,
found by shingling and MinHash and shown beside the submission with the overlap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.models import User
from newsdesk.contributions.duplicates import story_fingerprints_backfill
from newsdesk.contributions.models import Submission, TextFingerprint
from newsdesk.contributions.services import submission_receive
from newsdesk.contributions.similarity import estimated_overlap, signature
from newsdesk.stories.models import StoryPage

from .test_services import parsed

pytestmark = pytest.mark.django_db

STORY = (
    "Floodwater reached the old city of Kabul on Tuesday after three days of rain "
    "in the mountains to the north. Residents carried what they could uphill while "
    "volunteers ran boats along the flooded streets near the river. The city "
    "council said schools would stay closed until the water fell, and the health "
    "ministry warned families to boil drinking water. Officials expect the river "
    "to crest on Wednesday evening."
)
OTHER = (
    "The national cricket team won its third match in a row on Sunday, beating the "
    "visitors by six wickets in front of a full stadium in Kandahar. The captain "
    "praised the young bowlers and said the team would rest before the final."
)


def _submit(text: str, number: int, **overrides: Any) -> Submission:
    return submission_receive(
        parsed=parsed(
            message_id=f"<{number}@writers.example>",
            body_html=f"<p>{text}</p>",
            body_text=text,
            **overrides,
        ),
        raw=None,
    )


def test_the_overlap_of_two_texts_is_estimated() -> None:
    same = estimated_overlap(signature(STORY), signature(STORY))
    edited = estimated_overlap(
        signature(STORY), signature(STORY.replace("Tuesday", "Monday") + " More.")
    )
    unrelated = estimated_overlap(signature(STORY), signature(OTHER))

    assert same == 1.0
    assert 0.6 < edited < 1.0
    assert unrelated < 0.1
    assert signature("") == ()


def test_a_piece_sent_twice_is_shown_beside_the_second(editor: User) -> None:
    first = _submit(STORY, 1)
    second = _submit(STORY.replace("Tuesday", "Monday"), 2)

    match = second.matches.get()
    assert match.other_submission == first
    assert match.overlap > 0.6
    client = Client()
    client.force_login(editor)
    page = client.get(
        reverse("contributions:detail", args=[second.pk])
    ).content.decode()
    assert "in common with" in page
    assert reverse("contributions:detail", args=[first.pk]) in page


def test_unrelated_texts_are_not_matched() -> None:
    _submit(STORY, 1)

    assert not _submit(OTHER, 2).matches.exists()


def test_copy_of_a_published_story_is_matched_to_it(
    publish: Callable[..., StoryPage],
) -> None:
    story = publish(title="Floods reach Kabul", slug="floods", body=f"<p>{STORY}</p>")

    copied = _submit("Press release. " + STORY, 3)

    match = copied.matches.get()
    assert match.story == story
    assert match.overlap > 0.8


def test_the_worker_fingerprints_the_stories_of_an_imported_archive(
    story_factory: Callable[..., StoryPage],
) -> None:
    # given: live stories that arrived without a publish signal (a bulk import)
    stories = [story_factory(live=True, body=f"<p>{STORY} {n}</p>") for n in range(3)]
    TextFingerprint.objects.all().delete()

    assert story_fingerprints_backfill(limit=2) == 2
    assert story_fingerprints_backfill(limit=2) == 1
    assert story_fingerprints_backfill(limit=2) == 0

    fingerprinted = set(TextFingerprint.objects.values_list("story_id", flat=True))
    assert fingerprinted == {story.pk for story in stories}
