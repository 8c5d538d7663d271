"""The newsroom's incoming queue: list, read and accept submissions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from newsdesk.core.errors import NewsdeskError
from newsdesk.stories.selectors import desk_list

from .forms import (
    AcceptSubmissionForm,
    AssignSubmissionForm,
    DeclineSubmissionForm,
    MoveToDeskForm,
)
from .models import Submission, SubmissionFile
from .profiles import contributor_terms_agreed
from .queue import submission_assign, submission_merge, submission_move_to_desk
from .selectors import (
    contributor_of,
    submission_counts_by_desk,
    submission_list,
    submission_list_merge_targets,
    user_desk_ids,
)
from .services import (
    raw_message_path,
    submission_accept,
    submission_decline,
    submission_file_path,
)


class SubmissionIndexView(
    PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView
):
    """The incoming queue, newest first; tabs for accepted and declined ones."""

    permission_required = "contributions.view_submission"
    template_name = "contributions/submission_index.html"
    page_title = "Incoming"
    header_icon = "mail"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        state = self.request.GET.get("state", Submission.State.NEW)
        if state not in Submission.State.values:
            state = Submission.State.NEW
        mine = user_desk_ids(self.request.user)
        # By default a desk member sees their desks' queue; anyone may see all.
        chosen = self.request.GET.get("desk", "mine" if mine else "all")
        desks: list[int] | None
        if chosen == "mine" and mine:
            desks = mine
        elif chosen.isdigit():
            desks = [int(chosen)]
        else:
            chosen, desks = "all", None
        counts = submission_counts_by_desk()
        context.update(
            state=state,
            states=Submission.State.choices,
            desk=chosen,
            desk_tabs=[
                *(
                    [("mine", "My desks", sum(counts.get(pk, 0) for pk in mine))]
                    if mine
                    else []
                ),
                ("all", "All desks", sum(counts.values())),
                *((str(d.pk), d.name, counts.get(d.pk, 0)) for d in desk_list()),
            ],
            submissions=submission_list(state=state, desks=desks)[:200],
        )
        return context


class SubmissionDetailView(
    PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView
):
    """One submission as it arrived, with the form to accept it."""

    permission_required = "contributions.view_submission"
    template_name = "contributions/submission_detail.html"
    header_icon = "mail"

    def dispatch(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        self.submission = get_object_or_404(
            Submission.objects.select_related(
                "raw_message", "story", "contributor", "desk", "assigned_to"
            ),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return self.submission.headline

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("contributions:index"), "label": "Incoming"},
            {"url": "", "label": f"#{self.submission.pk}"},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        writer = contributor_of(self.submission)
        can_accept = self.request.user.has_perm(
            "contributions.accept_submission"
        ) and self.submission.state in (
            Submission.State.NEW,
            Submission.State.QUARANTINED,
        )
        context.update(
            submission=self.submission,
            contributor=writer,
            terms_agreed=contributor_terms_agreed(writer),
            files=list(self.submission.files.all()),
            notes=list(self.submission.notes.all()),
            matches=list(
                self.submission.matches.select_related("other_submission", "story")
            ),
            form=kwargs.get("form")
            or AcceptSubmissionForm(
                initial={
                    "kind": self.submission.kind,
                    "language": self.submission.language,
                }
            ),
            decline_form=DeclineSubmissionForm(),
            assign_form=AssignSubmissionForm(
                initial={
                    "assigned_to": self.submission.assigned_to_id,
                    "due_at": self.submission.due_at,
                }
            ),
            move_form=MoveToDeskForm(initial={"desk": self.submission.desk_id}),
            merge_targets=submission_list_merge_targets(self.submission)
            if can_accept
            else [],
            can_accept=can_accept,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = AcceptSubmissionForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            story = submission_accept(
                submission=self.submission,
                section=form.cleaned_data["section"],
                by=request.user,  # type: ignore[arg-type]  # signed in: PermissionRequiredMixin
                kind=form.cleaned_data["kind"],
                language=form.cleaned_data["language"],
            )
        except NewsdeskError as exc:
            messages.error(request, str(exc))
            return redirect("contributions:detail", pk=self.submission.pk)
        messages.success(
            request, f"Accepted into {form.cleaned_data['section'].title} as a draft."
        )
        return redirect("wagtailadmin_pages:edit", story.pk)


class SubmissionDeclineView(PermissionRequiredMixin, View):
    """Decline a submission; the note reaches its writer."""

    permission_required = "contributions.accept_submission"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        submission = get_object_or_404(Submission, pk=pk)
        form = DeclineSubmissionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The note is too long (5,000 characters at most).")
            return redirect("contributions:detail", pk=pk)
        try:
            submission_decline(
                submission=submission,
                note=form.cleaned_data["note"],
                by=request.user,  # type: ignore[arg-type]  # signed in: PermissionRequiredMixin
            )
        except NewsdeskError as exc:
            messages.error(request, str(exc))
            return redirect("contributions:detail", pk=pk)
        messages.success(request, "Declined; the writer is told.")
        return redirect("contributions:index")


class _QueueActionView(PermissionRequiredMixin, View):
    """A one-click action on a submission from its page or the queue."""

    permission_required = "contributions.accept_submission"

    def act(self, request: HttpRequest, submission: Submission) -> str:
        """Do the action; return what to tell the editor."""
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        submission = get_object_or_404(Submission, pk=pk)
        try:
            said = self.act(request, submission)
        except (NewsdeskError, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, said)
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}
        ):
            return redirect(back)
        return redirect("contributions:detail", pk=pk)


class SubmissionAssignView(_QueueActionView):
    """Assign a submission to an editor (or to oneself: "Take it") with a due time."""

    def act(self, request: HttpRequest, submission: Submission) -> str:
        if request.POST.get("take"):
            to, due = request.user, submission.due_at
        else:
            form = AssignSubmissionForm(request.POST)
            if not form.is_valid():
                raise ValidationError(
                    [str(e) for errors in form.errors.values() for e in errors]
                )
            to, due = form.cleaned_data["assigned_to"], form.cleaned_data["due_at"]
        submission_assign(submission=submission, to=to, due_at=due, by=request.user)  # type: ignore[arg-type]
        return f"Assigned to {to}." if to else "Assigned to nobody."


class SubmissionMoveView(_QueueActionView):
    """Put a submission on another desk's queue."""

    def act(self, request: HttpRequest, submission: Submission) -> str:
        form = MoveToDeskForm(request.POST)
        if not form.is_valid():
            raise ValidationError("Choose a desk from the list.")
        desk = form.cleaned_data["desk"]
        submission_move_to_desk(submission=submission, desk=desk, by=request.user)  # type: ignore[arg-type]
        return f"Moved to {desk.name}." if desk else "Moved off every desk."


