"""The app's answer for reader addresses the output folder holds no file for."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from newsdesk.accounts.two_factor import two_factor_required
from newsdesk.stories.models import StoryPage
from newsdesk.stories.selectors import not_found_context, story_get_killed

from .storage import media_file_of_rendition

# Rendition formats and their types (what the output folder's server sends too).
IMAGE_TYPES = {
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}


def reader_page_missing(request: HttpRequest, path: str) -> HttpResponse:
    """Answer a reader path that has no file in the output folder: not found.

    The web server serves the reader site from the output folder, so a request for a
    page reaches the app only when there is no file for it; Wagtail's redirect
    middleware then sends readers of a moved story to its new address. The URL
    pattern is named ``wagtail_serve`` so that Wagtail can work out pages' public
    addresses (its "View live" links and the redirects it makes when a page moves).
    """
    killed = story_get_killed(f"/{path}")
    if killed is not None:
        return _withdrawn(killed)
    raise Http404(f"No reader page at /{path}")


def _withdrawn(story: StoryPage) -> HttpResponse:
    """The notice at a killed story's address: 410 Gone, with the reason."""
    context = not_found_context()
    context.update(title=f"Withdrawn — {context['site'].name}", story=story)
    response = HttpResponse(
        render_to_string("reader/410.html", context),
        status=410,
        content_type="text/html; charset=utf-8",
    )
    # Kept briefly by caches in front: a kill is rare, and final.
    response["Cache-Control"] = "public, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def rendition_preview(request: HttpRequest, name: str) -> FileResponse:
    """Show a signed-in newsroom user a reader picture not yet on the site.

    A preview of a story links its pictures at their reader addresses
    (``/images/...``), but they reach the output folder only when the story is
    published; until then such a request reaches the app, which serves the file to
    the newsroom and answers everyone else as if it did not exist.
    """
    user = request.user
    if not user.has_perm("wagtailadmin.access_admin"):
        raise Http404("No such picture")
    if two_factor_required(user) and not user.is_verified():  # type: ignore[union-attr]  # OTPMiddleware
        raise Http404("No such picture")  # the password alone opens no newsroom copy
    path = media_file_of_rendition(f"images/{name}")
    if path is None or not path.is_file():
        raise Http404("No such picture")
    content_type = (
        IMAGE_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    )
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
