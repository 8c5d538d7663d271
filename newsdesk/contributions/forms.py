"""Forms of the newsroom's incoming queue."""

from __future__ import annotations

from django import forms

from newsdesk.stories.models import SectionPage


class AcceptSubmissionForm(forms.Form):
    """Choose the section a submission goes to."""

    section = forms.ModelChoiceField(
        queryset=SectionPage.objects.order_by("title"),
        empty_label=None,
        help_text="The draft story is created in this section.",
    )
