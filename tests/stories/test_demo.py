"""The demo archive: real Wikinews articles become live stories, and a demo editor."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from wagtail.models import Page

from newsdesk.accounts.models import User
from newsdesk.stories.demo import (
    CORPUS_ENV,
    DEMO_PASSWORD,
    SOURCE_CREDIT,
    archive_span,
    body_html,
    corpus_default_path,
    paragraphs,
    sentences,
    unique_slugs,
)
from newsdesk.stories.models import HomePage, Person, SectionPage, StoryPage

from .factories import make_story

LIMIT = 60
SECTION_OF = {
    ("Politics and conflicts",): "politics",
    ("Economy and business",): "business",
    ("Economy and business", "Politics and conflicts"): "politics-and-economy",
}
TEXT = (
    "The council met on Tuesday. It voted to close the bridge. Mr. Karimi, the mayor, "
    "said repairs would take a year. Traders objected. Many of them cross the bridge "
    "every day."
)


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def first_records(count: int) -> list[dict[str, Any]]:
    with gzip.open(corpus_default_path(), "rt", encoding="utf-8") as corpus:
        return [json.loads(line) for line in islice(corpus, count)]


def article(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "ID1",
        "title": "Bridge to close for a year",
        "date": "2006-05-04",
        "categories": ["Economy and business"],
        "url": "https://en.wikinews.org/wiki/Bridge_to_close_for_a_year",
        "language": "en",
        "text": TEXT,
    }
    record.update(fields)
    return record


def write_corpus(folder: Path, lines: list[dict[str, Any] | str]) -> Path:
    path = folder / "corpus.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as corpus:
        for line in lines:
            corpus.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


def children_slugs(section: SectionPage) -> list[str]:
    return list(section.get_children().values_list("slug", flat=True))


# --- the import ----------------------------------------------------------------------


def test_articles_become_live_stories_in_sections_by_category(home: HomePage) -> None:
    records = first_records(LIMIT)
    expected = Counter(SECTION_OF[tuple(sorted(r["categories"]))] for r in records)
    assert len(expected) == 3, "the first articles cover all three category kinds"

    output = load("--limit", str(LIMIT))

    sections = {s.slug: s for s in SectionPage.objects.child_of(home)}
    assert {slug: s.title for slug, s in sections.items()} == {
        "politics": "Politics",
        "business": "Business",
        "politics-and-economy": "Politics and economy",
    }
    assert all(s.live and s.live_revision_id for s in sections.values())
    assert StoryPage.objects.live().count() == LIMIT
    for slug, section in sections.items():
        assert section.numchild == expected[slug]
        assert StoryPage.objects.child_of(section).live().count() == expected[slug]
    assert f"Imported {LIMIT} stories" in output


def test_an_imported_story_carries_the_article_and_its_credit(home: HomePage) -> None:
    record = first_records(1)[0]

    load("--limit", "1")

    story = StoryPage.objects.get()
    assert story.title == record["title"]
    assert story.draft_title == record["title"]
    assert story.url_path == f"/home/politics/{story.slug}/"
    assert story.slug == "president-of-china-lunches-with-brazilian-president"
    noon = dt.datetime.combine(
        dt.date.fromisoformat(record["date"]), dt.time(12), tzinfo=dt.UTC
    )
    assert story.first_published_at == noon
    assert story.last_published_at == noon
    assert story.kind == StoryPage.Kind.NEWS
    assert story.language == "en"
    assert story.source_url == record["url"]
    assert story.source_credit == SOURCE_CREDIT
    assert "Wikinews contributors, CC BY 2.5" in story.source_credit
    assert story.standfirst == ""
    assert story.body.startswith("<p>")
    assert story.body.endswith("</p>")
    assert story.body.count("<p>") >= 2
    byline = [a.person for a in story.authors.all()]
    assert [(p.name, p.kind) for p in byline] == [
        ("Wikinews contributors", Person.Kind.ORGANISATION)
    ]


def test_the_imported_tree_is_sound_and_stays_editable(home: HomePage) -> None:
    load("--limit", str(LIMIT))

    assert [len(problems) for problems in Page.find_problems()] == [0, 0, 0, 0, 0]
    # given an imported story, when an editor changes it through Wagtail
    story = StoryPage.objects.live().order_by("path").last()
    assert story is not None
    story.title = "A new headline"
    story.save_revision().publish()
    # then it is republished and the tree is still sound
    story.refresh_from_db()
    assert (story.title, story.live, story.has_unpublished_changes) == (
        "A new headline",
        True,
        False,
    )
    assert story.live_revision is not None
    section = story.get_parent().specific
    assert isinstance(section, SectionPage)
    # and a story added the ordinary way lands after the imported ones
    added = make_story(section=section, title="Written in the newsroom", live=True)
    assert added.path > story.path
    assert [len(problems) for problems in Page.find_problems()] == [0, 0, 0, 0, 0]


def test_imported_stories_can_be_found_in_the_newsroom_search(
    home: HomePage, tmp_path: Path
) -> None:
    corpus = write_corpus(
        tmp_path,
        [
            article(id="1"),
            article(id="2", title="Tea prices fall", text="Tea got cheaper in May."),
        ],
    )

    load("--corpus", str(corpus))

    found = StoryPage.objects.search("cheaper")
    assert [story.title for story in found] == ["Tea prices fall"]


def test_slugs_are_unique_in_a_section_with_a_suffix_on_clashes(
    home: HomePage, tmp_path: Path
) -> None:
    corpus = write_corpus(
        tmp_path,
        [
            article(id="1"),
            article(id="2"),
            article(id="3", title="Archive"),
            article(id="4", categories=["Politics and conflicts"]),
        ],
    )

    load("--corpus", str(corpus))

    business = SectionPage.objects.get(slug="business")
    assert sorted(children_slugs(business)) == [
        "archive-2",  # "archive" is the section's own archive folder
        "bridge-to-close-for-a-year",
        "bridge-to-close-for-a-year-2",
    ]
    politics = SectionPage.objects.get(slug="politics")
    assert children_slugs(politics) == ["bridge-to-close-for-a-year"]


def test_loading_again_reuses_the_sections_and_avoids_taken_slugs(
    home: HomePage, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path, [article()])
    load("--corpus", str(corpus))

    output = load("--corpus", str(corpus))

    assert SectionPage.objects.filter(slug="business").count() == 1
    assert "Created the sections" not in output
    business = SectionPage.objects.get(slug="business")
    assert sorted(children_slugs(business)) == [
        "bridge-to-close-for-a-year",
        "bridge-to-close-for-a-year-2",
    ]
    assert business.numchild == 2
    assert [len(problems) for problems in Page.find_problems()] == [0, 0, 0, 0, 0]


def test_articles_without_a_date_take_the_earliest_date(
    home: HomePage, tmp_path: Path
) -> None:
    corpus = write_corpus(
        tmp_path,
        [
            article(id="1", title="Later", date="2007-01-02"),
            article(id="2", title="Earlier", date="2005-03-04"),
            article(id="3", title="Undated", date=None),
        ],
    )

    load("--corpus", str(corpus))

    undated = StoryPage.objects.get(title="Undated")
    assert undated.first_published_at == dt.datetime(2005, 3, 4, 12, tzinfo=dt.UTC)


def test_if_empty_leaves_an_archive_with_stories_alone(home: HomePage) -> None:
    load("--if-empty", "--limit", "5")

    output = load("--if-empty", "--limit", "5")

    assert StoryPage.objects.count() == 5
    assert "not loaded" in output


def test_if_empty_counts_any_story_not_only_demo_ones(
    home: HomePage, section: SectionPage
) -> None:
    make_story(section=section, title="Our own story")

    output = load("--if-empty", "--limit", "5")

    assert StoryPage.objects.count() == 1
    assert "not loaded" in output


# --- replaying the archive -----------------------------------------------------------


def noon(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=dt.UTC)


def test_copies_replay_the_archive_earlier_each_time_with_their_own_slugs(
    home: HomePage, tmp_path: Path
) -> None:
    # given an archive spanning 4 to 10 May (seven days)
    corpus = write_corpus(
        tmp_path,
        [
            article(id="1", title="Bridge closes", date="2006-05-04"),
            article(id="2", title="Tea prices fall", date="2006-05-10"),
        ],
    )

    output = load("--corpus", str(corpus), "--copies", "3")

    # then each copy is a week before the one after it, under the same headlines
    stories = StoryPage.objects.live().order_by("-first_published_at")
    assert [(s.title, s.first_published_at) for s in stories] == [
        ("Tea prices fall", noon("2006-05-10")),
        ("Bridge closes", noon("2006-05-04")),
        ("Tea prices fall", noon("2006-05-03")),
        ("Bridge closes", noon("2006-04-27")),
        ("Tea prices fall", noon("2006-04-26")),
        ("Bridge closes", noon("2006-04-20")),
    ]
    assert all(s.last_published_at == s.first_published_at for s in stories)
    business = SectionPage.objects.get(slug="business")
    assert sorted(children_slugs(business)) == [
        "bridge-closes",
        "bridge-closes-2",
        "bridge-closes-3",
        "tea-prices-fall",
        "tea-prices-fall-2",
        "tea-prices-fall-3",
    ]
    assert business.numchild == 6
    assert len({s.body for s in stories}) == 1  # both articles share TEXT
    assert [len(problems) for problems in Page.find_problems()] == [0, 0, 0, 0, 0]
    assert "Imported 6 stories (3 copies of 2 articles)" in output


def test_copies_of_an_undated_article_follow_the_earliest_date(
    home: HomePage, tmp_path: Path
) -> None:
    corpus = write_corpus(
        tmp_path,
        [
            article(id="1", title="Dated", date="2006-05-04"),
            article(id="2", title="Undated", date=None),
        ],
    )

    load("--corpus", str(corpus), "--copies", "2")

    undated = StoryPage.objects.filter(title="Undated").order_by("-first_published_at")
    assert [s.first_published_at for s in undated] == [
        noon("2006-05-04"),
        noon("2006-05-03"),  # a one-day archive moves back one day a copy
    ]


def test_copies_spread_over_sections_and_batches_keep_the_tree_sound(
    home: HomePage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches, so that copies cross batch boundaries as the real archive does.
    monkeypatch.setattr("newsdesk.stories.demo.INSERT_BATCH", 3)
    corpus = write_corpus(
        tmp_path,
        [
            article(id="1", title="Bridge closes"),
            article(
                id="2", title="Vote delayed", categories=["Politics and conflicts"]
            ),
            article(id="3", title="Budget passes", date="2007-01-01"),
        ],
    )

    output = load("--corpus", str(corpus), "--copies", "4")

    assert StoryPage.objects.live().count() == 12
    counts = {
        s.slug: StoryPage.objects.child_of(s).count() for s in SectionPage.objects.all()
    }
    assert counts == {"business": 8, "politics": 4}
    assert "(Politics 4, Business 8)" in output
    slugs = StoryPage.objects.values_list("url_path", flat=True)
    assert len(set(slugs)) == 12
    assert [len(problems) for problems in Page.find_problems()] == [0, 0, 0, 0, 0]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner statistics"
)
def test_the_planner_learns_the_imported_numbers_once_the_import_commits(
    home: HomePage, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    corpus = write_corpus(tmp_path, [article(id=str(n)) for n in range(30)])

    with django_capture_on_commit_callbacks(execute=True):
        load("--corpus", str(corpus))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s",
            [StoryPage._meta.db_table],
        )
        assert cursor.fetchone() == (30,)


def test_copies_below_one_are_refused(home: HomePage) -> None:
    with pytest.raises(CommandError, match="--copies"):
        load("--limit", "2", "--copies", "0")

    assert not StoryPage.objects.exists()


def test_the_archive_span_counts_first_and_last_day() -> None:
    days = [dt.date(2006, 5, 10), dt.date(2006, 5, 4), dt.date(2006, 5, 7)]

    assert archive_span(days) == dt.timedelta(days=7)
    assert archive_span([dt.date(2006, 5, 4)]) == dt.timedelta(days=1)
    assert archive_span([]) == dt.timedelta(days=1)


# --- the demo editor -----------------------------------------------------------------


def test_the_demo_editor_is_created_and_may_publish_imported_stories(
    home: HomePage,
) -> None:
    output = load("--limit", "3")

    user = User.objects.get(username="editor")
    assert user.check_password(DEMO_PASSWORD)
    assert user.groups.filter(name="Moderators").exists()
    assert user.has_perm("wagtailadmin.access_admin")
    story = StoryPage.objects.first()
    assert story is not None
    assert story.permissions_for_user(user).can_publish()
    assert f"username editor, password {DEMO_PASSWORD}" in output


def test_an_existing_editor_account_keeps_its_password_and_groups(
    home: HomePage,
) -> None:
    existing = User.objects.create_user(username="editor", password="their-own-pass")

    output = load("--limit", "3")

    existing.refresh_from_db()
    assert existing.check_password("their-own-pass")
    assert not existing.groups.exists()
    assert DEMO_PASSWORD not in output
    assert "exists already" in output


# --- bad input -----------------------------------------------------------------------


def test_a_missing_corpus_says_where_it_looked_and_how_to_fix_it(
    home: HomePage, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.jsonl.gz"

    with pytest.raises(CommandError) as error:
        load("--corpus", str(missing))

    assert str(missing) in str(error.value)
    assert "--corpus" in str(error.value)
    assert not StoryPage.objects.exists()


def test_a_missing_corpus_with_missing_ok_warns_and_imports_nothing(
    home: HomePage, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.jsonl.gz"
    err = io.StringIO()

    call_command(
        "load_demo",
        "--corpus",
        str(missing),
        "--missing-ok",
        stdout=io.StringIO(),
        stderr=err,
    )

    assert "starting without demo content" in err.getvalue()
    assert not StoryPage.objects.exists()


def test_the_corpus_can_be_named_by_environment_variable(
    home: HomePage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path, [article()])
    monkeypatch.setenv(CORPUS_ENV, str(corpus))

    load()

    assert corpus_default_path() == corpus
    assert StoryPage.objects.get().title == "Bridge to close for a year"


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps(["a", "list"]), "expected a JSON object"),
        (json.dumps(article(title="")), "'title'"),
        (json.dumps(article(categories=["Sport"])), "name no demo section"),
        (json.dumps(article(date="4 May 2006")), "not YYYY-MM-DD"),
    ],
)
def test_a_malformed_line_is_named_and_nothing_is_imported(
    home: HomePage, tmp_path: Path, bad_line: str, message: str
) -> None:
    corpus = write_corpus(tmp_path, [article(id="1"), article(id="2"), bad_line])

    with pytest.raises(CommandError) as error:
        load("--corpus", str(corpus))

    assert "Line 3" in str(error.value)
    assert message in str(error.value)
    assert str(corpus) in str(error.value)
    assert not StoryPage.objects.exists()
    assert not SectionPage.objects.exists()
    assert not User.objects.filter(username="editor").exists()


def test_a_damaged_gzip_file_is_a_clear_error(home: HomePage, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, [article()] * 50)
    corpus.write_bytes(corpus.read_bytes()[:-20])

    with pytest.raises(CommandError, match="Cannot read the demo corpus"):
        load("--corpus", str(corpus))

    assert not StoryPage.objects.exists()


def test_a_limit_below_one_is_refused(home: HomePage) -> None:
    with pytest.raises(CommandError, match="--limit"):
        load("--limit", "0")


def test_a_missing_moderators_group_is_a_clear_error(home: HomePage) -> None:
    Group.objects.filter(name="Moderators").delete()

    with pytest.raises(CommandError, match="Moderators"):
        load("--limit", "2")

    assert not StoryPage.objects.exists()


# --- text into paragraphs ------------------------------------------------------------


def test_text_is_grouped_into_escaped_paragraphs() -> None:
    text = " ".join(f"Sentence <{n}> & more." for n in range(10))

    html = body_html(text)

    assert html.count("<p>") == 3
    assert html.startswith("<p>Sentence &lt;0&gt; &amp; more. Sentence &lt;1&gt;")
    assert "<1>" not in html


def test_paragraphs_stay_near_six_hundred_characters() -> None:
    sentence = "The minister spoke at length about the budget. " * 1
    text = (sentence + "x" * 250 + ". ") * 8

    groups = paragraphs(text)

    assert len(groups) > 2
    assert all(len(p) <= 900 for p in groups)


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    assert paragraphs(TEXT) == [TEXT]
    assert sentences("Mr. Karimi met J. Smith in the U.S. capital. Then he left.") == [
        "Mr. Karimi met J. Smith in the U.S. capital.",
        "Then he left.",
    ]


def test_wiki_headings_are_kept_and_link_lists_dropped() -> None:
    text = (
        "The talks ended. == Background == Talks began in May. "
        "==Related news== * Earlier talks fail * "
        "== See also == [http://example.org Example]"
    )

    html = body_html(text)

    assert (
        html == "<p>The talks ended.</p><h2>Background</h2><p>Talks began in May.</p>"
    )


def test_external_wiki_links_keep_their_label_and_entities_are_decoded() -> None:
    html = body_html(
        "Prices rose &mdash; again, said [http://example.org/x the bureau] [http://a.example]."
    )

    assert html == "<p>Prices rose — again, said the bureau .</p>"


def test_slugs_get_a_number_when_taken() -> None:
    taken = {"budget-passes"}

    slugs = unique_slugs(["Budget passes", "Budget passes", "!!!"], taken=taken)

    assert slugs == ["budget-passes-2", "budget-passes-3", "story"]
