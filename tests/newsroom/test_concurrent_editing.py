"""Two people editing one story: the second is told, and nothing is silently
overwritten. Over HTTP, as the browser does it: each editor opens Wagtail's page
editor, which gives the form the revision it was loaded from, and posts the form
back with it (newsdesk/stories/edit_guard.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from newsdesk.accounts.models import User
from newsdesk.stories.models import SectionPage, StoryPage
from tests.stories.factories import make_person, make_story

if TYPE_CHECKING:  # django-stubs' name for what the test client returns
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

# A's save happens at 09:30 on this day, so the refusal can name the time.
MORNING = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def morning() -> Iterator[None]:
    with time_machine.travel(MORNING, tick=True):
        yield


def _editor(username: str, first: str, last: str) -> Client:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@news.example",
        password="a-long-test-password",
        first_name=first,
        last_name=last,
    )
    user.groups.add(Group.objects.get(name="Chief editors"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def amina() -> Client:
    """Editor A."""
    return _editor("amina", "Amina", "Rahimi")


@pytest.fixture
def bashir() -> Client:
    """Editor B."""
    return _editor("bashir", "Bashir", "Karimi")


@pytest.fixture
def story(section: SectionPage) -> StoryPage:
    return make_story(
        section=section,
        title="Floods reach the capital",
        authors=[make_person(name="Farida Noori")],
    )


class Opened:
    """The page editor as one editor's browser tab has it: the form's hidden
    fields and the editing session it pings."""

    def __init__(
        self, client: Client, story: StoryPage, response: Response | None = None
    ) -> None:
        """Open the editor, or take the one ``response`` showed again."""
        self.client, self.story = client, story
        response = response or client.get(_edit_url(story))
        assert response.status_code == 200
        self.html = response.content.decode()
        self.loaded = {
            name: self._value(name)
            for name in ("loaded_revision_id", "loaded_revision_created_at")
        }
        self.ping_url = unescape(self._attribute("data-w-swap-src-value"))
        # what w-session sends with each ping: the revision the tab is editing
        self.session = {
            "revision_id": self.loaded["loaded_revision_id"],
            "revision_created_at": self.loaded["loaded_revision_created_at"],
        }

    def save(self, action: str = "action-save", **changes: Any) -> Response:
        """Post the form back, changed, with the hidden fields it was loaded with."""
        return self.post({**self.loaded, **changes}, action)

    def post(self, fields: dict[str, Any], action: str = "action-save") -> Response:
        return self.client.post(
            _edit_url(self.story), _form(self.story, action, fields)
        )

    def autosave(self, **changes: Any) -> dict[str, Any]:
        """Post the form as Wagtail's autosave does, and return its JSON."""
        response = self.client.post(
            _edit_url(self.story),
            _form(self.story, "action-save", {**self.loaded, **changes}),
            HTTP_ACCEPT="application/json",
        )
        payload: dict[str, Any] = response.json()
        assert payload["success"], payload
        return payload

    def ping(self, *, is_editing: bool = False) -> dict[str, Any]:
        """Ping the editing session as the tab does every ten seconds."""
        data = {**self.session, **({"is_editing": "1"} if is_editing else {})}
        response = self.client.post(self.ping_url, data)
        assert response.status_code == 200
        payload: dict[str, Any] = response.json()
        return payload

    def _value(self, name: str) -> str:
        return self._attribute("value", after=f'name="{name}"')

    def _attribute(self, attribute: str, after: str = "") -> str:
        match = re.search(re.escape(after) + rf'[^>]*?{attribute}="([^"]*)"', self.html)
        assert match, f"no {attribute} {after} in the editor"
        return match.group(1)


def _edit_url(story: StoryPage) -> str:
    return reverse("wagtailadmin_pages:edit", args=[story.pk])


def _form(story: StoryPage, action: str, fields: dict[str, Any]) -> dict[str, Any]:
    author = story.authors.get()
    values: dict[str, Any] = {
        "title": story.title,
        "slug": story.slug,
        "standfirst": "",
        "dateline": "KABUL",
        "kind": story.kind,
        "language": "en",
        "authors": inline_formset(
            [{"id": author.pk, "person": author.person_id, "ORDER": 1}], initial=1
        ),
        "body": rich_text("<p>The river rose overnight.</p>"),
        "tags": "",
        "source_credit": "",
        "source_url": "",
        "corrections": inline_formset([]),
        "updates": inline_formset([]),
        action: action,
    }
    values.update(fields)
    data: dict[str, Any] = nested_form_data(values)
    return data


def _titles(story: StoryPage) -> list[str]:
    """The headline of every revision of the story, oldest first."""
    revisions = Revision.objects.for_instance(story).order_by("created_at", "pk")
    return [revision.content["title"] for revision in revisions]


def _latest(story: StoryPage) -> Revision:
    latest = StoryPage.objects.get(pk=story.pk).get_latest_revision()
    assert latest is not None
    return latest


def _text(response: Response) -> str:
    return unescape(response.content.decode())


# (a) the second editor is told


