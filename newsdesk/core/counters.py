"""Keyed hashes and short-lived counters: counting by network address (rate limits,
sign-in throttling) without ever storing the address."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache


def keyed_hash(value: str) -> str:
    """Return the hex HMAC-SHA256 of ``value`` under the site's secret key: the same
    value gives the same hash here, and nobody without the key can reverse it."""
    return hmac.new(
        settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256
    ).hexdigest()


def address_counter_key(purpose: str, address: str) -> str:
    """Return the cache key counting ``purpose`` for one network address."""
    return f"newsdesk:{purpose}:{keyed_hash(address)[:32]}"


def counter_add(key: str, *, seconds: int) -> int:
    """Add one to a counter that lives ``seconds`` from its first count; return it."""
    cache.add(key, 0, timeout=seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        return 1


def counter_value(key: str) -> int:
    """Return a counter's value (0 when it has expired or never counted)."""
    return int(cache.get(key) or 0)
