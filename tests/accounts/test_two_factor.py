"""Two-factor sign-in: editors and administrators enter a code from an authenticator
app after their password, set one up the first time, and can fall back on one-time
recovery codes."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings as SettingsWrapper
from wagtail.models import ModelLogEntry

from newsdesk.accounts.models import RecoveryCode, User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
HOME = "/newsroom/"


@pytest.fixture(autouse=True)
def _two_factor_on(settings: SettingsWrapper) -> None:
    settings.NEWSDESK_TWO_FACTOR_REQUIRED = True


def _user(username: str, group: str) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@news.example", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def _sign_in(client: Client, username: str) -> str:
    """Sign in with the password; return where the newsroom sends them next."""
    response = client.post(
        reverse("wagtailadmin_login"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return str(client.get(HOME)["Location"])


def _code(secret: str, *, step: int = 0) -> str:
    key = b32decode(secret)
    return f"{totp(key, t0=0, step=30, digits=6, drift=step):06d}"


def _set_up(client: Client) -> tuple[str, list[str]]:
    """Go through setting up an app; return its secret and the recovery codes."""
    page = client.get(reverse("newsdesk_two_factor_setup")).content.decode()
    secret = re.search(r'class="two-factor-secret">([A-Z2-7=]+)<', page)
    assert secret, page
    assert "<svg" in page  # the code to scan
    done = client.post(
        reverse("newsdesk_two_factor_setup"),
        {"code": _code(secret.group(1)), "next": HOME},
    )
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.content.decode())
    return secret.group(1), codes


def test_an_editor_sets_up_an_app_on_first_sign_in_then_works(client: Client) -> None:
    _user("desk", "Moderators")

    # the password alone opens nothing but the setup
    assert _sign_in(client, "desk").startswith(reverse("newsdesk_two_factor_setup"))
    assert client.get(reverse("contributions:index")).status_code == 302

    _, codes = _set_up(client)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert client.get(HOME).status_code == 200
    # only hashes of the recovery codes are kept
    assert not RecoveryCode.objects.filter(digest__in=codes).exists()
    assert TOTPDevice.objects.get().confirmed


def test_a_wrong_code_at_setup_sets_nothing_up(client: Client) -> None:
    _user("desk", "Moderators")
    _sign_in(client, "desk")
    client.get(reverse("newsdesk_two_factor_setup"))

    response = client.post(reverse("newsdesk_two_factor_setup"), {"code": "000000"})

    assert "That code did not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert client.get(HOME).status_code == 302


def test_the_next_sign_in_asks_for_a_code_and_a_wrong_one_is_refused(
    client: Client,
) -> None:
    _user("desk", "Moderators")
    _sign_in(client, "desk")
    secret, _ = _set_up(client)
    client.logout()

    assert _sign_in(client, "desk").startswith(reverse("newsdesk_two_factor_verify"))
    wrong = client.post(reverse("newsdesk_two_factor_verify"), {"code": "123456"})
    assert wrong.status_code == 400
    assert "That code did not match" in wrong.content.decode()
    assert client.get(HOME).status_code == 302

    # django-otp slows guessing down after a wrong code: as if the wait were over
    TOTPDevice.objects.update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    # a code is good once: the one used at setup is spent, the app's next is not
    spent = client.post(reverse("newsdesk_two_factor_verify"), {"code": _code(secret)})
    assert spent.status_code == 400
    TOTPDevice.objects.update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    right = client.post(
        reverse("newsdesk_two_factor_verify"),
        {"code": _code(secret, step=1), "next": HOME},
    )
    assert right.status_code == 302
    assert client.get(HOME).status_code == 200


def test_someone_with_only_the_password_cannot_replace_the_app(client: Client) -> None:
    _user("desk", "Moderators")
    _sign_in(client, "desk")
    _set_up(client)
    client.logout()

    _sign_in(client, "desk")
    response = client.get(reverse("newsdesk_two_factor_setup"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("newsdesk_two_factor_verify"))
    assert TOTPDevice.objects.count() == 1


def test_a_recovery_code_works_once(client: Client) -> None:
    _user("desk", "Moderators")
    _sign_in(client, "desk")
    _, codes = _set_up(client)
    client.logout()

    _sign_in(client, "desk")
    used = client.post(reverse("newsdesk_two_factor_verify"), {"code": codes[0]})
    assert used.status_code == 302
    assert client.get(HOME).status_code == 200
    client.logout()

    _sign_in(client, "desk")
    again = client.post(reverse("newsdesk_two_factor_verify"), {"code": codes[0]})
    assert again.status_code == 400
    assert RecoveryCode.objects.filter(used_at__isnull=True).count() == 9


@pytest.mark.parametrize(
    "made_up", ["aaaaa-bbbbb", "x" * 5000, "", "12345", "' OR 1=1 --"]
)
def test_a_made_up_code_is_refused_and_uses_up_nothing(
    client: Client, made_up: str
) -> None:
    _user("desk", "Moderators")
    _sign_in(client, "desk")
    _set_up(client)
    client.logout()
    _sign_in(client, "desk")

    refused = client.post(reverse("newsdesk_two_factor_verify"), {"code": made_up})

    assert refused.status_code in (200, 400)
    assert client.get(HOME).status_code == 302  # still not in
    assert RecoveryCode.objects.filter(used_at__isnull=True).count() == 10


def test_renewing_recovery_codes_retires_the_old_ones(client: Client) -> None:
    _user("desk", "Moderators")
    _sign_in(client, "desk")
    _, old = _set_up(client)

    page = client.get(reverse("newsdesk_two_factor_recovery")).content.decode()
    assert "You have 10 unused recovery codes" in page
    renewed = client.post(reverse("newsdesk_two_factor_recovery")).content.decode()
    new = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", renewed)
    client.logout()

    assert len(new) == 10
    assert not set(new) & set(old)
    _sign_in(client, "desk")
    refused = client.post(reverse("newsdesk_two_factor_verify"), {"code": old[1]})
    assert refused.status_code == 400
    accepted = client.post(reverse("newsdesk_two_factor_verify"), {"code": new[1]})
    assert accepted.status_code == 302


def test_a_reporter_may_work_without_a_second_factor(client: Client) -> None:
    Group.objects.get_or_create(name="Reporters")
    reporter = _user("reporter", "Reporters")
    reporter.user_permissions.add(Permission.objects.get(codename="access_admin"))

    response = client.post(
        reverse("wagtailadmin_login"), {"username": "reporter", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.get(HOME).status_code == 200


def test_powers_granted_one_by_one_still_need_a_second_factor(
    client: Client,
) -> None:
    # given: someone in no role, given the newsroom and the right to kill stories
    # as permissions of their own
    user = User.objects.create_user(
        username="direct", email="direct@news.example", password=PASSWORD
    )
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="kill_story"),
    )

    # then: after the password the newsroom asks them to set up an app first
    assert _sign_in(client, "direct").startswith(reverse("newsdesk_two_factor_setup"))


def test_the_second_step_is_in_the_audit_log(client: Client) -> None:
    user = _user("desk", "Moderators")
    _sign_in(client, "desk")
    _set_up(client)

    actions = set(
        ModelLogEntry.objects.for_instance(user).values_list("action", flat=True)
    )

    assert {"newsdesk.sign_in", "newsdesk.two_factor_set_up"} <= actions


def test_the_code_pages_load_the_newsrooms_icons_and_translations(
    client: Client,
) -> None:
    _user("desk", "Moderators")
    _sign_in(client, "desk")

    for name in ("wagtailadmin_sprite", "wagtailadmin_javascript_catalog"):
        assert client.get(reverse(name)).status_code == 200, name
    # and nothing else of the newsroom
    assert client.get(reverse("contributions:index")).status_code == 302
