"""Partners pull the changes they may see with their key: cursors, pages, ETags,
and clear refusals that give nothing away."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.stories.models import SectionPage, StoryPage
from newsdesk.syndication.models import Format, Partner
from newsdesk.syndication.services import partner_key_issue, partner_key_revoke
from tests.stories.factories import make_person, make_section, make_story

pytestmark = pytest.mark.django_db

URL = "/partners/v1/items"
SECRET = "Quillwort"  # only in the embargoed story


@pytest.fixture(autouse=True)
def settled(settings: SettingsWrapper) -> None:
    settings.NEWSDESK_SYNDICATION_SETTLE_SECONDS = 0
    cache.clear()


@pytest.fixture
def partner() -> Partner:
    return Partner.objects.create(
        name="Valley Times",
        all_sections=True,
        formats=[Format.NINJS3, Format.NINJS2, Format.NEWSML],
    )


@pytest.fixture
def key(partner: Partner) -> str:
    return partner_key_issue(partner=partner, by=None, label="web desk")[1]


def _get(key: str | None, **params: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key is not None else {}
    return Client().get(URL, params, **headers)


def _publish(section: SectionPage, capture: Any, **fields: Any) -> StoryPage:
    story = make_story(section=section, authors=[make_person()], **fields)
    with capture(execute=True):
        story.save_revision().publish()
    story.refresh_from_db()
    return story


def _headlines(response: Any) -> list[str]:
    return [
        entry["item"]["headlines"][0]["value"] for entry in response.json()["items"]
    ]


def test_a_partner_pulls_each_change_once_in_order(
    key: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    for title in ("First", "Second", "Third"):
        _publish(section, django_capture_on_commit_callbacks, title=title)

    first = _get(key)
    assert first.status_code == 200
    assert _headlines(first) == ["First", "Second", "Third"]
    body = first.json()
    assert body["has_more"] is False
    assert [e["change"] for e in body["items"]] == ["published"] * 3
    assert all(e["item"]["pubStatus"] == "usable" for e in body["items"])

    after = _get(key, since=body["next_cursor"])
    assert after.json()["items"] == []
    assert after.json()["next_cursor"] == body["next_cursor"]


def test_the_same_cursor_gives_the_same_answer_and_an_etag(
    key: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(section, django_capture_on_commit_callbacks, title="First")

    one, two = _get(key, since=0), _get(key, since=0)
    assert one.content == two.content
    assert one["ETag"] == two["ETag"]
    cache.clear()  # rendered afresh, not the kept page: still the same bytes
    fresh = _get(key, since=0)
    assert (fresh.content, fresh["ETag"]) == (one.content, one["ETag"])

    again = Client().get(
        URL,
        {"since": 0},
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_IF_NONE_MATCH=one["ETag"],
    )
    assert again.status_code == 304
    assert again.content == b""


def test_a_page_is_rendered_once_and_a_new_change_is_never_hidden_by_it(
    partner: Partner,
    key: str,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from newsdesk.syndication import views

    rendered: list[int] = []
    render = views._body

    def counted(*args: Any, **kwargs: Any) -> bytes:
        rendered.append(1)
        return render(*args, **kwargs)

    monkeypatch.setattr(views, "_body", counted)
    _publish(section, django_capture_on_commit_callbacks, title="First")
    other = partner_key_issue(partner=partner, by=None, label="night desk")[1]

    assert _headlines(_get(key)) == ["First"]
    assert _headlines(_get(other)) == ["First"]
    assert len(rendered) == 1

    _publish(section, django_capture_on_commit_callbacks, title="Second")
    assert _headlines(_get(key)) == ["First", "Second"]
    assert len(rendered) == 2
    assert _headlines(_get(key, format=Format.NINJS2)) == ["First", "Second"]
    assert len(rendered) == 3


def test_pages_follow_the_next_cursor(
    key: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(5):
        _publish(section, django_capture_on_commit_callbacks, title=f"Story {n}")

    page = _get(key, limit=2)
    seen = _headlines(page)
    assert page.json()["has_more"] is True
    assert 'rel="next"' in page["Link"]
    while page.json()["has_more"]:
        page = _get(key, limit=2, since=page.json()["next_cursor"])
        seen += _headlines(page)

    assert seen == [f"Story {n}" for n in range(5)]


def test_a_correction_reaches_the_partner_as_a_new_version(
    key: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    from newsdesk.stories.models import Correction

    story = _publish(section, django_capture_on_commit_callbacks, title="Floods")
    story.corrections.add(Correction(published_at=timezone.now(), note="It was May."))
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()

    items = _get(key).json()["items"]
    assert [(e["change"], e["item"]["version"]) for e in items] == [
        ("published", "1"),
        ("corrected", "2"),
    ]
    assert items[0]["item"]["uri"] == items[1]["item"]["uri"]


def test_each_format_the_partner_takes_is_served(
    key: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(section, django_capture_on_commit_callbacks, title="Floods")

    ninjs2 = _get(key, format="ninjs2")
    newsml = _get(key, format="newsml")

    assert ninjs2.status_code == 200
    assert ninjs2.json()["items"][0]["item"]["headlines"][0]["value"] == "Floods"
    assert newsml.status_code == 200
    assert newsml["Content-Type"].startswith("application/vnd.iptc.g2.newsmessage+xml")
    assert b"<newsMessage" in newsml.content
    assert b"Floods" in newsml.content


# --- embargo ---------------------------------------------------------------


def _embargoed(section: SectionPage, capture: Any) -> StoryPage:
    return _publish(
        section,
        capture,
        title=f"{SECRET} treaty signed",
        body=f"<p>The {SECRET} accord.</p>",
        embargo_until=timezone.now() + timedelta(hours=2),
    )


def test_embargoed_copy_never_reaches_a_partner_without_the_right(
    key: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(section, django_capture_on_commit_callbacks, title="Public story")
    _embargoed(section, django_capture_on_commit_callbacks)

    for fmt in ("ninjs3", "ninjs2", "newsml"):
        response = _get(key, format=fmt)
        assert response.status_code == 200
        assert SECRET.encode() not in response.content, fmt
        assert b"Public story" in response.content


def test_an_embargo_called_off_tells_only_the_partners_who_had_the_copy(
    partner: Partner,
    key: str,
    section: SectionPage,
    editor: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a partner with the embargo right and one without, and a story that is
    # only ever embargoed
    privileged = Partner.objects.create(
        name="Wire desk", all_sections=True, embargoed_copy=True
    )
    privileged_key = partner_key_issue(partner=privileged, by=None)[1]
    story = _embargoed(section, django_capture_on_commit_callbacks)

    # when: its publication is called off before the embargo ends (as the
    # newsroom's "Cancel scheduled publish" does)
    with django_capture_on_commit_callbacks(execute=True):
        revision = story.revisions.exclude(approved_go_live_at=None).get()
        revision.approved_go_live_at = None
        revision.save(user=editor, update_fields=["approved_go_live_at"])

    # then: the partner who held it embargoed is told to drop it...
    changes = [e["change"] for e in _get(privileged_key).json()["items"]]
    assert changes == ["embargoed", "withdrawn"]
    # ...and the one without the right learns nothing of it, in any format
    for fmt in ("ninjs3", "ninjs2", "newsml"):
        response = _get(key, format=fmt)
        assert response.status_code in {200, 204}
        assert SECRET.encode() not in response.content, fmt
    assert _get(key).json()["items"] == []


def test_a_partner_with_the_right_gets_embargoed_copy_marked_as_such(
    partner: Partner,
    key: str,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    partner.embargoed_copy = True
    partner.save()
    story = _embargoed(section, django_capture_on_commit_callbacks)

    (entry,) = _get(key).json()["items"]

    assert entry["change"] == "embargoed"
    assert entry["item"]["pubStatus"] == "withheld"
    assert entry["item"]["embargoedUntil"] == story.embargo_until.isoformat().replace(  # type: ignore[union-attr]
        "+00:00", "Z"
    ) or entry["item"]["embargoedUntil"].startswith(
        story.embargo_until.strftime("%Y-%m-%dT%H:%M")  # type: ignore[union-attr]
    )


# --- what a partner may take -------------------------------------------------


def test_a_partner_gets_only_its_sections_and_languages(
    partner: Partner,
    key: str,
    home: Any,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sport = make_section(home, title="Sport")
    partner.all_sections = False
    partner.languages = ["en"]
    partner.save()
    partner.sections.set([section])
    _publish(section, django_capture_on_commit_callbacks, title="World story")
    _publish(sport, django_capture_on_commit_callbacks, title="Sport story")
    _publish(
        section, django_capture_on_commit_callbacks, title="Dari story", language="prs"
    )

    assert _headlines(_get(key)) == ["World story"]
    refused = _get(key, section="sport")
    assert refused.status_code == 403
    assert b"Sport story" not in refused.content
    assert _headlines(_get(key, section=section.slug)) == ["World story"]


# --- bad keys and bad requests -----------------------------------------------


def test_a_missing_key_is_refused_with_a_challenge(
    section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(section, django_capture_on_commit_callbacks, title="Floods")

    response = _get(None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization" in response.json()["error"]
    assert b"Floods" not in response.content


@pytest.mark.parametrize(
    "header",
    ["Bearer nd_not-a-key-at-all", "Basic dXNlcjpwYXNz", "Bearer ", "nd_nobearer"],
)
def test_a_wrong_key_is_refused(
    header: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(section, django_capture_on_commit_callbacks, title="Floods")

    response = Client().get(URL, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert b"Floods" not in response.content


def test_a_revoked_key_is_refused_and_the_partners_other_key_still_works(
    partner: Partner,
    key: str,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _publish(section, django_capture_on_commit_callbacks, title="Floods")
    other_key, other = partner_key_issue(partner=partner, by=None, label="app")
    partner_key_revoke(key=other_key)

    refused = _get(other)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]
    assert b"Floods" not in refused.content
    assert _get(key).status_code == 200


def test_a_paused_partner_is_refused(
    partner: Partner, key: str, section: SectionPage
) -> None:
    partner.active = False
    partner.save()

    assert _get(key).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"since": "abc"},
        {"since": "-1"},
        {"since": "1e5"},
        {"since": "9" * 40},
        {"since": "١٢"},  # Arabic-Indic digits
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "1000000000"},
        {"limit": "ten"},
        {"format": "rss"},
    ],
)
def test_bad_parameters_get_a_clear_400(key: str, params: dict[str, str]) -> None:
    response = _get(key, **params)

    assert response.status_code == 400
    assert response.json()["error"]


def test_a_format_the_partner_does_not_take_is_refused(
    partner: Partner, key: str
) -> None:
    partner.formats = [Format.NINJS3]
    partner.save()

    response = _get(key, format="newsml")

    assert response.status_code == 400
    assert "ninjs3" in response.json()["error"]


def test_each_key_is_rate_limited(partner: Partner, key: str) -> None:
    partner.requests_per_minute = 3
    partner.save()

    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        codes = [_get(key).status_code for _ in range(4)]
        refused = _get(key)

    assert codes == [200, 200, 200, 429]
    assert int(refused["Retry-After"]) > 0


def test_a_partners_second_key_has_its_own_count(partner: Partner, key: str) -> None:
    # given: a partner whose web desk key has used up its minute
    partner.requests_per_minute = 2
    partner.save()
    other = partner_key_issue(partner=partner, by=None, label="mobile app")[1]

    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        spent = [_get(key).status_code for _ in range(3)]
        # then: its app's key still gets its own two requests
        fresh = [_get(other).status_code for _ in range(3)]

    assert spent == [200, 200, 429]
    assert fresh == [200, 200, 429]


def test_a_change_waits_a_moment_before_partners_see_it(
    settings: SettingsWrapper,
    key: str,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NEWSDESK_SYNDICATION_SETTLE_SECONDS = 2
    _publish(section, django_capture_on_commit_callbacks, title="Floods")

    assert _get(key).json()["items"] == []
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        assert _headlines(_get(key)) == ["Floods"]


def test_answers_are_private_to_the_key(key: str) -> None:
    response = _get(key)

    assert response["Cache-Control"] == "private, no-cache"
    assert response["Vary"] == "Authorization"
    assert not response.cookies
    assert json.loads(response.content)["items"] == []


def test_nothing_new_in_newsml_is_no_content_with_the_cursor(key: str) -> None:
    response = _get(key, format="newsml", since=7)

    assert response.status_code == 204
    assert response["Newsdesk-Next-Cursor"] == "7"


def test_a_correction_is_signalled_in_newsml(
    key: str, section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    from newsdesk.stories.models import Correction

    story = _publish(section, django_capture_on_commit_callbacks, title="Floods")
    story.corrections.add(Correction(published_at=timezone.now(), note="It was May."))
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()
    story.title = "Floods recede"
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()

    body = _get(key, format="newsml").content.decode()

    # version 2 is the correction; version 3, an update, is not signalled as one
    assert body.count('qcode="sig:correction"') == 1
    assert body.count('qcode="sig:update"') == 2
