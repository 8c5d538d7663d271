"""Two-factor sign-in for the newsroom: an authenticator app (TOTP), and recovery
codes for the day the phone is lost.

Editors and administrators must have a second factor (``NEWSDESK_TWO_FACTOR_REQUIRED``):
after their password, the newsroom asks for the six-digit code of their app, and a
newcomer sets one up first. A recovery code works once in place of a code; only its
keyed hash is stored.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from newsdesk.core.counters import keyed_hash

from .models import RecoveryCode, User

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def two_factor_required(user: Any) -> bool:
    """Say whether this newsroom user must sign in with a second factor: every
    administrator, everyone in a group other than those exempted, and everyone
    given a permission of their own that the exempted groups do not hold (an
    editor's powers granted one by one need the second factor as much as a role's).
    """
    if not settings.NEWSDESK_TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    exempt = set(settings.NEWSDESK_TWO_FACTOR_EXEMPT_GROUPS)
    if any(name not in exempt for name in user.groups.values_list("name", flat=True)):
        return True
    beyond_exempt = user.user_permissions.exclude(
        pk__in=Permission.objects.filter(group__name__in=exempt).values("pk")
    )
    return bool(beyond_exempt.exists())


def two_factor_configured(user: User) -> bool:
    """Say whether the user has a confirmed authenticator app."""
    return bool(user_has_device(user, confirmed=True))


def totp_device_start(*, user: User) -> TOTPDevice:
    """Return the user's unconfirmed authenticator device, made anew: a fresh secret
    to scan, which counts only once a code from it is entered."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )


def totp_device_pending(*, user: User) -> TOTPDevice | None:
    """Return the device a user is setting up, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm a new authenticator app with a code from it; return the user's new
    recovery codes (shown once), or None if the code is wrong."""
    if not _verify(device, code):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=device.user)


def two_factor_verify(*, user: User, code: str) -> TOTPDevice | None:
    """Check a code from the user's app, or one of their recovery codes (used up by
    this); return the device the session is verified with, or None."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    cleaned = "".join(code.split()).lower()
    if cleaned.isdigit():
        return device if _verify(device, cleaned) else None
    if _recovery_code_use(user=user, code=cleaned):
        return device
    return None


def _verify(device: TOTPDevice, code: str) -> bool:
    """Check a code, with django-otp's own slowing down after wrong ones."""
    code = "".join(code.split())
    allowed, _ = device.verify_is_allowed()
    if not allowed or not code.isdigit() or len(code) != device.digits:
        return False
    return bool(device.verify_token(code))


def _digest(code: str) -> str:
    return keyed_hash(code.replace("-", ""))


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; return them (shown once)."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_digest(code)) for code in codes
    )
    return codes


def recovery_codes_left(*, user: User) -> int:
    """Return how many of the user's recovery codes are unused."""
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _recovery_code_use(*, user: User, code: str) -> bool:
    used = RecoveryCode.objects.filter(
        user=user, digest=_digest(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return used == 1
