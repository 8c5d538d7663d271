"""Two people editing one story: nothing is silently overwritten.

What Wagtail 8 already does. The page editor's form carries two hidden fields,
``loaded_revision_id`` and ``loaded_revision_created_at``: the story's latest
revision when the form was rendered (autosave moves them on). In the browser the
editing-sessions controller (``w-session``) pings the server with them, shows who
else has the story open and who saved a newer version, and on Save asks "Proceeding
will overwrite the changes made by X" with a Continue button. Autosave requests are
refused by the server when out of date. But an ordinary form POST (no JavaScript, a
save before the next ping, or Continue, which sends nothing more) is saved as a new
revision over the other person's, whatever the hidden fields say.

What this module adds: a ``before_edit_page`` hook that refuses such a POST of a
story when anyone other than the editor made a revision after the one the form was
loaded from. The editor gets their input back in the editor, with an error saying
who saved and when, and a link comparing the two versions; nothing is saved.

How the guard decides (``stale_save``):

- Newer means created after the ``loaded_revision_created_at`` the form carried
  (autosave rewrites a revision in place and moves its time on) or with a higher id.
- Newer revisions by the editor themself (another tab, their own autosave) do not
  count: it is their own work, and Wagtail's dialog already says "You saved a new
  version in another window". A revision with no user (an import, a service) does.
- A ``loaded_revision_id`` that names none of the story's revisions (garbage,
  another story's, a purged revision) counts as older than them all: we cannot tell
  what the editor saw, so any revision by someone else refuses it. A missing one is
  allowed, as Wagtail allows it: its form sends the field whenever the story has a
  revision, so only scripts omit it (and refusing them protects no editor).
- Autosave (JSON) requests are left to Wagtail's own out-of-date check.

Saving again is the explicit "save anyway": the form shown again carries the latest
revision, so the next Save or Publish goes through, after the editor has been told by
name. The other version stays in the history. Autosave is off on that form (as on
Wagtail's revert form), so nothing is saved until the editor presses a button.

The check and the save are not one transaction: two saves arriving within the same
moment can both pass. Sessions and pings make that unlikely; it is not prevented.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.views.pages.edit import EditView
from wagtail.models import Page, Revision

from .models import StoryPage

# Set on a request whose save was refused, so the re-rendering view it is handed to
# does not refuse it again.
_REFUSED = "_newsdesk_stale_save_refused"


@dataclass(frozen=True)
class StaleSave:
    """A save that would overwrite someone else's newer revision."""

    newer: Revision  # the latest revision by someone else since the form was loaded
    loaded: Revision | None  # the form's revision; None if it named none of ours


def stale_save(
    *, story: Page, user: AbstractBaseUser | AnonymousUser, data: QueryDict
) -> StaleSave | None:
    """Return what a POST of the edit form ``data`` by ``user`` would overwrite,
    or None if it overwrites nobody's work."""
    raw_id = data.get("loaded_revision_id")
    if not raw_id:
        return None
    revisions = story.revisions.select_related("user")
    others = revisions.exclude(user_id=user.pk).order_by("-created_at", "-pk")
    # Digits only, and few enough that the database takes the number.
    well_formed = re.fullmatch(r"[0-9]{1,18}", raw_id)
    loaded = revisions.filter(pk=int(raw_id)).first() if well_formed else None
    if loaded is None:
        newer = others.first()
    else:
        seen_at = _parse_time(data.get("loaded_revision_created_at"))
        seen_at = seen_at or loaded.created_at
        newer = others.filter(Q(created_at__gt=seen_at) | Q(pk__gt=loaded.pk)).first()
    return StaleSave(newer=newer, loaded=loaded) if newer else None


@hooks.register("before_edit_page")
def refuse_stale_story_save(
    request: HttpRequest, page: Page
) -> HttpResponseBase | None:
    """Refuse to save a story from a form loaded before someone else saved it; show
    the editor their input again with who saved and when."""
    if (
        request.method != "POST"
        or not isinstance(page, StoryPage)
        or not request.accepts("text/html")  # autosave: Wagtail checks it
        or getattr(request, _REFUSED, False)
    ):
        return None
    stale = stale_save(story=page, user=request.user, data=request.POST)
    if stale is None:
        return None
    messages.error(request, _refusal(stale), buttons=[_compare_button(page, stale)])
    setattr(request, _REFUSED, True)
    response: HttpResponseBase = _RefusedSaveView.as_view()(request, page_id=page.pk)
    return response


class _RefusedSaveView(EditView):
    """Wagtail's page editor showing a refused POST again, saving nothing."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = self.form_class(
            request.POST,
            request.FILES,
            instance=self.page,
            subscription=self.subscription,
            parent_page=self.parent,
            for_user=request.user,
        )
        # Show the field errors a save would show, without saving.
        if self.action_name == "save":
            self.form.defer_required_fields()
        self.form.is_valid()
        self.form.restore_required_fields()
        self.has_unsaved_changes = True  # leaving the page asks first
        self.autosave_enabled = False  # saving again is the editor's decision
        response: HttpResponse = self.render_to_response(self.get_context_data())
        return response


def _refusal(stale: StaleSave) -> str:
    who = get_user_display_name(stale.newer.user) if stale.newer.user else None
    when = _local_time(stale.newer.created_at)
    keep = (
        "Your changes are not saved yet; they are still in the form below. "
        "To keep both, copy them, open the story again and apply them to its "
        "latest version. "
    )
    if stale.loaded is None:
        return (
            "This form does not say which version of the story it was opened from, "
            f"so it was not saved. The latest version was saved by {who or 'someone else'}"
            f" at {when}. {keep}Saving again replaces the latest version with yours."
        )
    return (
        f"{who or 'Someone else'} saved this story at {when}, after you opened it. "
        f"{keep}Saving again replaces that version with yours "
        "(it stays in the story's history)."
    )


def _compare_button(story: Page, stale: StaleSave) -> Any:
    """Link what changed since the form was loaded, or the history if unknown."""
    if stale.loaded is None:
        url = reverse("wagtailadmin_pages:history", args=[story.pk])
        return messages.button(url, "History", new_window=True)
    url = reverse(
        "wagtailadmin_pages:revisions_compare",
        args=[story.pk, stale.loaded.pk, stale.newer.pk],
    )
    return messages.button(url, "Compare versions", new_window=True)


def _parse_time(value: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def _local_time(moment: dt.datetime) -> str:
    """Return "14:05", or "14:05 on 3 March 2026" if not today."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"
