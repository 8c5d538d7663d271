"""People and desks in the newsroom: the names bylines use, with their bio and
portrait; the desks incoming work is routed to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import LogFormatter
from wagtail.models import Page, TaskState
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import edit_guard  # noqa: F401 (registers its hooks)
from .models import NOT_APPROVED_PARAM, Desk, Person, StoryEvent, StoryPage
from .selectors import (
    story_approval_problems,
    story_list_expiring,
    story_list_published_today,
    story_publish_problems,
    story_revisions_scheduled,
)
from .services import WAGTAIL_LOGS_ITSELF, story_event_action
from .views import StoryKillView


class PersonViewSet(SnippetViewSet):
    """People: staff, contributors and organisations bylines can name."""

    model = Person
    icon = "user"
    menu_label = "People"
    menu_order = 160
    add_to_admin_menu = True
    list_display: ClassVar[list[str]] = ["name", "kind", "slug"]
    list_filter: ClassVar[list[str]] = ["kind"]
    search_fields: ClassVar[list[str]] = ["name"]


register_snippet(PersonViewSet)


class DeskForm(WagtailAdminModelForm):
    """A desk, its languages and kinds ticked from the lists stories use."""

    languages = forms.MultipleChoiceField(
        choices=StoryPage.Language.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: stories in any language.",
    )
    kinds = forms.MultipleChoiceField(
        choices=StoryPage.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: stories of any kind.",
    )


class DeskViewSet(SnippetViewSet):
    """Desks, under Settings: who handles which language and kind of story."""

    model = Desk
    icon = "group"
    menu_label = "Desks"
    add_to_settings_menu = True
    list_display: ClassVar[list[str]] = ["name", "order"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("languages"),
            FieldPanel("kinds"),
            FieldPanel("members", widget=forms.CheckboxSelectMultiple),
            FieldPanel("order"),
        ],
        base_form_class=DeskForm,
    )


register_snippet(DeskViewSet)


@hooks.register("before_publish_page")
def publish_only_when_ready(request: HttpRequest, page: Page) -> HttpResponse | None:
    """Keep a story with a missing byline, an overlong headline or an undescribed
    picture as a draft (saved), saying what to fix, instead of publishing it."""
    if not isinstance(page.specific, StoryPage):
        return None
    problems = story_publish_problems(page.specific)
    if problems:
        messages.error(
            request, "Saved as a draft, not published: " + " ".join(problems)
        )
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


def _final_review_problems(request: HttpRequest, page: Page) -> list[str]:
    """What keeps a story from being published by this user's approval, when it
    is on its last review step and they may approve it; else nothing."""
    task_state = page.current_workflow_task_state
    if task_state is None or not isinstance(page.specific, StoryPage):
        return []
    task = task_state.task.specific
    if not any(name == "approve" for name, *_ in task.get_actions(page, request.user)):
        return []
    return story_approval_problems(task_state)


@hooks.register("before_edit_page")
def say_what_stops_approval(request: HttpRequest, page: Page) -> None:
    """Opening a story on its last review step that is not ready to publish, the
    reviewer is told what to fix first; sent here by a refused approval, that it
    was not approved."""
    if request.method != "GET":
        # Which review step an approval posted here is for, so that afterwards a
        # refusal is told apart from an approval that moved on to the next step.
        task_state = page.current_workflow_task_state
        request._newsdesk_review_step = task_state.pk if task_state else None  # type: ignore[attr-defined]
        return
    problems = _final_review_problems(request, page)
    if not problems:
        return
    if request.GET.get(NOT_APPROVED_PARAM):
        messages.error(
            request,
            "Not approved: approving would publish it, and it is not ready. "
            "It stays in review. " + " ".join(problems),
        )
    else:
        messages.warning(request, "Fix this before approving: " + " ".join(problems))


@hooks.register("after_edit_page")
def say_approval_refused(request: HttpRequest, page: Page) -> None:
    """After Approve in the page editor was refused (the story is not ready to
    publish), say so and why; the edits were saved."""
    if request.POST.get("workflow-action-name") != "approve":
        return
    step = getattr(request, "_newsdesk_review_step", None)
    if (
        step is None
        or not TaskState.objects.filter(
            pk=step, status=TaskState.STATUS_IN_PROGRESS
        ).exists()
    ):
        return  # approved: published, or on to the next step
    problems = _final_review_problems(request, page)
    if problems:
        messages.error(
            request,
            "Saved, but not approved: approving would publish it, and it is not "
            "ready. It stays in review. " + " ".join(problems),
        )


@hooks.register("before_bulk_action")
def bulk_publish_only_when_ready(
    request: HttpRequest, action_type: str, objects: list[Any], action: Any
) -> HttpResponse | None:
    """Publish the chosen pages (and their drafts below, if asked) only when
    every story among them is ready; otherwise publish none and say which are not."""
    if action_type != "publish":
        return None
    pages = [page for page in objects if isinstance(page, Page)]
    if action.cleaned_form.cleaned_data.get("include_descendants"):
        for page in list(pages):
            # the drafts below that Wagtail's bulk publish would publish
            pages.extend(
                draft
                for draft in page.get_descendants().not_live().specific()
                if draft.permissions_for_user(request.user).can_publish()
            )
    refused = []
    for page in pages:
        if not isinstance(page.specific, StoryPage):
            continue
        problems = story_publish_problems(page.specific.get_latest_revision_as_object())
        if problems:
            refused.append(f"“{page.title}”: " + " ".join(problems))
    if not refused:
        return None
    messages.error(request, "Nothing was published. Not ready: " + " ".join(refused))
    return redirect(action.next_url)


@hooks.register("insert_editor_js")
def name_editor_widgets() -> str:
    """Give the body's editor and the tag input their fields' names, for screen
    readers (Wagtail leaves them unnamed)."""
    return format_html(
        '<script src="{}" defer></script>', static("stories/editor_labels.js")
    )


@hooks.register("register_log_actions")
def register_story_event_actions(actions: Any) -> None:
    """Name the agency's actions on a story in its history (Wagtail's page history
    and Reports -> Site history), with the note given."""
    for kind in StoryEvent.Kind:
        if kind in WAGTAIL_LOGS_ITSELF:
            continue

        class StoryEventFormatter(LogFormatter):
            label = kind.label

            def format_message(self, log_entry: Any) -> str:
                note = (log_entry.data or {}).get("note", "")
                return f"{self.label}: {note}" if note else str(self.label)

        actions.register_action(story_event_action(kind))(StoryEventFormatter)


class StoryPanels(Component):
    """The dashboard's view of the stories: what is scheduled to go live or to be
    unpublished and when, what is embargoed until when, what was published today."""

    name = "newsdesk_stories"
    template_name = "stories/dashboard/story_panels.html"
    order = 60

    def get_context_data(self, parent_context: Any) -> dict[str, Any]:
        published = story_list_published_today()
        return {
            "scheduled": story_revisions_scheduled(),
            "expiring": story_list_expiring(),
            "published": published,
            "published_heading": f"Published today ({len(published)})",
            "request": parent_context["request"],
        }


@hooks.register("construct_homepage_panels")
def add_story_panels(request: HttpRequest, panels: list[Any]) -> None:
    panels.append(StoryPanels())


@hooks.register("register_admin_urls")
def register_story_action_urls() -> list[Any]:
    return [
        path("stories/<int:pk>/kill/", StoryKillView.as_view(), name="stories_kill")
    ]


@hooks.register("register_page_header_buttons")
def kill_button(
    page: Page, user: Any, view_name: str, next_url: str | None = None
) -> Iterator[Button]:
    """Offer "Kill" on a live story to those who may withdraw stories."""
    if (
        page.live
        and isinstance(page.specific, StoryPage)
        and user.has_perm("stories.kill_story")
    ):
        yield Button(
            "Kill (withdraw)",
            reverse("stories_kill", args=[page.pk]),
            icon_name="warning",
            priority=90,
        )
