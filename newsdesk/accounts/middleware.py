"""Keep the newsroom closed to a signed-in editor until their second factor is in."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from .two_factor import two_factor_configured, two_factor_required


class TwoFactorMiddleware:
    """Send a signed-in newsroom user who must use a second factor, and has not in
    this session, to enter a code (or set up their app first). Their sign-out, and
    the pages of the second step themselves, stay open."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            newsroom = reverse("wagtailadmin_home")
        except NoReverseMatch:  # a site without the newsroom
            return self.get_response(request)
        user = request.user
        if (
            request.path.startswith(newsroom)
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]  # OTPMiddleware
            and request.path not in self._open_paths()
            and two_factor_required(user)
        ):
            step = "verify" if two_factor_configured(user) else "setup"
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(f'newsdesk_two_factor_{step}')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _open_paths() -> set[str]:
        return {
            reverse("newsdesk_two_factor_setup"),
            reverse("newsdesk_two_factor_verify"),
            reverse("wagtailadmin_logout"),
            reverse("wagtailadmin_login"),
            # What those pages load: the newsroom's icons and its translations.
            reverse("wagtailadmin_sprite"),
            reverse("wagtailadmin_javascript_catalog"),
        }
