"""Put the incoming queue into the newsroom: its URLs and a menu item with a count."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from django.http import HttpRequest
from django.urls import include, path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets.button import Button
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from newsdesk.accounts.models import User

from . import urls
from .forms import ContributorForm
from .models import Contributor, Submission
from .selectors import (
    submission_count_new,
    submission_list,
    submission_list_assigned,
    user_desk_ids,
)


class IncomingMenuItem(MenuItem):
    """ "Incoming" in the sidebar, with how many submissions wait."""

    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm("contributions.view_submission")

    def render_component(self, request: HttpRequest) -> Any:
        component = super().render_component(request)
        # A desk member counts what waits on their desks; anyone else, everything.
        mine = user_desk_ids(request.user)
        waiting = submission_count_new(desks=mine or None)
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


class ContributorViewSet(SnippetViewSet):
    """Contributors: the outside writers, their bylines and how to reach them."""

    model = Contributor
    icon = "group"
    menu_label = "Contributors"
    menu_order = 155
    add_to_admin_menu = True
    list_display: ClassVar[list[str]] = [
        "name",
        "pen_name",
        "email",
        "confirmed_at",
        "terms_agreed_at",
    ]
    search_fields: ClassVar[list[str]] = ["name", "pen_name", "email"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [FieldPanel("pen_name"), FieldPanel("bio"), FieldPanel("photo")],
                heading="Byline (public)",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldPanel("email"),
                    FieldPanel("phone"),
                    FieldPanel("contact_notes"),
                ],
                heading="Private: editors only",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("confirmed_at", read_only=True),
                    FieldPanel("terms_agreed_at", read_only=True),
                    FieldPanel("terms_version", read_only=True),
                ],
                heading="Confirmed address and contributor terms",
            ),
        ],
        base_form_class=ContributorForm,
    )


register_snippet(ContributorViewSet)


class QueuePanels(Component):
    """The dashboard's view of the queue: what came in on my desks, and what is
    assigned to me (and when it is due)."""

    name = "newsdesk_queue"
    template_name = "contributions/dashboard/queue_panels.html"
    order = 50

    def get_context_data(self, parent_context: Any) -> dict[str, Any]:
        request = parent_context["request"]
        mine = user_desk_ids(request.user) or None
        waiting = submission_list(desks=mine)
        came_in = list(waiting[:5])
        count = waiting.count()
        return {
            "came_in": came_in,
            "waiting": count,
            "came_in_heading": f"Came in ({count})" + (" on my desks" if mine else ""),
            "assigned": list(submission_list_assigned(user=request.user)[:10]),
            "now": timezone.now(),
            "request": request,
        }


@hooks.register("construct_homepage_panels")
def add_queue_panels(request: HttpRequest, panels: list[Any]) -> None:
    if request.user.has_perm("contributions.view_submission"):
        panels.append(QueuePanels())
