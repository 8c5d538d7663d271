"""Forms of the newsroom's incoming queue."""

from __future__ import annotations

from django import forms

from newsdesk.stories.models import SectionPage, StoryPage


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
