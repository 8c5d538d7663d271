"""Two-factor sign-in pages in the newsroom, and the audit log's words for sign-ins."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views
from .sign_in import LOG_ACTIONS


@hooks.register("register_admin_urls")
def register_two_factor_urls() -> list[Any]:
    return [
        path(
            "two-factor/setup/",
            views.two_factor_setup,
            name="newsdesk_two_factor_setup",
        ),
        path(
            "two-factor/verify/",
            views.two_factor_verify,
            name="newsdesk_two_factor_verify",
        ),
        path(
            "two-factor/recovery-codes/",
            views.recovery_codes,
            name="newsdesk_two_factor_recovery",
        ),
    ]


@hooks.register("register_settings_menu_item")
def register_recovery_codes_menu_item() -> MenuItem:
    return MenuItem(
        "Two-factor sign-in",
        reverse("newsdesk_two_factor_recovery"),
        icon_name="key",
        order=900,
    )


@hooks.register("register_log_actions")
def register_sign_in_actions(actions: Any) -> None:
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)
