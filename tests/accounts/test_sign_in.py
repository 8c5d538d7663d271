"""Signing in to the newsroom: password guessing is slowed down, sessions end, and
sign-ins and role changes are in the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from newsdesk.accounts.models import User
from newsdesk.accounts.sign_in import (
    ADDRESS_FAILURES,
    ADDRESS_LOCKED,
    LOCKED,
    SIGN_IN_FAILURES,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()


@pytest.fixture
def desk(db: None) -> User:
    user = User.objects.create_user(
        username="desk", email="desk@news.example", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def _try(client: Client, username: str, password: str) -> str:
    response = client.post(
        reverse("wagtailadmin_login"), {"username": username, "password": password}
    )
    return "" if response.status_code == 302 else response.content.decode()


def test_repeated_wrong_passwords_lock_the_account_for_a_while(
    client: Client, desk: User
) -> None:
    for _ in range(SIGN_IN_FAILURES):
        assert _try(client, "desk", "wrong-password")

    # even the right password is not tried now, and the page says why
    locked = _try(client, "desk", PASSWORD)
    assert "Too many wrong passwords for this account" in locked
    assert client.get("/newsroom/").status_code == 302

    # after the window, the right password works
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _try(client, "desk", PASSWORD) == ""
    failures = ModelLogEntry.objects.for_instance(desk).filter(
        action="newsdesk.sign_in_failed"
    )
    assert failures.count() == SIGN_IN_FAILURES


@pytest.mark.parametrize("spelled", [" desk", "desk ", "\tdesk"])
def test_a_locked_account_stays_locked_however_its_name_is_spaced(
    client: Client, desk: User, spelled: str
) -> None:
    # given: wrong passwords, some under the name with spaces around it
    for n in range(SIGN_IN_FAILURES):
        assert _try(client, spelled if n % 2 else "desk", "wrong-password")

    # then: the right password is refused under either spelling
    assert "Too many wrong passwords for this account" in _try(
        client, spelled, PASSWORD
    )
    assert "Too many wrong passwords for this account" in _try(client, "desk", PASSWORD)


def test_each_network_address_is_counted_on_its_own_behind_the_front_server(
    client: Client,
) -> None:
    # given: one network guessing many accounts through the front server, which
    # reaches the app with no address of its own and names the client
    for n in range(ADDRESS_FAILURES):
        client.post(
            reverse("wagtailadmin_login"),
            {"username": f"nobody-{n}", "password": "guess"},
            REMOTE_ADDR="",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    def page_for(forwarded: str, remote: str = "") -> str:
        return client.post(
            reverse("wagtailadmin_login"),
            {"username": "someone", "password": "guess"},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        ).content.decode()

    # then: that network is stopped, and another reader of the site is not
    assert ADDRESS_LOCKED in page_for("203.0.113.7")
    assert ADDRESS_LOCKED not in page_for("198.51.100.20")
    # nginx on this host appends the address it saw; that last entry counts, not
    # one the client wrote before it
    assert ADDRESS_LOCKED in page_for("198.51.100.20, 203.0.113.7", "127.0.0.1")
    # a request straight from elsewhere cannot claim an address
    assert ADDRESS_LOCKED not in page_for("203.0.113.7", "192.0.2.50")


def test_a_success_clears_earlier_failures(client: Client, desk: User) -> None:
    for _ in range(SIGN_IN_FAILURES - 1):
        _try(client, "desk", "wrong-password")
    assert _try(client, "desk", PASSWORD) == ""
    client.logout()

    # the slate is clean: one more mistake does not lock the account
    _try(client, "desk", "wrong-password")
    assert _try(client, "desk", PASSWORD) == ""


def test_one_network_guessing_many_accounts_is_stopped(client: Client) -> None:
    for n in range(ADDRESS_FAILURES):
        _try(client, f"nobody-{n}", "guess")

    page = _try(client, "someone-else", "guess")

    assert ADDRESS_LOCKED in page
    assert LOCKED not in page
    # network addresses are never stored, only counted under a keyed hash
    assert not ModelLogEntry.objects.filter(data__icontains="127.0.0.1").exists()


def test_sessions_end(client: Client, desk: User) -> None:
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    client.post(
        reverse("wagtailadmin_login"), {"username": "desk", "password": PASSWORD}
    )
    # without "Remember me" the session ends with the browser
    assert client.session.get_expire_at_browser_close()
    with time_machine.travel(timezone.now() + timedelta(hours=13)):
        assert client.get("/newsroom/").status_code == 302


def test_sign_in_and_out_and_role_changes_are_in_the_audit_log(
    client: Client, desk: User
) -> None:
    client.post(
        reverse("wagtailadmin_login"), {"username": "desk", "password": PASSWORD}
    )
    client.post(reverse("wagtailadmin_logout"))
    desk.groups.add(Group.objects.get(name="Editors"))
    desk.groups.remove(Group.objects.get(name="Moderators"))

    entries = list(
        ModelLogEntry.objects.for_instance(desk)
        .order_by("timestamp", "pk")
        .values_list("action", "data")
    )
    actions = [action for action, _ in entries]
    assert actions[-4:] == [
        "newsdesk.sign_in",
        "newsdesk.sign_out",
        "newsdesk.roles_changed",
        "newsdesk.roles_changed",
    ]
    removed = entries[-1][1]
    assert removed["change"] == "remove"
    assert removed["groups"] == ["Moderators"]
    assert removed["now"] == ["Editors"]


def test_making_someone_an_administrator_or_giving_a_permission_is_in_the_audit_log(
    desk: User,
) -> None:
    def changes() -> list[dict[str, Any]]:
        return [
            data
            for action, data in ModelLogEntry.objects.for_instance(desk)
            .order_by("timestamp", "pk")
            .values_list("action", "data")
            if action == "newsdesk.roles_changed"
        ]

    before = len(changes())  # joining their group
    desk.is_superuser = True
    desk.save()
    desk.user_permissions.add(
        Permission.objects.get(content_type__app_label="stories", codename="kill_story")
    )
    desk.last_login = timezone.now()
    desk.save(update_fields=["last_login"])  # not a change of roles
    desk.is_superuser = False
    desk.save()
    desk.user_permissions.clear()

    logged = changes()[before:]
    assert [entry["change"] for entry in logged] == [
        "superuser_granted",
        "add",
        "superuser_removed",
        "clear",
    ]
    assert logged[0]["superuser"] is True
    assert logged[1]["permissions"] == ["stories.kill_story"]
    assert logged[2]["superuser"] is False
    assert logged[3]["permissions"] == ["stories.kill_story"]


def test_a_new_administrator_account_is_in_the_audit_log(db: None) -> None:
    admin = User.objects.create_superuser(
        username="root", email="root@news.example", password=PASSWORD
    )
    plain = User.objects.create_user(
        username="plain", email="plain@news.example", password=PASSWORD
    )

    assert (
        ModelLogEntry.objects.for_instance(admin)
        .filter(action="newsdesk.roles_changed", data__change="superuser_granted")
        .exists()
    )
    assert (
        not ModelLogEntry.objects.for_instance(plain)
        .filter(action="newsdesk.roles_changed")
        .exists()
    )
