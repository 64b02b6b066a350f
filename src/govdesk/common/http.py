"""Small facts about an HTTP request that every layer needs, with no rules attached."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str:
    """The peer address Django saw (``REMOTE_ADDR``); empty without a request."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))
