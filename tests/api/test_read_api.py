"""The read API shows what the reader site shows, as JSON: live stories, sections
and authors; never a draft, an embargoed story before its time or a killed story's
copy; bad input gets a 400 that names the parameter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.stories.models import (
    Correction,
    HomePage,
    SectionPage,
    StoryUpdate,
)
from newsdesk.stories.services import story_kill
from tests.conftest import Publish
from tests.stories.factories import make_person, make_section, make_story

pytestmark = pytest.mark.django_db

API = "/api/v1"
SECRET = "Quillwort"  # only ever in copy the API must not show


@pytest.fixture(autouse=True)
def fresh_counters() -> None:
    cache.clear()


def _get(path: str, **params: Any) -> Any:
    return Client().get(f"{API}{path}", params)


def _ok(path: str, **params: Any) -> Any:
    response = _get(path, **params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


# --- what is shown -----------------------------------------------------------------


def test_a_live_story_is_listed_and_shown_whole(
    publish: Publish, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a published story with two authors, a tag, a correction and an update
    amina, omar = make_person(name="Amina Rahimi"), make_person(name="Omar Farooq")
    story = publish(
        title="Floods close the Salang road",
        standfirst="Traffic is stopped in both directions.",
        dateline="KABUL",
        body=(
            '<p>Water <a href="/world/">covered</a> the road.</p>'
            "<script>alert(1)</script><p onclick='x()'>Crews are out.</p>"
        ),
        authors=[amina, omar],
    )
    story.tags.add("weather")
    Correction.objects.create(
        story=story, published_at=timezone.now(), note="The road is in Parwan."
    )
    StoryUpdate.objects.create(
        story=story, posted_at=timezone.now(), text="<p>One lane has reopened.</p>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()

    # when: a client lists the stories, then asks for this one
    listed = _ok("/stories")
    whole = _ok(f"/stories/{story.pk}")

    # then: the list has it, with its byline and section...
    assert listed["count"] == 1
    (entry,) = listed["items"]
    assert entry["id"] == story.pk
    assert entry["headline"] == "Floods close the Salang road"
    assert entry["summary"] == "Traffic is stopped in both directions."
    assert entry["url"] == "https://news.example/world/" + story.slug + "/"
    assert [a["name"] for a in entry["authors"]] == ["Amina Rahimi", "Omar Farooq"]
    assert entry["authors"][0]["url"] == f"https://news.example/authors/{amina.slug}/"
    assert entry["section"] == {
        "slug": "world",
        "title": "World",
        "url": "https://news.example/world/",
    }
    assert "body_html" not in entry
    # ...and the story comes whole: copy sanitised, links absolute, notes dated
    assert whole["dateline"] == "KABUL"
    assert whole["direction"] == "ltr"
    assert '<a href="https://news.example/world/">covered</a>' in whole["body_html"]
    assert "<script" not in whole["body_html"]
    assert "onclick" not in whole["body_html"]
    assert whole["tags"] == ["weather"]
    assert [c["note"] for c in whole["corrections"]] == ["The road is in Parwan."]
    assert [u["html"] for u in whole["updates"]] == ["<p>One lane has reopened.</p>"]
    assert whole["modified_at"] >= whole["first_published_at"]
    assert whole["lead_image"] is None


def test_a_dari_story_says_it_reads_right_to_left(publish: Publish) -> None:
    story = publish(title="سیلاب در سالنگ", language="prs")

    whole = _ok(f"/stories/{story.pk}")

    assert whole["language"] == "prs"
    assert whole["direction"] == "rtl"
    assert whole["headline"] == "سیلاب در سالنگ"


def test_drafts_and_embargoed_stories_are_not_there(
    publish: Publish, section: SectionPage
) -> None:
    # given: one live story, a draft and an embargoed story, all with the secret
    # word in the copy of the two not public
    publish(title="Public story")
    draft = make_story(section=section, title=f"{SECRET} draft")
    embargoed = publish(
        title=f"{SECRET} treaty",
        body=f"<p>{SECRET}</p>",
        embargo_until=timezone.now() + timedelta(hours=2),
    )
    assert not embargoed.live

    # then: lists show only the live one, and the others answer as if absent
    listed = _ok("/stories")
    assert [s["headline"] for s in listed["items"]] == ["Public story"]
    for hidden in (draft, embargoed):
        response = _get(f"/stories/{hidden.pk}")
        assert response.status_code == 404
        assert response.json() == {"error": f"There is no live story {hidden.pk}."}
    everything = [
        _get("/stories", limit=100).content,
        _get("/sections").content,
        _get("/authors", limit=100).content,
        _get("/stories", section="world").content,
    ]
    assert all(SECRET.encode() not in body for body in everything)


def test_no_filter_reveals_a_story_readers_cannot_see(
    publish: Publish, section: SectionPage, editor: User
) -> None:
    # given: a live story, and a draft, an embargoed and a killed story each with
    # its own author and tag, the secret word in its copy, in Pashto as an editorial
    publish(title="Public story", kind="news", language="en")
    hidden: dict[str, tuple[str, str]] = {}
    for state in ("draft", "embargoed", "killed"):
        person = make_person(name=f"{state.title()} Writer")
        fields: dict[str, Any] = {
            "title": f"{SECRET} {state}",
            "body": f"<p>{SECRET}</p>",
            "authors": [person],
            "kind": "editorial",
            "language": "ps",
        }
        if state == "draft":
            story = make_story(section=section, **fields)
        else:
            if state == "embargoed":
                fields["embargo_until"] = timezone.now() + timedelta(hours=2)
            story = publish(**fields)
        story.tags.add(f"{state}-only")
        story.save()
        if state == "killed":
            story_kill(story=story, by=editor, reason="Withdrawn.")
        hidden[state] = (person.slug, f"{state}-only")

    # then: every narrowing the API offers leaves them out, and names only they
    # carry answer as unknown
    for author, tag in hidden.values():
        assert _get("/stories", author=author).status_code == 404
        assert _get("/stories", tag=tag).status_code == 404
        assert _get(f"/authors/{author}").status_code == 404
    narrowed = [
        {},
        {"section": "world"},
        {"language": "ps"},
        {"kind": "editorial"},
        {"section": "world", "language": "ps", "kind": "editorial"},
    ]
    for params in narrowed:
        body = _get("/stories", limit=100, **params)
        assert body.status_code == 200
        assert SECRET.encode() not in body.content
    assert _ok("/stories", language="ps")["count"] == 0
    assert _ok("/stories", kind="editorial")["count"] == 0
    assert SECRET.encode() not in _get("/authors", limit=100).content


def test_a_killed_story_answers_410_with_the_reason_and_no_copy(
    publish: Publish, editor: User
) -> None:
    story = publish(title=f"{SECRET} claim", body=f"<p>{SECRET} said so.</p>")
    story_kill(story=story, by=editor, reason="The source withdrew the claim.")

    response = _get(f"/stories/{story.pk}")

    assert response.status_code == 410
    body = response.json()
    assert body["reason"] == "The source withdrew the claim."
    assert body["id"] == story.pk
    assert SECRET.encode() not in response.content
    assert _ok("/stories")["items"] == []


# --- narrowing and pages -----------------------------------------------------------


def test_stories_narrow_by_section_author_tag_language_and_kind(
    publish: Publish, home: HomePage, django_capture_on_commit_callbacks: Any
) -> None:
    sport = make_section(home, title="Sport")
    amina = make_person(name="Amina Rahimi")
    news = publish(title="World news", authors=[amina])
    news.tags.add("elections")
    with django_capture_on_commit_callbacks(execute=True):
        news.save_revision().publish()
    opinion = publish(title="An opinion", kind="opinion")
    pashto = publish(title="پښتو خبر", language="ps", section=sport)

    def headlines(**params: Any) -> list[str]:
        return [s["headline"] for s in _ok("/stories", **params)["items"]]

    assert headlines(section="sport") == [pashto.title]
    assert headlines(author=amina.slug) == [news.title]
    assert headlines(tag="elections") == [news.title]
    assert headlines(language="ps") == [pashto.title]
    assert headlines(kind="opinion") == [opinion.title]
    assert headlines(section="world", kind="news") == [news.title]
    assert _ok("/stories", section="world", kind="news")["count"] == 1


def test_pages_follow_one_another_without_gaps_or_repeats(
    publish: Publish,
) -> None:
    made = [publish(title=f"Story {n}").pk for n in range(5)]

    first = _ok("/stories", limit=2)
    seen = [s["id"] for s in first["items"]]
    page = first
    while page["next"]:
        assert page["next"].startswith("http://testserver/api/v1/stories?")
        page = Client().get(page["next"]).json()
        seen += [s["id"] for s in page["items"]]

    assert first["count"] == 5
    assert first["previous"] is None
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))
    assert seen == sorted(made, reverse=True)  # newest first
    assert page["previous"] is not None


def test_sections_and_their_stories(publish: Publish, home: HomePage) -> None:
    make_section(home, title="Sport")
    publish(title="In world")

    sections = _ok("/sections")
    world = _ok("/sections/world")

    assert [s["slug"] for s in sections] == ["world", "sport"]
    assert world["title"] == "World"
    assert world["url"] == "https://news.example/world/"
    stories = Client().get(world["stories"]).json()
    assert [s["headline"] for s in stories["items"]] == ["In world"]


def test_only_people_with_a_live_story_are_authors(
    publish: Publish, section: SectionPage
) -> None:
    # given: a published author, and a contributor whose only story is a draft
    amina = make_person(name="Amina Rahimi", bio="Covers the provinces.")
    hidden = make_person(name="Unpublished Contributor")
    publish(title="Her story", authors=[amina])
    make_story(section=section, title="Draft", authors=[hidden])

    authors = _ok("/authors")
    one = _ok(f"/authors/{amina.slug}")

    assert [a["name"] for a in authors["items"]] == ["Amina Rahimi"]
    assert authors["count"] == 1
    assert one["bio"] == "Covers the provinces."
    assert one["url"] == f"https://news.example/authors/{amina.slug}/"
    assert _get(f"/authors/{hidden.slug}").status_code == 404
    assert _get("/stories", author=hidden.slug).status_code == 404


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "9" * 40}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"language": "fr"}, "language"),
        ({"kind": "gossip"}, "kind"),
        ({"section": "world/../x"}, "section"),
        ({"section": "a\x00b"}, "section"),
        ({"tag": "x" * 201}, "tag"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(
    section: SectionPage, params: dict[str, str], named: str
) -> None:
    response = _get("/stories", **params)

    assert response.status_code == 400
    body = response.json()
    assert named in body["error"]
    assert [d["parameter"] for d in body["detail"]] == [named]
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    ["/stories/0", "/stories/abc", f"/stories/{2**31}", "/stories/" + "9" * 30],
)
def test_a_story_id_that_cannot_be_one_is_a_400(path: str) -> None:
    response = _get(path)

    assert response.status_code == 400
    assert "story_id" in response.json()["error"]


def test_narrowing_by_two_lists_at_once_is_refused(publish: Publish) -> None:
    amina = make_person(name="Amina Rahimi")
    publish(authors=[amina])

    response = _get("/stories", section="world", author=amina.slug)

    assert response.status_code == 400
    assert response.json()["error"] == (
        "Narrow the list by one of section, author or tag."
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/stories?section=nowhere", "There is no section “nowhere”."),
        ("/stories?author=nobody", "There is no author “nobody”."),
        ("/stories?tag=nothing", "There is no tag “nothing”."),
        ("/sections/nowhere", "There is no section “nowhere”."),
        ("/authors/nobody", "There is no author “nobody”."),
    ],
)
def test_unknown_names_are_a_404_that_says_so(
    section: SectionPage, path: str, message: str
) -> None:
    response = Client().get(API + path)

    assert response.status_code == 404
    assert response.json()["error"] == message


def test_an_address_asking_too_often_is_told_to_wait(
    section: SectionPage, settings: SettingsWrapper
) -> None:
    settings.NEWSDESK_API_REQUESTS_PER_MINUTE = 3
    answers = [_get("/sections") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert "Too many requests" in answers[-1].json()["error"]
    # another address is not held up
    other = Client(REMOTE_ADDR="192.0.2.7").get(f"{API}/sections")
    assert other.status_code == 200


# --- the document ------------------------------------------------------------------


def test_the_openapi_document_describes_every_operation() -> None:
    document = Client().get(f"{API}/openapi.json").json()

    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/stories",
        "/api/v1/stories/{story_id}",
        "/api/v1/sections",
        "/api/v1/sections/{slug}",
        "/api/v1/authors",
        "/api/v1/authors/{slug}",
    }
    story = document["paths"]["/api/v1/stories/{story_id}"]["get"]
    assert {"200", "400", "404", "410"} <= set(story["responses"])
    docs = Client().get(f"{API}/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content
