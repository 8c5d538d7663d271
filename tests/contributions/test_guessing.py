"""First guesses for the editor: the language of a submission (English, Dari,
Pashto) and the kind of piece its writer says it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.models import User
from newsdesk.contributions.guessing import kind_guess, language_guess
from newsdesk.contributions.services import submission_accept, submission_receive
from newsdesk.stories.models import SectionPage, StoryPage

from .test_services import parsed

CORPUS = (
    Path(settings.BASE_DIR).parent
    / "shared"
    / "corpus"
    / "tico19-dari-pashto"
    / "wikinews_covid_en_prs_ps.jsonl"
)


def _paragraphs() -> list[tuple[str, str]]:
    with CORPUS.open(encoding="utf-8") as lines:
        stories = [json.loads(line) for line in lines]
    return [(s["language"], p) for s in stories for p in s["paragraphs"]]


def test_every_paragraph_of_the_dari_and_pashto_corpus_is_told_apart() -> None:
    paragraphs = _paragraphs()
    assert {language for language, _ in paragraphs} == {"en", "prs", "ps"}

    wrong = [(lang, p) for lang, p in paragraphs if language_guess(p) != lang]

    assert wrong == []


def test_english_with_a_quoted_dari_name_is_english() -> None:
    assert (
        language_guess("The minister, کابل, said on Tuesday that roads would reopen.")
        == "en"
    )
    assert language_guess("") == "en"


@pytest.mark.parametrize(
    ("subject", "text", "kind"),
    [
        ("Opinion: the budget fails the provinces", "", "opinion"),
        ("Op-ed for your pages", "", "opinion"),
        ("Floods reach Kabul", "My column this week.\nThe river...", "opinion"),
        ("Editorial: a free press", "", "editorial"),
        ("Analysis: what the vote means", "", "analysis"),
        ("تحلیل: انتخابات", "", "analysis"),
        ("سرمقاله", "", "editorial"),
        ("دیدگاه: بودجه", "", "opinion"),
        ("Floods reach Kabul", "The river rose overnight.", "news"),
        ("Council meets", "It took into account (در نظر گرفت) the votes.", "news"),
    ],
)
def test_the_kind_a_writer_names_is_proposed(
    subject: str, text: str, kind: str
) -> None:
    assert kind_guess(subject=subject, text=text) == kind


@pytest.mark.django_db
def test_a_submission_carries_its_guesses_and_the_editor_s_choice_wins(
    editor: User, section: SectionPage
) -> None:
    dari = "باران شدید در کابل باعث سیلاب شد."
    submission = submission_receive(
        parsed=parsed(
            subject="Opinion: " + dari,
            body_html=f"<p>{dari}</p>",
            body_text=dari,
        ),
        raw=None,
    )
    assert (submission.language, submission.kind) == ("prs", "opinion")

    story = submission_accept(
        submission=submission, section=section, by=editor, kind="analysis"
    )

    story = StoryPage.objects.get(pk=story.pk)
    assert story.kind == "analysis"
    assert story.language == "prs"
    assert story.text_direction == "rtl"


def test_the_accept_form_offers_the_guesses(editor: User, section: SectionPage) -> None:
    submission = submission_receive(
        parsed=parsed(subject="Editorial: press freedom"), raw=None
    )
    client = Client()
    client.force_login(editor)

    page = client.get(
        reverse("contributions:detail", args=[submission.pk])
    ).content.decode()

    assert '<option value="editorial" selected>' in page
    assert '<option value="en" selected>' in page
