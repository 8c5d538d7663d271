"""What a partner actually pulls is valid: stories published, updated, corrected,
embargoed and killed through the newsroom's own paths, served by the pull endpoint
in each format, checked against IPTC's schemas in ../shared/standards with the
validators of ``test_formats``.

``test_formats`` checks the writers on items built by hand; this checks the whole
way from a story in the database to the bytes a partner receives, so a field the
item builder fills from a real page (an image rendition, a byline with a pen name,
a kill's reason) cannot break validity unseen.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.stories.models import Correction, SectionPage, StoryPage, StoryUpdate
from newsdesk.stories.services import story_kill
from newsdesk.syndication.models import Format, Partner
from newsdesk.syndication.services import partner_key_issue
from tests.stories.factories import make_person, make_story

from .test_formats import NAR, newsml_problems, ninjs_problems

pytestmark = pytest.mark.django_db

URL = "/partners/v1/items"
VERSIONS = {"ninjs3": "3.1", "ninjs2": "2.2"}
# The news story, the opinion piece, then the story corrected and updated, the
# embargoed one, and the one published and then killed.
EVERY_CHANGE = [
    "published",
    "published",
    "published",
    "corrected",
    "updated",
    "embargoed",
    "published",
    "killed",
]


@pytest.fixture(autouse=True)
def settled(settings: SettingsWrapper) -> None:
    settings.NEWSDESK_SYNDICATION_SETTLE_SECONDS = 0
    cache.clear()


@pytest.fixture
def wire_key() -> str:
    """A key of a partner that takes everything, embargoed copy included."""
    partner = Partner.objects.create(
        name="Wire desk",
        all_sections=True,
        embargoed_copy=True,
        formats=[Format.NINJS3, Format.NINJS2, Format.NEWSML],
    )
    return partner_key_issue(partner=partner, by=None, label="wire")[1]


def _publish(story: StoryPage, capture: Any) -> StoryPage:
    with capture(execute=True):
        story.save_revision().publish()
    story.refresh_from_db()
    return story


@pytest.fixture
def newsroom_day(
    section: SectionPage,
    editor: User,
    photo: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A day's changes, each made the way the newsroom makes it."""
    capture = django_capture_on_commit_callbacks
    _publish(make_story(section=section, title="Floods close the Salang road"), capture)
    opinion = make_story(
        section=section,
        title="The dams we should have built",
        kind="opinion",
        standfirst="Every dry summer we talk about dams.",
        authors=[make_person(name="Amina Rahimi"), make_person(name="Omar Farooq")],
        lead_image=photo,
        lead_image_alt="A dry riverbed below a broken weir",
        lead_image_caption="The Kabul river in August.",
        lead_image_credit="Photo: Farida Noori",
    )
    _publish(opinion, capture)
    corrected = _publish(make_story(section=section, title="Council budget"), capture)
    corrected.corrections.add(
        Correction(published_at=timezone.now(), note="The budget is 4 million, not 40.")
    )
    corrected = _publish(corrected, capture)
    corrected.updates.add(
        StoryUpdate(posted_at=timezone.now(), text="<p>The council voted.</p>")
    )
    _publish(corrected, capture)
    _publish(
        make_story(
            section=section,
            title="Treaty signed",
            embargo_until=timezone.now() + timedelta(hours=2),
        ),
        capture,
    )
    killed = _publish(make_story(section=section, title="A claim withdrawn"), capture)
    with capture(execute=True):
        story_kill(story=killed, by=editor, reason="The source withdrew the claim.")


def _pull(key: str, fmt: str) -> Any:
    response = Client().get(
        URL, {"format": fmt, "limit": 100}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200, response.content[:500]
    return response


@pytest.mark.parametrize("fmt", ["ninjs3", "ninjs2"])
def test_every_ninjs_item_a_partner_pulls_is_valid(
    newsroom_day: None, wire_key: str, fmt: str
) -> None:
    entries = _pull(wire_key, fmt).json()["items"]

    assert [e["change"] for e in entries] == EVERY_CHANGE
    for entry in entries:
        assert ninjs_problems(VERSIONS[fmt], entry["item"]) == [], entry["change"]
    status_field = "pubStatus" if fmt == "ninjs3" else "pubstatus"  # 2.x: lower case
    pub_status = {e["change"]: e["item"][status_field] for e in entries}
    assert pub_status["embargoed"] == "withheld"
    assert pub_status["killed"] == "canceled"
    opinion = entries[1]["item"]
    bylines = opinion.get("authors") or opinion.get("by")
    assert bylines, opinion
    assert "Amina Rahimi" in str(bylines)
    assert "Omar Farooq" in str(bylines)
    assert "A dry riverbed below a broken weir" in str(opinion)


def test_the_newsml_message_a_partner_pulls_is_valid(
    newsroom_day: None, wire_key: str
) -> None:
    body = _pull(wire_key, "newsml").content

    assert newsml_problems(body) == []
    root = etree.fromstring(body)
    items = root.findall(f".//{NAR}newsItem")
    assert len(items) == len(EVERY_CHANGE)
    statuses = [
        item.find(f"{NAR}itemMeta/{NAR}pubStatus").get("qcode") for item in items
    ]
    assert statuses[5] == "stat:withheld"
    assert statuses[-1] == "stat:canceled"
    assert set(statuses[:5] + statuses[6:7]) == {"stat:usable"}
