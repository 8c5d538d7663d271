"""Push: each change partners may see is POSTed to their webhook, signed, and tried
again with growing waits until it is taken or given up; each try is in the delivery
log (``Delivery``). This module is the only one that opens a partner's address.

What a partner receives
-----------------------
One ``POST`` per change, to its ``webhook_url``. The body is in its
``webhook_format``: for ``ninjs3`` and ``ninjs2`` the JSON object
``{"cursor": "<change id>", "change": "published|updated|corrected|embargoed|
killed|withdrawn", "item": <ninjs document>}``, the same entry the pull API gives;
for ``newsml`` a NewsML-G2 ``newsMessage`` holding the one item. Headers:

- ``Content-Type``: ``application/json`` or
  ``application/vnd.iptc.g2.newsmessage+xml; charset=utf-8``
- ``Newsdesk-Delivery``: the delivery's id, the same on every try of it: a partner
  that has seen it already answers 2xx and ignores it
- ``Newsdesk-Cursor``: the change's id, the cursor the pull API counts in
- ``Newsdesk-Change``: what happened to the story, as in the JSON body
- ``Newsdesk-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``

Any 2xx answer is taken as delivered. Anything else (another status, a redirect,
which is not followed, no answer within ``NEWSDESK_WEBHOOK_TIMEOUT_SECONDS``, a
refused connection, a name that does not resolve) is tried again after
``BACKOFF_SECONDS`` (30 s, 2 min, 10 min, 1 h, 6 h, then every 24 h) and given up
after ``NEWSDESK_WEBHOOK_MAX_ATTEMPTS`` tries. Changes may arrive out of order (a
retried one after a newer one) and, rarely, twice: keep the item with the highest
``version`` per ``guid``, and the delivery ids already seen.

How a partner checks the signature
----------------------------------
The signature is the HMAC-SHA256, keyed with the partner's webhook secret (its
UTF-8 bytes), of the timestamp, a full stop and the raw body as received:
``f"{t}.".encode() + body``, in lower-case hex. The partner recomputes it over the
bytes it received (before parsing them), compares in constant time, and rejects
the request when no ``v1`` matches or when ``t`` is more than five minutes from its
own clock, so a captured request cannot be replayed later::

    import hashlib, hmac, time

    def verify(secret: str, header: str, body: bytes) -> bool:
        fields = [p.split("=", 1) for p in header.split(",") if "=" in p]
        t = next((v for k, v in fields if k == "t"), "")
        if not t.isdigit() or abs(time.time() - int(t)) > 300:
            return False
        mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256)
        return any(
            hmac.compare_digest(mac.hexdigest(), v) for k, v in fields if k == "v1"
        )

``webhook_signature_verify`` below is that check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException, HTTPMessage
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from .items import Item
from .models import Delivery, Format, ItemVersion, Partner
from .selectors import partner_list_with_webhook, partner_wants

logger = logging.getLogger(__name__)

# Wait after the 1st, 2nd ... failed try; the last wait repeats.
BACKOFF_SECONDS = (30, 2 * 60, 10 * 60, 3600, 6 * 3600, 24 * 3600)
# One run sends at most this many, and starts no new one after RUN_SECONDS, so a
# backlog or a slow partner does not hold up the worker's other periodic jobs.
BATCH_SIZE = 100
RUN_SECONDS = 30.0
ERROR_LENGTH = 200
CONTENT_TYPES = {
    Format.NINJS3: "application/json",
    Format.NINJS2: "application/json",
    Format.NEWSML: "application/vnd.iptc.g2.newsmessage+xml; charset=utf-8",
}


# --- Signing ---------------------------------------------------------------------


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``Newsdesk-Signature`` header of a body sent at ``timestamp``
    (unix seconds): ``t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>." + body>``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def webhook_signature_verify(
    secret: str, header: str, body: bytes, *, now: float, tolerance: int = 300
) -> bool:
    """Say whether a ``Newsdesk-Signature`` header signs this body with this secret,
    at a time no more than ``tolerance`` seconds from ``now`` (unix seconds), as a
    partner checks what it receives."""
    timestamp = ""
    candidates: list[str] = []
    for part in header.split(","):
        name, equals, value = part.strip().partition("=")
        if not equals:
            continue
        if name == "t":
            timestamp = value
        elif name == "v1":
            candidates.append(value)
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = _mac(secret, int(timestamp), body).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
        for candidate in candidates
    )


# --- Queueing --------------------------------------------------------------------


def deliveries_enqueue(change: ItemVersion) -> int:
    """Queue a change for the webhook of every active partner who may see it; return
    how many deliveries were added (none twice for the same partner)."""
    partners = [p for p in partner_list_with_webhook() if partner_wants(p, change)]
    if not partners:
        return 0
    queued = set(change.deliveries.values_list("partner_id", flat=True))
    new = [
        Delivery(partner=partner, change=change)
        for partner in partners
        if partner.pk not in queued
    ]
    Delivery.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def change_recorded(
    sender: type[ItemVersion],
    instance: ItemVersion,
    created: bool,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    """Queue a new change for partners' webhooks once its transaction commits."""
    if not created or raw:
        return

    def enqueue() -> None:
        deliveries_enqueue(instance)

    # Robust: a failure here is logged and must not stop the callbacks after it
    # (the publisher, the search index) from running.
    transaction.on_commit(enqueue, robust=True)


