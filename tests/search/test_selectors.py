"""story_search: ranked live stories, safe snippets, and no query a reader can break."""

from __future__ import annotations

import pytest

from newsdesk.search.errors import SearchQueryError
from newsdesk.search.selectors import story_search
from newsdesk.search.text import QUERY_MAX_LENGTH
from newsdesk.stories.models import StoryPage
from tests.stories.factories import make_person

from .conftest import Publish, Unpublish

# Dari: its Arabic-script letters are meant, not look-alikes of Latin ones.
DARI_TITLE = "سیلاب در شهر کابل خانه‌ها را ویران کرد"  # noqa: RUF001
DARI_BODY = (
    "<p>باران‌های شدید در ولایت پروان باعث سیلاب شد و صدها خانواده بی‌خانمان شدند.</p>"
)

HOSTILE_QUERIES = [
    '"',
    '""',
    '"unclosed phrase',
    "AND (",
    "*",
    "OR",
    "or or or",
    "NOT",
    "-",
    "--",
    "-flood",
    "title:flood",
    "flood*",
    "^flood",
    "NEAR(flood city, 2)",
    "flood) OR (city",
    "'; DROP TABLE search_indexedstory; --",
    "%s %(query)s {0}",
    "\\",
    "<script>alert(1)</script>",
    "\x00\x01\ue000\ue001",
    "\u200c",
    "a & b | !c <-> d",
    "()",
    ":*",
    "!!!",
]


def ids(query: str, **kwargs: int) -> list[int]:
    return [hit.teaser.pk for hit in story_search(query=query, **kwargs).hits]


def test_the_headline_outranks_the_body(indexed: Publish) -> None:
    in_body = indexed(
        title="Cabinet meets on Monday",
        body="<p>Ministers will also discuss the drought in the north.</p>",
    )
    in_title = indexed(title="Drought grips the north", body="<p>No rain again.</p>")
    indexed(title="Elections delayed", body="<p>Nothing about the weather.</p>")

    results = story_search(query="drought")

    assert [hit.teaser.pk for hit in results.hits] == [in_title.pk, in_body.pk]
    assert results.total == 2
    assert results.hits[0].score > results.hits[1].score


def test_more_of_the_reader_s_words_rank_higher(indexed: Publish) -> None:
    one_word = indexed(title="Bank opens a branch", body="<p>In the capital.</p>")
    both_words = indexed(
        title="Bank raises interest rates", body="<p>The bank said rates rise.</p>"
    )

    assert ids("bank OR rates") == [both_words.pk, one_word.pk]
    assert ids("bank rates") == [both_words.pk]


def test_english_words_match_their_other_forms(indexed: Publish) -> None:
    story = indexed(title="Flooding closes roads", body="<p>Roads were closed.</p>")

    assert ids("floods") == [story.pk]
    assert ids("FLOODED road") == [story.pk]


def test_dari_text_is_found(indexed: Publish) -> None:
    story = indexed(title=DARI_TITLE, body=DARI_BODY, language="prs")
    indexed(title="Floods in Kabul", body="<p>Homes destroyed.</p>")

    assert ids("سیلاب") == [story.pk]
    assert ids("خانواده") == [story.pk]
    assert ids('"ولایت پروان"') == [story.pk]
    hit = story_search(query="کابل").hits[0]
    assert hit.teaser.language == "prs"
    assert hit.teaser.text_direction == "rtl"


def test_dari_typed_with_arabic_letters_is_found(indexed: Publish) -> None:
    story = indexed(title=DARI_TITLE, body=DARI_BODY, language="prs")

    # Arabic yeh and kaf, as an Arabic keyboard types them, and a short vowel.
    assert ids("كابل") == [story.pk]
    assert ids("شديد") == [story.pk]
    assert ids("سَیلاب") == [story.pk]


def test_pashto_text_is_found(indexed: Publish) -> None:
    story = indexed(
        title="په کابل کې باران",
        body="<p>د هېواد په ډېرو سیمو کې سخت باران اوریدلی دی.</p>",
        language="ps",
    )

    assert ids("باران") == [story.pk]
    assert ids("هېواد") == [story.pk]


def test_only_live_stories_are_found(publish: Publish, unpublish: Unpublish) -> None:
    live = publish(title="Harvest festival opens")
    gone = publish(title="Harvest festival cancelled")
    unpublish(gone)

    assert ids("harvest") == [live.pk]
    assert story_search(query="harvest").total == 1


