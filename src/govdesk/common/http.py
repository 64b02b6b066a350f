"""Small facts about an HTTP request that every layer needs, with no rules attached."""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _proxies(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def _is_proxy(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(request: HttpRequest | None) -> str:
    """The client's address: the peer Django saw (``REMOTE_ADDR``), or, when that peer is one
    of ``GOVDESK_TRUSTED_PROXIES`` (the load balancers), the last address of
    ``X-Forwarded-For`` that is not itself a trusted proxy (addresses further left were sent by
    the client and prove nothing). Empty without a request."""
    if request is None:
        return ""
    peer = str(request.META.get("REMOTE_ADDR", ""))
    configured: list[str] = settings.TRUSTED_PROXIES
    if not configured:
        return peer
    proxies = _proxies(tuple(configured))
    if not _is_proxy(peer, proxies):
        return peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a malformed hop: trust nothing further left
        if not _is_proxy(hop, proxies):
            return hop
    return peer
