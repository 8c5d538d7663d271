"""Signing in to the newsroom: slowing down password guessing, and the audit log of
sign-ins and role changes.

After ``SIGN_IN_FAILURES`` wrong passwords for an account within
``SIGN_IN_WINDOW``, that account cannot sign in until the window has passed (counted
from the audit log, so every app server sees the same count); one network address
gets ``ADDRESS_FAILURES`` wrong passwords in the window, whichever accounts they
name (counted under a keyed hash in the cache; addresses are never stored).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from wagtail.admin.forms.auth import LoginForm
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from newsdesk.core.addresses import client_address
from newsdesk.core.counters import address_counter_key, counter_add, counter_value

SIGN_IN_FAILURES = 5
ADDRESS_FAILURES = 30
SIGN_IN_WINDOW = timedelta(minutes=15)

SIGNED_IN = "newsdesk.sign_in"
SIGN_IN_FAILED = "newsdesk.sign_in_failed"
SIGNED_OUT = "newsdesk.sign_out"
TWO_FACTOR_SET_UP = "newsdesk.two_factor_set_up"
TWO_FACTOR_PASSED = "newsdesk.two_factor_passed"
TWO_FACTOR_FAILED = "newsdesk.two_factor_failed"
RECOVERY_CODES_RENEWED = "newsdesk.recovery_codes_renewed"
ROLES_CHANGED = "newsdesk.roles_changed"

LOG_ACTIONS = (
    (SIGNED_IN, "Signed in", "Signed in to the newsroom"),
    (SIGN_IN_FAILED, "Sign-in failed", "A wrong password for this account"),
    (SIGNED_OUT, "Signed out", "Signed out of the newsroom"),
    (TWO_FACTOR_SET_UP, "Two-factor set up", "Set up an authenticator app"),
    (TWO_FACTOR_PASSED, "Two-factor passed", "Entered a code from their app"),
    (TWO_FACTOR_FAILED, "Two-factor failed", "Entered a wrong code"),
    (RECOVERY_CODES_RENEWED, "Recovery codes renewed", "Made new recovery codes"),
    (
        ROLES_CHANGED,
        "Roles changed",
        "Their groups, own permissions or administrator status changed",
    ),
)

LOCKED = (
    "Too many wrong passwords for this account: it is locked for "
    f"{SIGN_IN_WINDOW.seconds // 60} minutes. Wait, or ask an administrator to "
    "reset your password."
)
ADDRESS_LOCKED = (
    "Too many wrong passwords from your network: wait "
    f"{SIGN_IN_WINDOW.seconds // 60} minutes before trying again."
)


def _address_key(request: HttpRequest | None) -> str:
    address = client_address(request)
    return address_counter_key("sign-in", address)


def _account(username: str) -> Any:
    user_model = get_user_model()
    return user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()


def sign_in_refusal(*, username: str, request: HttpRequest | None) -> str:
    """Return why a sign-in must not even be tried now, or ""."""
    if counter_value(_address_key(request)) >= ADDRESS_FAILURES:
        return ADDRESS_LOCKED
    user = _account(username)
    if user is None:
        return ""
    since = timezone.now() - SIGN_IN_WINDOW
    last_success = (
        ModelLogEntry.objects.for_instance(user)
        .filter(action=SIGNED_IN)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    if last_success is not None and last_success > since:
        since = last_success
    failures = (
        ModelLogEntry.objects.for_instance(user)
        .filter(action=SIGN_IN_FAILED, timestamp__gt=since)
        .count()
    )
    return LOCKED if failures >= SIGN_IN_FAILURES else ""


def sign_in_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """Count a wrong password against the account and the network address."""
    counter_add(_address_key(request), seconds=int(SIGN_IN_WINDOW.total_seconds()))
    user = _account(str(credentials.get("username", "")))
    if user is not None:
        log(user, SIGN_IN_FAILED, user=None)


def signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    log(user, SIGNED_IN, user=user)


def signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        # The request's lazy stand-in: the audit log files entries under the user.
        user = getattr(user, "_wrapped", user)
        log(user, SIGNED_OUT, user=user)


def roles_changed(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Record a change of someone's groups (their roles) in the audit log."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from django.contrib.auth.models import Group

    names = sorted(
        Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True)
    )
    users = (
        [instance]
        if isinstance(instance, get_user_model())
        else list(get_user_model().objects.filter(pk__in=pk_set or ()))
    )
    for user in users:
        log(
            user,
            ROLES_CHANGED,
            data={
                "change": action.removeprefix("post_"),
                "groups": names
                if isinstance(instance, get_user_model())
                else [str(instance)],
                "now": sorted(user.groups.values_list("name", flat=True)),
            },
        )


class NewsroomLoginForm(LoginForm):
    """Wagtail's sign-in form, refusing to try a password while an account or a
    network address is locked out."""

    def clean(self) -> dict[str, Any]:
        # As the password is checked: spaces trimmed, the text normalised (so
        # " desk" is desk's account, and desk's lock holds for it).
        username = str(self.cleaned_data.get("username") or "")
        refusal = sign_in_refusal(username=username, request=self.request)
        if refusal:
            raise forms.ValidationError(refusal, code="locked")
        return super().clean()  # type: ignore[no-any-return]


def permissions_changed(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Record permissions given to or taken from someone directly (not through a
    group) in the audit log, as a change of their roles."""
    if not isinstance(instance, get_user_model()):
        return  # changed from the permission's side: rare, and not by the newsroom
    if action == "pre_clear":  # afterwards there is nothing left to name
        cleared = set(instance.user_permissions.values_list("pk", flat=True))
        instance._newsdesk_cleared = cleared  # type: ignore[attr-defined]
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from django.contrib.auth.models import Permission

    if action == "post_clear":
        pk_set = getattr(instance, "_newsdesk_cleared", set())
    codenames = sorted(
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(pk__in=pk_set or ()).values_list(
            "content_type__app_label", "codename"
        )
    )
    log(
        instance,
        ROLES_CHANGED,
        data={
            "change": action.removeprefix("post_"),
            "permissions": codenames,
            "now": sorted(instance.groups.values_list("name", flat=True)),
        },
    )


def superuser_remembered(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Note whether an account was an administrator before this save."""
    fields = kwargs.get("update_fields")
    if kwargs.get("raw"):
        instance._newsdesk_was_superuser = None  # loading fixtures: no one acted
        return
    if fields is not None and "is_superuser" not in fields:
        instance._newsdesk_was_superuser = None  # a save that cannot change it
        return
    previous = (
        type(instance)
        .objects.filter(pk=instance.pk)
        .values_list("is_superuser", flat=True)
        .first()
        if instance.pk
        else None
    )
    instance._newsdesk_was_superuser = previous


def superuser_changed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Record making someone an administrator (superuser), or no longer one, in the
    audit log as a change of their roles."""
    was = getattr(instance, "_newsdesk_was_superuser", None)
    if kwargs.get("raw"):
        return
    if created:
        if not instance.is_superuser:
            return
    elif was is None or was == instance.is_superuser:
        return
    log(
        instance,
        ROLES_CHANGED,
        data={
            "change": "superuser_granted"
            if instance.is_superuser
            else "superuser_removed",
            "superuser": instance.is_superuser,
            "now": sorted(instance.groups.values_list("name", flat=True)),
        },
    )
