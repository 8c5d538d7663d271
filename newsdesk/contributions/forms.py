"""Forms of the newsroom's incoming queue."""

from __future__ import annotations

from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.images import get_image_model
from wagtail.images.widgets import AdminImageChooser

from newsdesk.stories.models import Desk, SectionPage, StoryPage

from .models import Contributor
from .profiles import contributor_profile_update


class AcceptSubmissionForm(forms.Form):
    """Choose the section a submission goes to."""

    section = forms.ModelChoiceField(
        queryset=SectionPage.objects.order_by("title"),
        empty_label=None,
        help_text="The draft story is created in this section.",
    )
    kind = forms.ChoiceField(
        choices=StoryPage.Kind.choices,
        required=False,
        help_text="Guessed from what the writer said: check it.",
    )
    language = forms.ChoiceField(
        choices=StoryPage.Language.choices,
        required=False,
        help_text="Guessed from the text: check it. Dari and Pashto are edited "
        "right to left.",
    )


class DeclineSubmissionForm(forms.Form):
    """Say why a submission is declined; the note is sent to its writer."""

    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        label="Note to the writer",
        help_text="Sent to the writer with the news that it was not accepted.",
    )


class ContributorForm(WagtailAdminModelForm):
    """A contributor's profile, with their byline's public bio and photo beside the
    private details: one page for everything an editor keeps about a writer."""

    bio = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Public: shown on their author page.",
    )
    photo = forms.ModelChoiceField(
        queryset=get_image_model().objects.all(),
        widget=AdminImageChooser,
        required=False,
        help_text="Public: a portrait for their author page.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.instance.person if self.instance.person_id else None
        if person is not None:
            self.initial.setdefault("bio", person.bio)
            self.initial.setdefault("photo", person.photo_id)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def save(self, commit: bool = True) -> Contributor:
        contributor: Contributor = super().save(commit=False)
        if commit:
            contributor_profile_update(
                contributor=contributor,
                bio=self.cleaned_data.get("bio", ""),
                photo=self.cleaned_data.get("photo"),
            )
        return contributor


def _queue_editors() -> Any:
    """Active newsroom users who may accept submissions."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    perm = Q(
        user_permissions__codename="accept_submission",
        user_permissions__content_type__app_label="contributions",
    ) | Q(
        groups__permissions__codename="accept_submission",
        groups__permissions__content_type__app_label="contributions",
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(perm | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class AssignSubmissionForm(forms.Form):
    """Who is to deal with a submission, and by when."""

    assigned_to = forms.ModelChoiceField(
        queryset=_queue_editors(),
        required=False,
        label="Assign to",
        empty_label="Nobody",
    )
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read anew for each form: the editors change while the server runs.
        self.fields["assigned_to"].queryset = _queue_editors()  # type: ignore[attr-defined]


class MoveToDeskForm(forms.Form):
    """The desk whose queue a submission waits on."""

    desk = forms.ModelChoiceField(
        queryset=Desk.objects.order_by("order", "name"),
        required=False,
        empty_label="No desk",
    )