def test_the_second_editor_is_told_who_else_has_the_story_open(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    a = Opened(amina, story)
    a.ping(is_editing=True)  # A has typed something

    b = Opened(bashir, story)
    others = b.ping()["other_sessions"]

    assert [(o["user"], o["is_editing"]) for o in others] == [("Amina Rahimi", True)]
    assert others[0]["revision_id"] is None  # nothing saved yet


def test_the_second_editor_is_told_when_the_first_saves(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    a, b = Opened(amina, story), Opened(bashir, story)

    assert a.save(title="Floods reach Kabul").status_code == 302
    others = b.ping()["other_sessions"]

    assert others[0]["user"] == "Amina Rahimi"
    assert others[0]["revision_id"] == _latest(story).pk
    assert "Amina Rahimi saved a new version" in b.ping()["html"]


# (b) a stale save is refused


@pytest.mark.parametrize("action", ["action-save", "action-publish", "action-submit"])
def test_a_save_from_a_form_opened_before_anothers_save_is_refused(
    amina: Client, bashir: Client, story: StoryPage, action: str
) -> None:
    # given: both open the story; A saves a new headline
    a, b = Opened(amina, story), Opened(bashir, story)
    assert a.save(title="Floods reach Kabul").status_code == 302
    amina_saved = _latest(story)

    # when: B saves (or publishes, or submits) the form they opened before that
    response = b.save(action, title="Floods cut the Salang road")

    # then: B is told who saved and when, with their input still in the editor
    assert response.status_code == 200
    text = _text(response)
    assert "Amina Rahimi saved this story at 09:30, after you opened it." in text
    assert "Your changes are not saved yet" in text
    assert 'value="Floods cut the Salang road"' in text
    compare = reverse(
        "wagtailadmin_pages:revisions_compare",
        args=[story.pk, b.loaded["loaded_revision_id"], amina_saved.pk],
    )
    assert compare in text
    # and nothing of B's is in any revision; A's is still the latest
    assert "Floods cut the Salang road" not in _titles(story)
    assert _latest(story) == amina_saved
    assert _latest(story).content["title"] == "Floods reach Kabul"
    assert not StoryPage.objects.get(pk=story.pk).live


def test_the_refused_form_is_shown_without_autosave_and_saving_it_again_overwrites(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    a, b = Opened(amina, story), Opened(bashir, story)
    assert a.save(title="Floods reach Kabul").status_code == 302

    refused = Opened(bashir, story, b.save(title="Floods cut the Salang road"))

    # the form now carries the version B was told about, and does not save itself
    assert refused.loaded["loaded_revision_id"] == str(_latest(story).pk)
    form_tag = re.search(r'<form\s+id="page-edit-form".*?>', refused.html, re.S)
    assert form_tag
    assert "w-autosave" not in form_tag.group()
    # saving again is B's explicit "save anyway"; A's version stays in the history
    assert refused.save(title="Floods cut the Salang road").status_code == 302
    assert _titles(story)[-2:] == ["Floods reach Kabul", "Floods cut the Salang road"]


def test_a_save_is_refused_if_anyone_else_saved_since_even_if_not_last(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    # given: B opens the story in two tabs; A saves; B saves from a fresh tab
    old_tab = Opened(bashir, story)
    a = Opened(amina, story)
    assert a.save(title="Floods reach Kabul").status_code == 302
    assert (
        Opened(bashir, story).save(title="Floods reach Kabul at dawn").status_code
        == 302
    )

    # when: B saves from the tab opened before A's save
    response = old_tab.save(title="Floods cut the Salang road")

    # then: refused, naming A, although the latest version is B's own
    assert response.status_code == 200
    assert "Amina Rahimi saved this story at 09:30" in _text(response)
    assert _latest(story).content["title"] == "Floods reach Kabul at dawn"


def test_a_save_is_refused_after_anothers_autosave_rewrote_the_version_it_opened(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    """Autosave rewrites its own revision in place: same id, a later time."""
    # given: A's autosave made a revision, and B opened the story at it
    a = Opened(amina, story)
    autosaved = a.autosave(title="Floods reach Kabul")
    b = Opened(bashir, story)
    assert b.loaded["loaded_revision_id"] == str(autosaved["revision_id"])
    # A types on; the autosave rewrites that same revision
    rewritten = a.autosave(
        title="Floods reach Kabul at dawn",
        overwrite_revision_id=autosaved["revision_id"],
    )
    assert rewritten["revision_id"] == autosaved["revision_id"]

    # when: B saves
    response = b.save(title="Floods cut the Salang road")

    # then: refused, and A's words are the latest
    assert response.status_code == 200
    assert "Amina Rahimi saved this story at 09:30" in _text(response)
    assert _latest(story).content["title"] == "Floods reach Kabul at dawn"


def test_a_save_is_refused_when_anothers_later_save_bears_an_earlier_time(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    """App servers' clocks may differ: a later revision has a higher id anyway."""
    a, b = Opened(amina, story), Opened(bashir, story)
    with time_machine.travel(MORNING - timedelta(minutes=5), tick=True):
        assert a.save(title="Floods reach Kabul").status_code == 302

    response = b.save(title="Floods cut the Salang road")

    assert response.status_code == 200
    assert "Amina Rahimi saved this story at 09:25" in _text(response)
    assert _latest(story).content["title"] == "Floods reach Kabul"


def test_reverting_to_an_old_version_is_refused_after_anothers_save(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    first = _latest(story)
    assert Opened(amina, story).save(title="Floods reach Kabul").status_code == 302
    revert = reverse("wagtailadmin_pages:revisions_revert", args=[story.pk, first.pk])
    b = Opened(bashir, story, bashir.get(revert))
    assert Opened(amina, story).save(title="Floods cut the road").status_code == 302

    response = bashir.post(revert, _form(story, "action-save", b.loaded))

    assert response.status_code == 200
    assert "Amina Rahimi saved this story at 09:30" in _text(response)
    assert _latest(story).content["title"] == "Floods cut the road"


# (c) a save from a fresh form, or of one's own work, goes through


def test_a_save_from_a_form_opened_after_the_others_save_goes_through(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    a = Opened(amina, story)
    assert a.save(title="Floods reach Kabul").status_code == 302

    b = Opened(bashir, story)
    response = b.save(title="Floods cut the Salang road")

    assert response.status_code == 302
    assert _latest(story).content["title"] == "Floods cut the Salang road"
    assert _titles(story)[-2:] == ["Floods reach Kabul", "Floods cut the Salang road"]


def test_the_same_editor_may_save_over_their_own_newer_save_from_another_tab(
    amina: Client, story: StoryPage
) -> None:
    first_tab, second_tab = Opened(amina, story), Opened(amina, story)
    assert second_tab.save(title="Floods reach Kabul").status_code == 302

    response = first_tab.save(title="Floods reach Kabul overnight")

    assert response.status_code == 302
    assert _latest(story).content["title"] == "Floods reach Kabul overnight"


def test_an_editor_alone_saves_as_before(bashir: Client, story: StoryPage) -> None:
    b = Opened(bashir, story)

    assert b.save(title="Floods reach Kabul").status_code == 302
    assert Opened(bashir, story).save(title="Floods cut the road").status_code == 302


# (d) bad input


def test_a_form_without_the_loaded_revision_is_saved_as_wagtail_does(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    """Wagtail's form always sends it when the story has a revision; a request
    without it is a script's, and Wagtail assumes it up to date."""
    assert Opened(amina, story).save(title="Floods reach Kabul").status_code == 302
    b = Opened(bashir, story)

    response = b.post({"title": "Floods cut the Salang road"})

    assert response.status_code == 302
    assert _latest(story).content["title"] == "Floods cut the Salang road"


@pytest.mark.parametrize(
    "loaded_revision_id",
    ["garbage", "-1", "1.5", "\u0663", "99999999999999999999999999", "another's"],
)
def test_a_form_with_a_garbage_loaded_revision_is_refused_with_a_message(
    bashir: Client, story: StoryPage, section: SectionPage, loaded_revision_id: str
) -> None:
    if loaded_revision_id == "another's":
        other = make_story(section=section, title="Another story")
        loaded_revision_id = str(_latest(other).pk)
    before = _titles(story)
    b = Opened(bashir, story)

    response = b.save(loaded_revision_id=loaded_revision_id, title="Floods cut")

    assert response.status_code == 200
    text = _text(response)
    assert "This form does not say which version of the story it was opened" in text
    assert 'value="Floods cut"' in text
    assert _titles(story) == before


def test_a_garbage_loaded_time_falls_back_to_the_loaded_revisions_own(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    a, b = Opened(amina, story), Opened(bashir, story)

    # nobody else saved: the save goes through
    assert a.save(loaded_revision_created_at="noon", title="Floods").status_code == 302
    # A did: B's is refused
    response = b.save(loaded_revision_created_at="2026-13-45", title="Floods cut")
    assert response.status_code == 200
    assert "Amina Rahimi saved this story" in _text(response)


def test_a_refusal_names_the_day_when_the_other_save_was_not_today(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    a, b = Opened(amina, story), Opened(bashir, story)
    assert a.save(title="Floods reach Kabul").status_code == 302

    with time_machine.travel(MORNING + timedelta(days=1), tick=True):
        bashir.force_login(User.objects.get(username="bashir"))  # a day's sign-in
        response = b.save(title="Floods cut the Salang road")

    assert "saved this story at 09:30 on 14 March 2026, after you" in _text(response)


def test_a_stale_autosave_is_refused_by_wagtail_itself(
    amina: Client, bashir: Client, story: StoryPage
) -> None:
    a, b = Opened(amina, story), Opened(bashir, story)
    assert a.save(title="Floods reach Kabul").status_code == 302

    response = b.client.post(
        _edit_url(story),
        _form(story, "action-save", {**b.loaded, "title": "Floods cut"}),
        HTTP_ACCEPT="application/json",
    )

    assert response.json()["error_code"] == "invalid_revision"
    assert "Floods cut" not in _titles(story)
