"""The second step of signing in: set up an authenticator app, enter its code, and
renew recovery codes."""

from __future__ import annotations

from base64 import b32encode

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from wagtail.log_actions import log

from .models import User
from .sign_in import (
    RECOVERY_CODES_RENEWED,
    TWO_FACTOR_FAILED,
    TWO_FACTOR_PASSED,
    TWO_FACTOR_SET_UP,
)
from .two_factor import (
    recovery_codes_left,
    recovery_codes_renew,
    totp_device_confirm,
    totp_device_pending,
    totp_device_start,
    two_factor_configured,
)
from .two_factor import (
    two_factor_verify as code_check,
)

WRONG_CODE = (
    "That code did not match. Enter the newest code your app shows (they change "
    "every 30 seconds), and check that your phone's clock is right."
)


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
            }
        ),
    )


def _signed_in(request: HttpRequest) -> User:
    """Return the signed-in user itself, not the lazy stand-in the audit log cannot
    file under the user's record."""
    user = request.user
    real: User = getattr(user, "_wrapped", user)  # type: ignore[arg-type]
    return real


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("wagtailadmin_home")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Show a new secret to scan and confirm it with a code from the app; then the
    recovery codes, once. Someone already set up and verified may set up a new app."""
    user = _signed_in(request)
    if two_factor_configured(user) and not user.is_verified():  # type: ignore[attr-defined]
        return redirect(
            reverse("newsdesk_two_factor_verify") + f"?next={_next(request)}"
        )
    form = CodeForm(request.POST or None)
    device = totp_device_pending(user=user)
    if request.method == "POST" and device is not None and form.is_valid():
        codes = totp_device_confirm(device=device, code=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            log(user, TWO_FACTOR_SET_UP, user=user)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error("code", WRONG_CODE)
    if device is None:  # the same secret until it is confirmed: a reload keeps it
        device = totp_device_start(user=user)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": segno.make(device.config_url, error="m").svg_inline(scale=5),
            "secret": b32encode(device.bin_key).decode(),
            "next": _next(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the code of the app (or a recovery code) after the password."""
    user = _signed_in(request)
    if not two_factor_configured(user):
        return redirect(
            reverse("newsdesk_two_factor_setup") + f"?next={_next(request)}"
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = code_check(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            log(user, TWO_FACTOR_PASSED, user=user)
            return redirect(_next(request))
        log(user, TWO_FACTOR_FAILED, user=user)
        form.add_error("code", WRONG_CODE)
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )


@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Say how many recovery codes are left, and make new ones (the old stop working)."""
    user = _signed_in(request)
    if request.method == "POST":
        codes = recovery_codes_renew(user=user)
        log(user, RECOVERY_CODES_RENEWED, user=user)
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next": reverse("wagtailadmin_home")},
        )
    return render(
        request,
        "accounts/recovery_codes_renew.html",
        {"left": recovery_codes_left(user=user)},
    )
