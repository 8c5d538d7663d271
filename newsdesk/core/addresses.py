"""Who a request comes from, for the limits counted per network address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str:
    """Return the address a request came from.

    Behind the site's own front server the connection's address is the front
    server's (nginx on loopback) or none at all (the built-in server, over a Unix
    socket); each adds the address it saw as the last entry of X-Forwarded-For, the
    built-in server replacing whatever the client sent. That entry is taken only
    from a front server named in ``NEWSDESK_TRUSTED_PROXIES``: a request straight
    from elsewhere cannot claim an address.
    """
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if remote and remote not in settings.NEWSDESK_TRUSTED_PROXIES:
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip() if forwarded else ""
    return last or str(remote)
