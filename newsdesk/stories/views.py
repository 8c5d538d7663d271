"""Newsroom views for the agency's actions on a story that Wagtail lacks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from newsdesk.core.errors import NewsdeskError

from .models import StoryPage
from .services import story_kill


class KillForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        max_length=2000,
        label="Why is it withdrawn?",
        help_text="Readers see this at the story's address, and partners are told.",
    )


class StoryKillView(PermissionRequiredMixin, WagtailAdminTemplateMixin, FormView):  # type: ignore[type-arg]
    """Withdraw a published story with a reason, after confirming."""

    permission_required = "stories.kill_story"
    template_name = "stories/story_kill.html"
    form_class = KillForm
    header_icon = "warning"

    def dispatch(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        self.story = get_object_or_404(StoryPage, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return f"Kill “{self.story.title}”"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.story.pk]),
                "label": self.story.title,
            },
            {"url": "", "label": "Kill"},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(story=self.story, **kwargs)

    def form_valid(self, form: KillForm) -> HttpResponse:
        try:
            story_kill(
                story=self.story,
                by=self.request.user,  # type: ignore[arg-type]  # signed in
                reason=form.cleaned_data["reason"],
            )
        except NewsdeskError as exc:
            messages.error(self.request, str(exc))
            return redirect("wagtailadmin_pages:edit", self.story.pk)
        messages.success(
            self.request, "Killed: its address now says it was withdrawn, and why."
        )
        return redirect("wagtailadmin_pages:edit", self.story.pk)