def test_a_story_taken_down_behind_the_index_s_back_is_not_shown(
    indexed: Publish,
) -> None:
    story = indexed(title="Refinery fire")
    StoryPage.objects.filter(pk=story.pk).update(live=False)

    results = story_search(query="refinery")

    assert results.total == 0
    assert results.hits == ()


def test_an_empty_query_finds_nothing(indexed: Publish) -> None:
    indexed(title="Anything at all")

    for query in ["", "   ", "-anything", "OR"]:
        results = story_search(query=query)
        assert results.total == 0, query
        assert results.hits == (), query


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_never_fail(indexed: Publish, query: str) -> None:
    indexed(title="Flood in the city", body="<p>Alert: AND OR NOT near title.</p>")

    results = story_search(query=query)

    assert results.total == len(results.hits)
    assert all("<script>" not in hit.snippet for hit in results.hits)


def test_operators_are_words_when_they_are_not_operators(indexed: Publish) -> None:
    story = indexed(
        title="Rock AND roll festival", body="<p>NOT cancelled NEAR here.</p>"
    )

    assert ids("NEAR") == [story.pk]
    assert ids("NOT cancelled") == [story.pk]
    assert ids("rock) AND (roll") == [story.pk]


def test_a_phrase_must_be_found_word_for_word(indexed: Publish) -> None:
    together = indexed(title="Fuel prices rise", body="<p>Fuel prices rise again.</p>")
    apart = indexed(title="Prices of fuel", body="<p>Rise expected.</p>")

    assert ids('"fuel prices"') == [together.pk]
    assert set(ids("fuel prices")) == {together.pk, apart.pk}


def test_a_minus_leaves_stories_out(indexed: Publish) -> None:
    kept = indexed(title="Wheat harvest good", body="<p>In the north.</p>")
    indexed(title="Wheat harvest poor", body="<p>In the south.</p>")

    assert ids("wheat -south") == [kept.pk]


def test_snippets_highlight_the_words_and_escape_the_story_s_text(
    indexed: Publish,
) -> None:
    indexed(
        title="Court ruling",
        body=(
            "<p>Lawyers argued that 3 &lt; 4 &amp; the <i>verdict</i> was unfair; "
            "&lt;script&gt;alert(1)&lt;/script&gt; appeared in the record.</p>"
        ),
    )

    snippet = str(story_search(query="verdict").hits[0].snippet)

    assert "<mark>verdict</mark>" in snippet
    assert "3 &lt; 4 &amp; the" in snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet


def test_a_headline_match_shows_the_standfirst(indexed: Publish) -> None:
    indexed(
        title="Earthquake shakes Herat",
        standfirst="Buildings cracked <across> the city.",
        body="<p>Rescuers worked through the night.</p>",
    )

    snippet = str(story_search(query="earthquake").hits[0].snippet)

    assert snippet == "Buildings cracked &lt;across&gt; the city."


def test_a_byline_finds_the_writer_s_stories(indexed: Publish) -> None:
    writer = make_person(name="Zarghuna Hotak")
    story = indexed(title="Schools reopen", authors=[writer])
    indexed(title="Schools close")

    assert ids("Hotak") == [story.pk]
    assert story_search(query="hotak").hits[0].teaser.byline == "Zarghuna Hotak"


def test_results_come_in_pages(indexed: Publish) -> None:
    stories = [indexed(title=f"Market report {n}") for n in range(5)]

    first = story_search(query="market", page=1, page_size=2)
    second = story_search(query="market", page=2, page_size=2)
    last = story_search(query="market", page=3, page_size=2)
    beyond = story_search(query="market", page=4, page_size=2)

    assert first.total == second.total == last.total == 5
    assert first.page_count == 3
    assert len(first.hits) == len(second.hits) == 2
    assert len(last.hits) == 1
    assert beyond.hits == ()
    seen = [hit.teaser.pk for r in (first, second, last) for hit in r.hits]
    assert sorted(seen) == sorted(story.pk for story in stories)
    assert (first.previous_page, first.next_page) == (None, 2)
    assert (last.previous_page, last.next_page) == (2, None)
    assert last.first_number == 5


def test_equal_scores_put_the_newest_first(indexed: Publish) -> None:
    older = indexed(title="Budget day")
    newer = indexed(title="Budget day")

    assert ids("budget") == [newer.pk, older.pk]


def test_a_query_over_the_limit_is_refused() -> None:
    with pytest.raises(SearchQueryError, match=str(QUERY_MAX_LENGTH)):
        story_search(query="x" * (QUERY_MAX_LENGTH + 1))


def test_a_page_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="page"):
        story_search(query="anything", page=0)
