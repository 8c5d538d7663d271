"""The read API's operations, mounted at ``/api/v1/``.

Every answer is what the reader site shows anyway, so no key is needed; each
client address may ask ``NEWSDESK_API_REQUESTS_PER_MINUTE`` times a minute.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.errors import HttpError, Throttled, ValidationError
from ninja.params import P, PathEx, QueryEx
from ninja.throttling import BaseThrottle
from wagtail.rich_text import expand_db_html

from newsdesk.core.addresses import client_address
from newsdesk.core.counters import counter_add
from newsdesk.publishing.feed_entries import sanitised_body_html
from newsdesk.stories.images import share_images_for
from newsdesk.stories.models import Person, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    absolute_url,
    author_path,
    byline_people,
    public_path,
    section_map,
    section_of,
    story_modified_at,
    story_summary,
    story_tags,
)

from . import schemas
from .selectors import (
    person_get_public,
    person_list_public,
    section_get_public,
    section_list_public,
    story_count_public,
    story_get_public,
    story_get_withdrawn,
    story_list_public,
    tag_get_public,
)

LIMIT_DEFAULT = 20
LIMIT_MAX = 100
OFFSET_MAX = 1_000_000
ID_MAX = 2**31 - 1  # page ids are 32-bit integers in PostgreSQL
# A section's, author's or tag's slug as its page address has it: letters (of any
# script), digits, "-" and "_".
SLUG = r"^[-\w]+$"
SLUG_MAX = 200

CACHE_SECONDS = 60
_MINUTE = 60


class PerAddressThrottle(BaseThrottle):
    """Count a client address's requests a minute in the shared cache (Redis in
    production), like the partner feed's per-key limit."""

    def allow_request(self, request: HttpRequest) -> bool:
        address = client_address(request) or "unknown"
        minute = int(timezone.now().timestamp() // _MINUTE)
        count = counter_add(f"newsdesk:api:{address}:{minute}", seconds=_MINUTE)
        self._wait = _MINUTE - int(timezone.now().timestamp()) % _MINUTE
        return count <= settings.NEWSDESK_API_REQUESTS_PER_MINUTE

    def wait(self) -> float | None:
        return float(getattr(self, "_wait", _MINUTE))


api = NinjaAPI(
    title=f"{settings.NEWSDESK_SITE_NAME} read API",
    version="1",
    description=(
        "Live stories, sections and authors, as the reader site shows them. "
        "Drafts, embargoed stories before their time and killed stories are never "
        "listed; a killed story's address answers 410 with the reason."
    ),
    urls_namespace="api-v1",
    throttle=[PerAddressThrottle()],
)


# --- Errors: always {"error": "..."}, bad input 400 ---------------------------------


def _error(
    request: HttpRequest, status: int, message: str, **extra: Any
) -> HttpResponse:
    response = api.create_response(request, {"error": message, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@api.exception_handler(ValidationError)
def _bad_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = [
        {
            "parameter": ".".join(str(part) for part in error.get("loc", ())[1:]),
            "problem": str(error.get("msg", "")),
        }
        for error in exc.errors
    ]
    names = ", ".join(sorted({d["parameter"] for d in detail if d["parameter"]}))
    return _error(
        request,
        400,
        f"Bad {names or 'request'}: see detail, and the OpenAPI document.",
        detail=detail,
    )


@api.exception_handler(Throttled)
def _too_many(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = int(exc.wait or _MINUTE)
    response = _error(
        request, 429, f"Too many requests from your address: wait {wait} s."
    )
    response["Retry-After"] = str(wait)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found.")


def _cached(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


# --- Shapes ------------------------------------------------------------------------


def _api_url(request: HttpRequest, name: str, **params: Any) -> str:
    from django.urls import reverse

    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return request.build_absolute_uri(
        reverse(f"api-v1:{name}") + (f"?{query}" if query else "")
    )


def _section_ref(section: SectionPage | None) -> dict[str, Any] | None:
    if section is None:
        return None
    return {
        "slug": section.slug,
        "title": section.title,
        "url": absolute_url(public_path(section)),
    }


def _author_ref(person: Person) -> dict[str, Any]:
    return {
        "slug": person.slug,
        "name": person.name,
        "kind": person.kind,
        "url": absolute_url(author_path(person)),
    }


def _summary_fields(
    story: StoryPage, sections: dict[str, SectionPage]
) -> dict[str, Any]:
    return {
        "id": story.pk,
        "url": absolute_url(public_path(story)),
        "headline": story.title,
        "summary": story_summary(story),
        "language": story.language,
        "direction": story.text_direction,
        "kind": story.kind,
        "dateline": story.dateline,
        "section": _section_ref(section_of(story, sections)),
        "authors": [_author_ref(person) for person in byline_people(story)],
        "first_published_at": story.first_published_at,
        "modified_at": story_modified_at(story),
    }


def _image(story: StoryPage) -> dict[str, Any] | None:
    if story.lead_image is None:
        return None
    widest = share_images_for(story.lead_image)[0]
    return {
        "url": absolute_url(widest.url),
        "width": widest.width,
        "height": widest.height,
        "alt": story.lead_image_alt,
        "caption": story.lead_image_caption,
        "credit": story.lead_image_credit,
    }


def _story(story: StoryPage) -> dict[str, Any]:
    return dict(
        **_summary_fields(story, section_map()),
        standfirst=story.standfirst,
        body_html=sanitised_body_html(str(expand_db_html(story.body))),
        tags=[tag.name for tag in story_tags(story)],
        lead_image=_image(story),
        corrections=[
            {"published_at": c.published_at, "note": c.note.strip()}
            for c in sorted(story.corrections.all(), key=lambda c: c.published_at)
        ],
        updates=[
            {
                "posted_at": u.posted_at,
                "html": sanitised_body_html(str(expand_db_html(u.text))),
            }
            for u in story.updates.all()
        ],
        source_credit=story.source_credit,
    )


def _page_links(
    request: HttpRequest,
    name: str,
    *,
    count: int,
    limit: int,
    offset: int,
    **params: Any,
) -> dict[str, str | None]:
    following = offset + limit
    before = max(offset - limit, 0)
    return {
        "next": _api_url(request, name, **params, limit=limit, offset=following)
        if following < count
        else None,
        "previous": _api_url(request, name, **params, limit=limit, offset=before)
        if offset > 0
        else None,
    }


# --- Stories -----------------------------------------------------------------------

_NOT_FOUND = {404: schemas.Error, 400: schemas.Error, 429: schemas.Error}


@api.get(
    "/stories",
    response={200: schemas.StoryList, **_NOT_FOUND},
    url_name="stories",
    summary="List live stories, newest first",
    tags=["stories"],
)
def story_list(
    request: HttpRequest,
    response: HttpResponse,
    section: QueryEx[
        str | None,
        P(pattern=SLUG, max_length=SLUG_MAX, description="A section's slug."),
    ] = None,
    author: QueryEx[
        str | None,
        P(pattern=SLUG, max_length=SLUG_MAX, description="An author's slug."),
    ] = None,
    tag: QueryEx[
        str | None,
        P(pattern=SLUG, max_length=SLUG_MAX, description="A tag's slug."),
    ] = None,
    language: schemas.Language | None = None,
    kind: schemas.Kind | None = None,
    limit: QueryEx[int, P(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    offset: QueryEx[int, P(ge=0, le=OFFSET_MAX)] = 0,
) -> Any:
    """Live stories, newest first. Narrow them by one of section, author or tag,
    and by language and kind."""
    if len([name for name in (section, author, tag) if name]) > 1:
        raise HttpError(400, "Narrow the list by one of section, author or tag.")
    narrowed: dict[str, Any] = {}
    if section:
        narrowed["section"] = section_get_public(section)
        if narrowed["section"] is None:
            raise Http404(f"There is no section “{section}”.")
    if author:
        narrowed["author"] = person_get_public(author)
        if narrowed["author"] is None:
            raise Http404(f"There is no author “{author}”.")
    if tag:
        narrowed["tag"] = tag_get_public(tag)
        if narrowed["tag"] is None:
            raise Http404(f"There is no tag “{tag}”.")
    stories = list(
        story_list_public(**narrowed, language=language, kind=kind)[
            offset : offset + limit
        ]
    )
    count = story_count_public(**narrowed, language=language, kind=kind)
    sections = section_map()
    _cached(response)
    return {
        "count": count,
        **_page_links(
            request,
            "stories",
            count=count,
            limit=limit,
            offset=offset,
            section=section,
            author=author,
            tag=tag,
            language=language,
            kind=kind,
        ),
        "items": [_summary_fields(story, sections) for story in stories],
    }


@api.get(
    "/stories/{story_id}",
    response={200: schemas.Story, 410: schemas.Withdrawn, **_NOT_FOUND},
    url_name="story",
    summary="One live story, whole",
    tags=["stories"],
)
def story_detail(
    request: HttpRequest,
    response: HttpResponse,
    story_id: PathEx[int, P(ge=1, le=ID_MAX)],
) -> Any:
    """A live story with its copy, tags, lead image, corrections and updates. A
    killed story answers 410 with the reason; anything not live, 404."""
    story = story_get_public(story_id)
    if story is None:
        withdrawn = story_get_withdrawn(story_id)
        if withdrawn is not None and withdrawn.killed_at is not None:
            return Status(
                410,
                {
                    "error": "This story was withdrawn.",
                    "id": withdrawn.pk,
                    "withdrawn_at": withdrawn.killed_at,
                    "reason": withdrawn.kill_reason,
                },
            )
        raise Http404(f"There is no live story {story_id}.")
    _cached(response)
    return _story(story)


# --- Sections ----------------------------------------------------------------------


def _section(request: HttpRequest, section: SectionPage) -> dict[str, Any]:
    return {
        "slug": section.slug,
        "title": section.title,
        "description": section.description,
        "url": absolute_url(public_path(section)),
        "stories": _api_url(request, "stories", section=section.slug),
    }


@api.get(
    "/sections",
    response={200: list[schemas.Section], 429: schemas.Error},
    url_name="sections",
    summary="List the sections",
    tags=["sections"],
)
def section_list(request: HttpRequest, response: HttpResponse) -> Any:
    """The live sections, in the order of the site's navigation."""
    _cached(response)
    return [_section(request, section) for section in section_list_public()]


@api.get(
    "/sections/{slug}",
    response={200: schemas.Section, **_NOT_FOUND},
    url_name="section",
    summary="One section",
    tags=["sections"],
)
def section_detail(
    request: HttpRequest,
    response: HttpResponse,
    slug: PathEx[str, P(pattern=SLUG, max_length=SLUG_MAX)],
) -> Any:
    """A live section, with the address of its stories."""
    section = section_get_public(slug)
    if section is None:
        raise Http404(f"There is no section “{slug}”.")
    _cached(response)
    return _section(request, section)


# --- Authors -----------------------------------------------------------------------


def _author(request: HttpRequest, person: Person) -> dict[str, Any]:
    return {
        "slug": person.slug,
        "name": person.name,
        "kind": person.kind,
        "bio": person.bio,
        "url": absolute_url(author_path(person)),
        "stories": _api_url(request, "stories", author=person.slug),
    }


@api.get(
    "/authors",
    response={200: schemas.AuthorList, 400: schemas.Error, 429: schemas.Error},
    url_name="authors",
    summary="List the authors",
    tags=["authors"],
)
def author_list(
    request: HttpRequest,
    response: HttpResponse,
    limit: QueryEx[int, P(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    offset: QueryEx[int, P(ge=0, le=OFFSET_MAX)] = 0,
) -> Any:
    """Everyone named in a live story's byline, by name."""
    people = person_list_public()
    count = people.count()
    _cached(response)
    return {
        "count": count,
        **_page_links(request, "authors", count=count, limit=limit, offset=offset),
        "items": [_author(request, p) for p in people[offset : offset + limit]],
    }


@api.get(
    "/authors/{slug}",
    response={200: schemas.Author, **_NOT_FOUND},
    url_name="author",
    summary="One author",
    tags=["authors"],
)
def author_detail(
    request: HttpRequest,
    response: HttpResponse,
    slug: PathEx[str, P(pattern=SLUG, max_length=SLUG_MAX)],
) -> Any:
    """Someone named in a live story's byline, with the address of their stories."""
    person = person_get_public(slug)
    if person is None:
        raise Http404(f"There is no author “{slug}”.")
    _cached(response)
    return _author(request, person)
