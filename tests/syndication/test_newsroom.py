"""Partners in the newsroom, over HTTP: chief editors and administrators add
partners, issue and revoke their keys (shown once, kept only as a hash), show and
renew webhook secrets, and read the delivery log; every change to a partner's
access is in its history. Desk editors and reporters reach none of it."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from wagtail.models import ModelLogEntry

from newsdesk.accounts.models import User
from newsdesk.stories.models import HomePage, SectionPage
from newsdesk.syndication.models import Delivery, ItemVersion, Partner, PartnerKey
from newsdesk.syndication.selectors import partner_key_find
from tests.stories.factories import make_section

if TYPE_CHECKING:  # django-stubs' name for what the test client returns
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

RAW_KEY = re.compile(r"nd_[A-Za-z0-9_-]{20,}")
SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{20,}")


def _member(role: str) -> Client:
    user = User.objects.create_user(
        username=role.lower().replace(" ", "-"),
        email=f"{role.split()[0].lower()}@news.example",
        password="a-long-test-password",
    )
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def chief() -> Client:
    return _member("Chief editors")


@pytest.fixture
def business(home: HomePage) -> SectionPage:
    return make_section(home, title="Business", slug="business")


@pytest.fixture
def partner(section: SectionPage) -> Partner:
    partner = Partner.objects.create(name="Kabul Daily", languages=["en"])
    partner.sections.add(section)
    return partner


def _partner_form(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Herat Times",
        "contact_name": "Mina Rahimi",
        "contact_email": "desk@herat-times.example",
        "active": "on",
        "languages": [],
        "formats": [],
        "webhook_url": "",
        "webhook_format": "ninjs3",
        "requests_per_minute": "60",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def _issue(client: Client, partner: Partner, label: str) -> tuple[Response, str]:
    response = client.post(
        reverse("partners:keys", args=[partner.pk]), {"label": label}
    )
    found = RAW_KEY.findall(response.content.decode())
    assert len(found) == 1, "the new key is on the page, once"
    return response, found[0]


def _actions(partner: Partner) -> list[str]:
    return list(
        ModelLogEntry.objects.for_instance(partner)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


def _dump_database() -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def test_a_chief_editor_adds_a_partner_with_its_sections_languages_and_formats(
    chief: Client, section: SectionPage, business: SectionPage
) -> None:
    newsroom = chief.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("partners:list") in newsroom  # under Settings
    assert reverse("partner_deliveries:index") in newsroom
    assert chief.get(reverse("partners:add")).status_code == 200

    response = chief.post(
        reverse("partners:add"),
        _partner_form(
            sections=[section.pk, business.pk],
            languages=["en", "prs"],
            formats=["ninjs3", "newsml"],
            embargoed_copy="on",
            webhook_url="https://herat-times.example/newsdesk-hook",
            webhook_format="newsml",
        ),
    )

    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.name == "Herat Times"
    assert partner.contact_email == "desk@herat-times.example"
    assert partner.active
    assert not partner.all_sections
    assert set(partner.sections.all()) == {section, business}
    assert partner.languages == ["en", "prs"]
    assert partner.formats == ["ninjs3", "newsml"]
    assert partner.embargoed_copy
    assert partner.webhook_format == "newsml"
    assert partner.requests_per_minute == 60
    # a webhook needs a secret to sign with: one was made, and that is in its history
    assert partner.webhook_secret.startswith("whsec_")
    assert "newsdesk.partner.secret_renew" in _actions(partner)
    listing = chief.get(reverse("partners:list")).content.decode()
    assert "Herat Times" in listing
    assert "World, Business" in listing


def test_a_partner_without_a_webhook_gets_no_secret_and_all_sections_is_kept(
    chief: Client,
) -> None:
    response = chief.post(reverse("partners:add"), _partner_form(all_sections="on"))

    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.all_sections
    assert partner.webhook_secret == ""
    assert partner.languages == []
    assert partner.formats == []


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"webhook_url": "http://herat-times.example/hook"},
            "Give an https:// address",
        ),
        ({"webhook_url": "http://10.0.0.5/hook"}, "Give an https:// address"),
        ({"webhook_url": "ftp://herat-times.example/hook"}, "Give an https:// address"),
        ({"name": ""}, "This field is required."),
        ({"requests_per_minute": "0"}, "untick Active instead"),
        ({"languages": ["xx"]}, "Select a valid choice"),
    ],
)
def test_bad_partner_input_is_refused_with_a_reason_and_nothing_is_saved(
    chief: Client, section: SectionPage, changes: dict[str, Any], error: str
) -> None:
    response = chief.post(
        reverse("partners:add"), _partner_form(sections=[section.pk], **changes)
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Partner.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://[::1]/hook"]
)
def test_a_webhook_on_this_machine_may_be_plain_http(chief: Client, url: str) -> None:
    response = chief.post(reverse("partners:add"), _partner_form(webhook_url=url))

    assert response.status_code == 302
    assert Partner.objects.get().webhook_url == url


def test_an_edit_keeps_the_webhook_secret_and_refuses_an_insecure_webhook(
    chief: Client, partner: Partner, section: SectionPage
) -> None:
    partner.webhook_url = "https://kabul-daily.example/hook"
    partner.webhook_secret = "whsec_kept"
    partner.save()
    edit = reverse("partners:edit", args=[partner.pk])
    assert chief.get(edit).status_code == 200

    bad = chief.post(
        edit,
        _partner_form(
            name="Kabul Daily",
            sections=[section.pk],
            webhook_url="http://kabul-daily.example/hook",
        ),
    )
    good = chief.post(
        edit,
        _partner_form(
            name="Kabul Daily",
            sections=[section.pk],
            webhook_url="https://kabul-daily.example/v2/hook",
        ),
    )

    assert bad.status_code == 200
    assert "Give an https:// address" in bad.content.decode()
    assert good.status_code == 302
    partner.refresh_from_db()
    assert partner.webhook_url == "https://kabul-daily.example/v2/hook"
    assert partner.webhook_secret == "whsec_kept"


def test_a_key_is_shown_once_and_only_its_hash_is_kept(
    chief: Client, partner: Partner, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.DEBUG)
    keys_url = reverse("partners:keys", args=[partner.pk])
    assert chief.get(keys_url).status_code == 200

    # when
    first, raw_first = _issue(chief, partner, "web desk")
    second, raw_second = _issue(chief, partner, "mobile app")

    # then: each is shown on the page that answers, with the warning, not cached
    for response in (first, second):
        assert response.status_code == 200
        assert "it will not be shown again" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    assert raw_first != raw_second
    # only a prefix and the SHA-256 are stored, and each key is found by itself
    for raw, label in ((raw_first, "web desk"), (raw_second, "mobile app")):
        key = partner_key_find(raw)
        assert key is not None
        assert key.partner == partner
        assert key.label == label
        assert key.revoked_at is None
        assert key.digest == hashlib.sha256(raw.encode()).hexdigest()
        assert key.prefix == raw[: len(key.prefix)]
        assert len(key.prefix) < len(raw)
    assert partner.keys.count() == 2
    # the key is nowhere: not in the database (log, sessions, messages), not in the
    # logs, not on any later page
    dump = _dump_database()
    later = [
        chief.get(keys_url),
        chief.get(reverse("partners:edit", args=[partner.pk])),
        chief.get(reverse("partners:list")),
        chief.get(reverse("partners:history", args=[partner.pk])),
    ]
    for raw in (raw_first, raw_second):
        assert raw not in dump
        assert raw not in caplog.text
        for page in later:
            assert page.status_code == 200
            assert raw not in page.content.decode()
    assert raw_first[:12] in later[0].content.decode()  # its prefix identifies it
    assert _actions(partner) == ["newsdesk.partner.key_issue"] * 2
    history = later[3].content.decode()
    assert f"API key issued: {raw_first[:12]}… (web desk)" in history


def test_a_revoked_key_is_found_revoked_and_refused_by_the_feed(
    chief: Client, partner: Partner
) -> None:
    # given
    _, raw_kept = _issue(chief, partner, "web desk")
    _, raw_revoked = _issue(chief, partner, "old tool")
    key = partner_key_find(raw_revoked)
    assert key is not None
    revoke_url = reverse("partners:key_revoke", args=[partner.pk, key.pk])

    # when: the button leads to a confirmation, which revokes
    confirmation = chief.get(revoke_url)
    assert confirmation.status_code == 200
    assert "cannot be undone" in confirmation.content.decode()
    assert partner_key_find(raw_revoked).revoked_at is None  # type: ignore[union-attr]
    response = chief.post(revoke_url)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:keys", args=[partner.pk])
    revoked = partner_key_find(raw_revoked)
    assert revoked is not None
    assert revoked.revoked_at is not None
    assert partner_key_find(raw_kept).revoked_at is None  # type: ignore[union-attr]
    assert _actions(partner)[-1] == "newsdesk.partner.key_revoke"
    pull = Client().get(
        reverse("syndication:items"), HTTP_AUTHORIZATION=f"Bearer {raw_revoked}"
    )
    assert pull.status_code == 401
    assert "revoked" in pull.json()["error"]
    listing = chief.get(reverse("partners:list")).content.decode()
    assert re.search(r">\s*1\s*<", listing), "one key in use"


def test_a_key_of_another_partner_cannot_be_revoked_through_this_one(
    chief: Client, partner: Partner
) -> None:
    other = Partner.objects.create(name="Mazar News")
    _, raw = _issue(chief, other, "")
    key = partner_key_find(raw)
    assert key is not None

    response = chief.post(reverse("partners:key_revoke", args=[partner.pk, key.pk]))

    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_webhook_secret_is_shown_on_request_and_renewed(
    chief: Client, partner: Partner
) -> None:
    partner.webhook_url = "https://kabul-daily.example/hook"
    partner.webhook_secret = "whsec_" + "a" * 43
    partner.save()
    secret_url = reverse("partners:secret", args=[partner.pk])
    renew_url = reverse("partners:secret_renew", args=[partner.pk])
    keys_page = chief.get(reverse("partners:keys", args=[partner.pk]))
    assert partner.webhook_secret not in keys_page.content.decode()

    # a link does not show it; asking (POST) does
    assert chief.get(secret_url).status_code == 302
    shown = chief.post(secret_url)
    assert shown.status_code == 200
    assert partner.webhook_secret in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]

    # a new one, after confirming
    assert chief.get(renew_url).status_code == 200
    assert Partner.objects.get().webhook_secret == partner.webhook_secret
    renewed = chief.post(renew_url)
    assert renewed.status_code == 200
    new_secret = Partner.objects.get().webhook_secret
    assert new_secret != partner.webhook_secret
    assert SECRET.findall(renewed.content.decode()) == [new_secret]
    assert "no-store" in renewed["Cache-Control"]
    assert _actions(partner) == [
        "newsdesk.partner.secret_show",
        "newsdesk.partner.secret_renew",
    ]
    assert new_secret not in _dump_database().replace(
        f'"webhook_secret": "{new_secret}"', ""
    )


def _delivery(partner: Partner, headline: str, version: int, **fields: Any) -> Delivery:
    change = ItemVersion.objects.create(
        guid=f"urn:newsdesk:news.example:story:{version}",
        version=1,
        change=ItemVersion.Change.PUBLISHED,
        status="usable",
        language="en",
        item={"headline": headline, "body_html": "<p>Text.</p>"},
    )
    return Delivery.objects.create(partner=partner, change=change, **fields)


def test_the_delivery_log_lists_deliveries_by_partner_and_state(
    chief: Client, partner: Partner
) -> None:
    other = Partner.objects.create(name="Mazar News")
    delivered = _delivery(
        partner,
        "Floods reach the capital",
        1,
        state="delivered",
        attempts=1,
        last_status=200,
    )
    _delivery(
        partner,
        "Council meets on water",
        2,
        state="failed",
        attempts=8,
        last_status=503,
        last_error="Service Unavailable",
    )
    _delivery(other, "Market prices rise", 3)
    log_url = reverse("partner_deliveries:index")

    everything = chief.get(log_url).content.decode()
    theirs = chief.get(log_url, {"partner": partner.pk}).content.decode()
    failed = chief.get(log_url, {"partner": str(partner.pk), "state": "failed"})
    inspect = chief.get(reverse("partner_deliveries:inspect", args=[delivered.pk]))
    keys_page = chief.get(reverse("partners:keys", args=[partner.pk])).content.decode()

    for headline in ("Floods reach", "Council meets", "Market prices"):
        assert headline in everything
    assert "Floods reach" in theirs
    assert "Council meets" in theirs
    assert "Market prices" not in theirs
    assert failed.status_code == 200
    text = failed.content.decode()
    assert "Council meets" in text
    assert "Floods reach" not in text
    assert "503 Service Unavailable" in text
    assert inspect.status_code == 200
    assert "Floods reach" in keys_page
    assert "Market prices" not in keys_page


def test_deliveries_cannot_be_added_edited_or_deleted_even_by_administrators(
    partner: Partner,
) -> None:
    administrator = _member("Administrators")
    delivery = _delivery(partner, "Floods reach the capital", 1)

    page = administrator.get(reverse("partner_deliveries:index"))

    assert page.status_code == 200
    assert "Floods reach" in page.content.decode()
    assert "Add delivery" not in page.content.decode()
    for name in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(
                f"partner_deliveries:{name}",
                args=[] if name == "add" else [delivery.pk],
            )


def test_a_delivery_given_up_on_is_sent_again_on_request(
    chief: Client, partner: Partner
) -> None:
    # given: one delivery the worker gave up on, and one delivered
    failed = _delivery(
        partner,
        "Council meets on water",
        1,
        state="failed",
        attempts=8,
        last_status=503,
        last_error="Service Unavailable",
    )
    delivered = _delivery(
        partner, "Floods reach the capital", 2, state="delivered", attempts=1
    )
    inspect = chief.get(reverse("partner_deliveries:inspect", args=[failed.pk]))
    assert "Send again" in inspect.content.decode()
    shown = chief.get(reverse("partner_deliveries:inspect", args=[delivered.pk]))
    assert "Send again" not in shown.content.decode()

    # when: the chief editor sends the failed one again, and tries the other
    again = chief.post(
        reverse("partner_deliveries:retry", args=[failed.pk]), follow=True
    )
    refused = chief.post(
        reverse("partner_deliveries:retry", args=[delivered.pk]), follow=True
    )

    # then: the failed one waits for the worker's next run, with fresh tries...
    failed.refresh_from_db()
    assert failed.state == Delivery.State.PENDING
    assert failed.attempts == 0
    assert failed.next_attempt_at is None
    assert "will be sent to Kabul Daily again" in again.content.decode()
    assert _actions(partner) == ["newsdesk.partner.delivery_resend"]
    # ...and a delivered one is not sent twice
    delivered.refresh_from_db()
    assert delivered.state == Delivery.State.DELIVERED
    assert "Only a delivery the worker gave up on" in refused.content.decode()
    # a plain GET changes nothing
    get = chief.get(reverse("partner_deliveries:retry", args=[delivered.pk]))
    assert get.status_code == 405


def test_an_administrator_manages_partners(partner: Partner) -> None:
    administrator = _member("Administrators")

    assert administrator.get(reverse("partners:list")).status_code == 200
    _, raw = _issue(administrator, partner, "")

    assert partner_key_find(raw) is not None


@pytest.mark.parametrize("role", ["Desk editors", "Reporters"])
def test_desk_editors_and_reporters_reach_none_of_it(
    role: str, partner: Partner
) -> None:
    # given
    partner.webhook_url = "https://kabul-daily.example/hook"
    partner.webhook_secret = "whsec_" + "b" * 43
    partner.save()
    key = PartnerKey.objects.create(
        partner=partner, prefix="nd_abcdefghi", digest="0" * 64
    )
    delivery = _delivery(
        partner, "Floods reach the capital", 1, state="failed", attempts=8
    )
    member = _member(role)
    pk = partner.pk
    pages = [
        reverse("partners:list"),
        reverse("partners:add"),
        reverse("partners:edit", args=[pk]),
        reverse("partners:history", args=[pk]),
        reverse("partners:keys", args=[pk]),
        reverse("partners:key_revoke", args=[pk, key.pk]),
        reverse("partners:secret_renew", args=[pk]),
        reverse("partner_deliveries:index"),
        reverse("partner_deliveries:inspect", args=[delivery.pk]),
    ]
    actions = [
        (reverse("partners:add"), _partner_form()),
        (reverse("partners:edit", args=[pk]), _partner_form(name="Taken over")),
        (reverse("partners:keys", args=[pk]), {"label": "mine"}),
        (reverse("partners:key_revoke", args=[pk, key.pk]), {}),
        (reverse("partners:secret", args=[pk]), {}),
        (reverse("partners:secret_renew", args=[pk]), {}),
        (reverse("partner_deliveries:retry", args=[delivery.pk]), {}),
    ]

    newsroom = member.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("partners:list") not in newsroom
    assert reverse("partner_deliveries:index") not in newsroom

    # when
    answers = [member.get(url) for url in pages]
    answers += [member.post(url, data) for url, data in actions]

    # then
    for answer in answers:
        assert answer.status_code in (302, 403)
        if answer.status_code == 302:
            assert "partner" not in answer["Location"]
        assert "whsec_" not in answer.content.decode()
        assert not RAW_KEY.search(answer.content.decode())
    assert list(Partner.objects.values_list("name", flat=True)) == ["Kabul Daily"]
    assert partner.keys.count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED
    partner.refresh_from_db()
    assert partner.webhook_secret == "whsec_" + "b" * 43
    assert _actions(partner) == []
