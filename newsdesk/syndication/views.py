"""The partner feed: a partner pulls the changes it may see, with its key.

``GET /partners/v1/items?since=<cursor>&limit=<n>&format=<ninjs3|ninjs2|newsml>``
with ``Authorization: Bearer <key>``. Answers are the same for the same cursor
and carry an ``ETag``; ask again with ``If-None-Match`` for ``304 Not Modified``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from newsdesk.core.counters import counter_add

from .items import Item
from .models import Format, ItemVersion, Partner, PartnerKey
from .selectors import partner_changes, partner_key_find, partner_section_allowed

LIMIT_DEFAULT = 50
LIMIT_MAX = 100
CURSOR_MAX_DIGITS = 18
# Rendered pages are kept this long; a page is named by the changes it holds, and
# changes are never edited, so a kept page is never stale, only evicted.
PAGE_CACHE_SECONDS = 600
CONTENT_TYPES = {
    Format.NINJS3: "application/json",
    Format.NINJS2: "application/json",
    Format.NEWSML: "application/vnd.iptc.g2.newsmessage+xml; charset=utf-8",
}


def _refuse(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    response["Cache-Control"] = "no-store"
    return response


def _key(request: HttpRequest) -> PartnerKey | JsonResponse:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    challenge = {"WWW_Authenticate": 'Bearer realm="newsdesk partners"'}
    if scheme.lower() != "bearer" or not raw.strip():
        return _refuse(
            401,
            "Send your API key in the Authorization header: 'Bearer <key>'.",
            **challenge,
        )
    key = partner_key_find(raw.strip())
    if key is None:
        return _refuse(401, "This API key is not one of ours.", **challenge)
    if key.revoked_at is not None:
        return _refuse(
            401,
            "This API key was revoked; ask the agency for a new one.",
            **challenge,
        )
    if not key.partner.active:
        return _refuse(403, "This partner's access is paused; ask the agency.")
    return key


def _number(value: str | None, *, name: str, default: int) -> int | str:
    """Return the parameter as a whole number, or the error to answer with."""
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or len(value) > CURSOR_MAX_DIGITS:
        return f"'{name}' must be a whole number, as given in next_cursor."
    return int(value)


def _format(request: HttpRequest, partner: Partner) -> str | None:
    allowed = partner.formats or [Format.NINJS3]
    wanted = request.GET.get("format") or allowed[0]
    return wanted if wanted in allowed else None


def _body(fmt: str, changes: list[ItemVersion], *, since: int, more: bool) -> bytes:
    from . import formats

    items = [Item.from_json(change.item) for change in changes]
    next_cursor = str(changes[-1].pk) if changes else str(since)
    if fmt == Format.NEWSML:
        return formats.newsml_g2(items)
    render = formats.ninjs3 if fmt == Format.NINJS3 else formats.ninjs2
    document: dict[str, Any] = {
        "cursor": str(since),
        "next_cursor": next_cursor,
        "has_more": more,
        "items": [
            {"cursor": str(change.pk), "change": change.change, "item": render(item)}
            for change, item in zip(changes, items, strict=True)
        ],
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def _page(
    fmt: str, rows: list[tuple[int, dt.datetime]], *, since: int, more: bool
) -> tuple[bytes, str]:
    """Return the page body for these changes and its ETag, rendered once.

    Item versions are only ever added, so the same changes give the same bytes:
    partners polling the same cursor share one rendering, through the cache. Each
    change is named by its id and creation time, so a database restored from an
    older backup, which hands out the same ids again, never meets a stale page.
    """
    ids = [pk for pk, _ in rows]
    name = f"{fmt}:{since}:{int(more)}:" + ",".join(
        f"{pk}@{created.isoformat()}" for pk, created in rows
    )
    cache_key = "newsdesk:partner-page:" + hashlib.sha256(name.encode()).hexdigest()
    kept = cache.get(cache_key)
    if isinstance(kept, tuple) and len(kept) == 2:
        return kept
    changes = list(ItemVersion.objects.filter(pk__in=ids).order_by("id"))
    body = _body(fmt, changes, since=since, more=more)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    cache.set(cache_key, (body, etag), PAGE_CACHE_SECONDS)
    return body, etag


def _note_use(key: PartnerKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)


@require_GET
def partner_items(request: HttpRequest) -> HttpResponse:
    """Answer a partner's pull of the changes after its cursor."""
    key = _key(request)
    if isinstance(key, JsonResponse):
        return key
    partner = key.partner
    minute = int(timezone.now().timestamp() // 60)
    if (
        counter_add(f"newsdesk:partner-pull:{key.prefix}:{minute}", seconds=60)
        > partner.requests_per_minute
    ):
        return _refuse(
            429,
            f"More than {partner.requests_per_minute} requests this minute; slow down.",
            Retry_After=str(60 - int(timezone.now().timestamp()) % 60),
        )
    since = _number(request.GET.get("since"), name="since", default=0)
    limit = _number(request.GET.get("limit"), name="limit", default=LIMIT_DEFAULT)
    if isinstance(since, str):
        return _refuse(400, since)
    if isinstance(limit, str) or not 1 <= limit <= LIMIT_MAX:
        return _refuse(400, f"'limit' must be a whole number from 1 to {LIMIT_MAX}.")
    fmt = _format(request, partner)
    if fmt is None:
        allowed = ", ".join(partner.formats or [Format.NINJS3])
        return _refuse(400, f"'format' must be one this partner takes: {allowed}.")
    section_id = None
    if section_slug := request.GET.get("section"):
        from newsdesk.stories.models import SectionPage

        section = SectionPage.objects.filter(slug=section_slug[:100]).first()
        if section is None or not partner_section_allowed(partner, section.pk):
            return _refuse(403, "That section is not one this partner may take.")
        section_id = section.pk
    _note_use(key)
    rows = list(
        partner_changes(partner, after=since, section_id=section_id).values_list(
            "pk", "created_at"
        )[: limit + 1]
    )
    page, more = rows[:limit], len(rows) > limit
    body, etag = _page(fmt, page, since=since, more=more)
    next_cursor = str(page[-1][0]) if page else str(since)
    if fmt == Format.NEWSML and not page:
        # A NewsML-G2 message holds at least one item: nothing new is No Content.
        response = HttpResponse(status=204)
    elif etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=CONTENT_TYPES[Format(fmt)])
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Authorization"
    response["Newsdesk-Next-Cursor"] = next_cursor
    if more:
        response["Link"] = (
            f'<{request.path}?since={next_cursor}&limit={limit}&format={fmt}>; rel="next"'
        )
    return response
