"""The story editor's form: Wagtail's page form, plus the newsroom's rules that
span its panels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminPageForm


def _as_shown(published_at: dt.datetime | None, note: str) -> tuple[str, str]:
    """A correction as readers see it: its date to the minute, on the clock the
    editor's date field shows (their own time zone), and its text with the line
    ends a browser sends."""
    when = (
        timezone.localtime(published_at).strftime("%Y-%m-%d %H:%M")
        if published_at
        else ""
    )
    return (when, "\n".join(note.strip().splitlines()))


class StoryPageForm(WagtailAdminPageForm):
    """Refuses to remove or rewrite a correction readers have seen: corrections are
    public and stay as published; a wrong one is put right by another."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        from .selectors.checks import story_corrections_published

        corrections = self.formsets.get("corrections")
        if self.instance.pk is None or corrections is None:
            return cleaned
        published = story_corrections_published(self.instance.pk)
        if not published or not corrections.is_valid():
            return cleaned  # nothing seen yet; or the panel's own errors show
        kept = {
            _as_shown(form.cleaned_data.get("published_at"), form.cleaned_data["note"])
            for form in corrections.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and "note" in form.cleaned_data
        }
        missing = [
            correction
            for correction in published
            if _as_shown(correction.published_at, correction.note) not in kept
        ]
        if missing:
            notes = "; ".join(f"“{c.note.strip()[:80]}”" for c in missing)
            raise ValidationError(
                "A published correction cannot be removed or rewritten: readers "
                f"have seen it ({notes}). To put one right, add another correction."
            )
        return cleaned