def connect() -> None:
    """Connect the queueing of deliveries (called by ``receivers.connect``)."""
    post_save.connect(
        change_recorded,
        sender=ItemVersion,
        dispatch_uid="syndication.webhooks.enqueue",
    )


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Send a delivery again at the worker's next run, with a fresh count of tries
    (for the newsroom's delivery log, once a partner has fixed its end)."""
    delivery.state = Delivery.State.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = None
    delivery.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    return delivery


# --- Sending ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one try of a delivery came to."""

    status: int | None = None  # the HTTP status, if there was an answer
    error: str = ""  # why it failed, short and free of secrets; empty: delivered


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a 3xx is a failure the partner fixes at its end, and a
    signed body is never sent on to an address the agency did not set."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


def _describe(error: BaseException, timeout: float) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return f"No answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "Connection refused"
    if isinstance(reason, socket.gaierror):
        return "The host name does not resolve"
    if isinstance(reason, BaseException):
        return _short(f"{type(reason).__name__}: {reason}")
    return _short(f"{type(error).__name__}: {reason}")


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST a body to a partner and say how it went (never raises for the network
    or the partner's answer)."""
    if urlsplit(url).scheme not in {"http", "https"}:
        return Outcome(error="The webhook address is not an http(s) address")
    # The scheme is checked above: no file: or ftp: here.
    request = urllib.request.Request(  # noqa: S310
        url, data=body, headers=headers, method="POST"
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Outcome(status=response.status)
    except urllib.error.HTTPError as error:
        # Recorded next to the status: its reason phrase, then the partner's words.
        with error:
            try:
                said = error.read(1024).decode("utf-8", "replace")
            except (OSError, HTTPException):
                said = ""
        if 300 <= error.code < 400:
            said = "redirects are not followed; set the new address"
        answer = ": ".join(part for part in (str(error.reason), said.strip()) if part)
        return Outcome(status=error.code, error=_short(answer or "Refused"))
    except (OSError, HTTPException) as error:  # URLError is an OSError
        return Outcome(error=_describe(error, timeout))


def _body(partner: Partner, change: ItemVersion) -> tuple[bytes, str]:
    from . import formats

    item = Item.from_json(change.item)
    fmt = partner.webhook_format
    if fmt == Format.NEWSML:
        return formats.newsml_g2([item]), CONTENT_TYPES[Format.NEWSML]
    render = formats.ninjs2 if fmt == Format.NINJS2 else formats.ninjs3
    document = {"cursor": str(change.pk), "change": change.change, "item": render(item)}
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    return body, CONTENT_TYPES[Format.NINJS3]


def _unsendable(delivery: Delivery) -> str:
    """Why a queued delivery must not be sent any more, if it must not."""
    partner = delivery.partner
    if not partner.active:
        return "Not sent: the partner was made inactive"
    if not partner.webhook_url:
        return "Not sent: the partner has no webhook address any more"
    if urlsplit(partner.webhook_url).scheme not in {"http", "https"}:
        return "Not sent: the webhook address is not an http(s) address"
    if not partner.webhook_secret:
        return "Not sent: the partner has no webhook secret to sign with"
    if not partner_wants(partner, delivery.change):
        return "Not sent: the partner may no longer take this change"
    return ""


def _claim(now: dt.datetime, resting: set[int]) -> Delivery | None:
    """Take the oldest due delivery and lease it, so no other run sends it while
    this one does; the lease runs out (and it is due again) if this run dies."""
    lease = dt.timedelta(seconds=2 * settings.NEWSDESK_WEBHOOK_TIMEOUT_SECONDS + 60)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    features = connection.features
    for _ in range(3):
        with transaction.atomic():
            candidates = (
                Delivery.objects.filter(due, state=Delivery.State.PENDING)
                .exclude(partner_id__in=resting)
                .order_by("created_at", "id")
            )
            # PostgreSQL: a second run passes over rows the first has locked instead
            # of waiting for them. SQLite has no row locks; its IMMEDIATE
            # transactions make runs take turns. Either way the conditional update
            # below is the lease: only one run can move a due row's next_attempt_at
            # into the future.
            if features.has_select_for_update_skip_locked:
                of = ("self",) if features.has_select_for_update_of else ()
                candidates = candidates.select_for_update(skip_locked=True, of=of)
            delivery = candidates.select_related("partner", "change").first()
            if delivery is None:
                return None
            leased = Delivery.objects.filter(
                due, pk=delivery.pk, state=Delivery.State.PENDING
            ).update(next_attempt_at=now + lease)
        if leased:
            return delivery
    return None  # others keep taking them first; what is left waits for the next run


def _give_up(delivery: Delivery, reason: str) -> None:
    delivery.state = Delivery.State.FAILED
    delivery.next_attempt_at = None
    delivery.last_error = reason
    delivery.save(
        update_fields=["state", "next_attempt_at", "last_error", "updated_at"]
    )
    logger.warning(
        "Delivery %s of change %s to %s: %s",
        delivery.pk,
        delivery.change_id,
        delivery.partner,
        reason,
    )


def _record(delivery: Delivery, outcome: Outcome) -> None:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status = outcome.status
    delivery.last_error = outcome.error
    host = urlsplit(delivery.partner.webhook_url).hostname
    if not outcome.error:
        delivery.state = Delivery.State.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        logger.info(
            "Delivered change %s to %s at %s (delivery %s, try %s, HTTP %s)",
            delivery.change_id,
            delivery.partner,
            host,
            delivery.pk,
            delivery.attempts,
            outcome.status,
        )
    elif delivery.attempts >= settings.NEWSDESK_WEBHOOK_MAX_ATTEMPTS:
        delivery.state = Delivery.State.FAILED
        delivery.next_attempt_at = None
        logger.error(
            "Gave up delivering change %s to %s at %s after %s tries (delivery %s): %s",
            delivery.change_id,
            delivery.partner,
            host,
            delivery.attempts,
            delivery.pk,
            outcome.error,
        )
    else:
        wait = BACKOFF_SECONDS[min(delivery.attempts, len(BACKOFF_SECONDS)) - 1]
        delivery.next_attempt_at = now + dt.timedelta(seconds=wait)
        logger.warning(
            "Could not deliver change %s to %s at %s (delivery %s, try %s): %s; "
            "trying again at %s",
            delivery.change_id,
            delivery.partner,
            host,
            delivery.pk,
            delivery.attempts,
            outcome.error,
            delivery.next_attempt_at.isoformat(),
        )
    delivery.save(
        update_fields=[
            "state",
            "attempts",
            "next_attempt_at",
            "last_status",
            "last_error",
            "delivered_at",
            "updated_at",
        ]
    )


def _send(delivery: Delivery) -> Outcome:
    partner, change = delivery.partner, delivery.change
    try:
        body, content_type = _body(partner, change)
    except Exception as error:
        logger.exception("Could not write change %s for %s", change.pk, partner)
        return Outcome(error=_short(f"Could not write the change: {error}"))
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": content_type,
        "User-Agent": f"newsdesk-webhooks/1 (+{settings.NEWSDESK_SITE_URL})",
        "Newsdesk-Delivery": str(delivery.pk),
        "Newsdesk-Cursor": str(change.pk),
        "Newsdesk-Change": change.change,
        "Newsdesk-Signature": webhook_signature(
            partner.webhook_secret, timestamp, body
        ),
    }
    timeout = float(settings.NEWSDESK_WEBHOOK_TIMEOUT_SECONDS)
    return _post(partner.webhook_url, body, headers, timeout)


def webhook_deliveries_run() -> int:
    """Send the deliveries that are due, oldest first, and record how each went;
    return how many were tried. The worker runs this every few seconds; two runs
    at once never send the same delivery.

    A partner whose webhook fails is not tried again in the same run (its other
    deliveries wait for the next), so one partner that is down or slow costs a run
    at most one timeout.
    """
    started = time.monotonic()
    resting: set[int] = set()
    tried = 0
    while tried < BATCH_SIZE and time.monotonic() - started < RUN_SECONDS:
        delivery = _claim(timezone.now(), resting)
        if delivery is None:
            break
        if reason := _unsendable(delivery):
            _give_up(delivery, reason)
            continue
        # Outside any transaction: no lock is held while the partner answers.
        outcome = _send(delivery)
        _record(delivery, outcome)
        tried += 1
        if outcome.error:
            resting.add(delivery.partner_id)
    return tried
