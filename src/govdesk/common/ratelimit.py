"""A fixed-window rate limit per client, kept in Django's cache (shared between processes when
the cache is Redis)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from govdesk.common.http import client_ip


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int


def hit(*, scope: str, client: str, limit: int, window: int = 60) -> Decision:
    """Count one request of ``client`` in ``scope``; refuse beyond ``limit`` per ``window``."""
    now = time.time()
    bucket = int(now // window)
    key = f"ratelimit:{scope}:{client}:{bucket}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    return Decision(allowed=count <= limit, retry_after=max(1, int(window - now % window)))


def verification_hit(request: HttpRequest) -> Decision:
    """Verification (page, upload and API together): GOVDESK_VERIFY_RATE_PER_MINUTE per IP."""
    limit: int = settings.VERIFY_RATE_PER_MINUTE
    return hit(scope="verify", client=client_ip(request), limit=limit)