class SubmissionMergeView(_QueueActionView):
    """Fold a duplicate into the submission it repeats."""

    def act(self, request: HttpRequest, submission: Submission) -> str:
        into = Submission.objects.filter(pk=request.POST.get("into") or 0).first()
        if into is None:
            raise ValidationError("There is no such submission to merge into.")
        submission_merge(submission=submission, into=into, by=request.user)  # type: ignore[arg-type]
        return f"Merged into submission #{into.pk}."


class RawMessageDownloadView(PermissionRequiredMixin, View):
    """The message exactly as it arrived, as a .eml file."""

    permission_required = "contributions.view_submission"

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        submission = get_object_or_404(
            Submission.objects.select_related("raw_message"), pk=pk
        )
        if submission.raw_message is None:
            raise Http404("This submission did not arrive by email.")
        path = raw_message_path(submission.raw_message)
        if not path.exists():
            raise Http404("The stored message file is missing.")
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"submission-{submission.pk}.eml",
            content_type="message/rfc822",
        )


class SubmissionFileDownloadView(PermissionRequiredMixin, View):
    """A file a submission came with, exactly as it arrived, as a download.

    Always sent as an attachment of a neutral type, never shown in the browser: a
    contributor's file is not trusted to be what its name says.
    """

    permission_required = "contributions.view_submission"

    def get(self, request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
        stored = get_object_or_404(SubmissionFile, pk=file_pk, submission_id=pk)
        path = submission_file_path(stored)
        if not path.exists():
            raise Http404("The stored file is missing.")
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=stored.name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
