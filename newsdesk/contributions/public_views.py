"""The contributor's side: the private page that says what became of a submission.

A dynamic reader page like search: same headers as the site's files, no cookie,
never cached (it is one writer's), and nothing that tells whether a wrong address
was ever right.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from newsdesk.core.addresses import client_address
from newsdesk.stories.selectors import reader_page_context, site_info

from .models import Submission
from .notices import CONFIRM_PATH, STATUS_PATH
from .profiles import contributor_terms_agreed, submission_writer_agrees_to_terms
from .selectors import contributor_of, submission_get_by_token, submission_status
from .services import submission_confirm
from .web_form import ContributionForm, contribution_store, rate_limited

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


# Like the confirmation page below, the secret address is what protects the form.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def submission_status_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show a writer what became of their submission, at its private address, and
    let them agree to the contributor terms if they have not (or they changed)."""
    submission = submission_get_by_token(token)
    if submission is None:
        raise Http404("No submission at this address")
    if request.method == "POST" and request.POST.get("agree"):
        submission_writer_agrees_to_terms(submission=submission)
    context = _context(path=STATUS_PATH.format(token=token), title="Your submission")
    writer = contributor_of(submission)
    context.update(
        submission=submission,
        status=submission_status(submission),
        ask_terms=submission.state
        in (
            Submission.State.NEW,
            Submission.State.ACCEPTED,
            Submission.State.DECLINED,
        )
        and bool(submission.sender_email)
        and not contributor_terms_agreed(writer),
        terms_url=settings.NEWSDESK_CONTRIBUTOR_TERMS_URL,
    )
    return _private_page("contributions/submission_status.html", context)


# The secret token in the address is what a forger would need, not a cookie: a form
# on this page needs no CSRF cookie, and a reader's browser keeps none.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def submission_confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    """Let a new writer confirm that they sent a submission (one click).

    Opening the address only shows the button: mail systems open links to scan
    them, and that must not confirm anything.
    """
    submission = submission_get_by_token(token)
    if submission is None:
        raise Http404("No submission at this address")
    confirmed = submission.state != Submission.State.UNCONFIRMED
    if request.method == "POST" and not confirmed:
        if submission.state == Submission.State.UNCONFIRMED:
            submission_confirm(submission=submission)
        confirmed = True
    context = _context(
        path=CONFIRM_PATH.format(token=token), title="Confirm your submission"
    )
    context.update(
        submission=submission,
        confirmed=confirmed,
        expired=submission.state == Submission.State.EXPIRED,
        status_path=STATUS_PATH.format(token=token),
        terms_url=settings.NEWSDESK_CONTRIBUTOR_TERMS_URL,
    )
    return _private_page("contributions/submission_confirm.html", context)


def _context(*, path: str, title: str) -> dict[str, object]:
    """Return a private reader page's context: the site's, not to be indexed."""
    site = site_info()
    context = reader_page_context(
        site=site, path=path, title=f"{title} — {site.name}", description=""
    )
    context["canonical_url"] = ""
    return context


def _private_page(template: str, context: dict[str, object]) -> HttpResponse:
    response = HttpResponse(
        render_to_string(template, context), content_type="text/html; charset=utf-8"
    )
    # One writer's page: kept by no cache, and not sent on as a referrer.
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


SEND_PATH = "/contribute/send/"


# The contribute page is a static file: its form carries no CSRF token, and none is
# needed (a post only ever adds a submission anyone could send by mail).
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def contribution_send_page(request: HttpRequest) -> HttpResponse:
    """Take a story from the contribute page's form; thank the writer or say what
    to fix, keeping what they typed."""
    form = ContributionForm(
        request.POST or None,
        request.FILES or None,
        uploads=request.FILES.getlist("attachments")
        if request.method == "POST"
        else [],
    )
    sent = False
    refused = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        if form.is_bot:
            sent = True  # thanked, and dropped
        else:
            refused = rate_limited(
                address=client_address(request),
                email=form.cleaned_data["email"],
            )
            if refused:
                status = 429
            else:
                contribution_store(form)
                sent = True
    elif request.method == "POST":
        status = 400
    context = _context(path=SEND_PATH, title="Send us your story")
    context.update(
        form=form,
        sent=sent,
        refused=refused,
        submissions_address=settings.NEWSDESK_SUBMISSIONS_ADDRESS,
    )
    response = _private_page("contributions/contribution_send.html", context)
    response.status_code = status
    return response
