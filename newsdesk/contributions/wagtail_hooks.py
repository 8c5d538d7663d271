"""Put the incoming queue into the newsroom: its URLs and a menu item with a count."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets.button import Button
from wagtail.models import Page

from newsdesk.accounts.models import User

from . import urls
from .models import Submission
from .selectors import submission_count_new


class IncomingMenuItem(MenuItem):
    """ "Incoming" in the sidebar, with how many submissions wait."""

    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm("contributions.view_submission")

    def render_component(self, request: HttpRequest) -> Any:
        component = super().render_component(request)
        waiting = submission_count_new()
        component.label = f"Incoming ({waiting})" if waiting else "Incoming"
        return component


@hooks.register("register_admin_urls")
def register_submission_urls() -> list[Any]:
    return [path("submissions/", include(urls, namespace="contributions"))]


@hooks.register("register_admin_menu_item")
def register_incoming_menu_item() -> MenuItem:
    return IncomingMenuItem(
        "Incoming", reverse("contributions:index"), icon_name="mail", order=150
    )


@hooks.register("register_page_header_buttons")
def submission_links(
    page: Page, user: User, view_name: str, next_url: str | None = None
) -> Iterator[Button]:
    """Link a story accepted from a submission back to it, in the page's header menu."""
    if not user.has_perm("contributions.view_submission"):
        return
    for pk in Submission.objects.filter(story_id=page.pk).values_list("pk", flat=True):
        yield Button(
            f"Submission #{pk}",
            reverse("contributions:detail", args=[pk]),
            icon_name="mail",
            priority=80,
        )
