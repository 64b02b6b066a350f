"""The client's address behind a load balancer (GOVDESK_TRUSTED_PROXIES)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from govdesk.common.http import client_ip


def _ip(remote: str, forwarded: str | None = None) -> str:
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(request)


def test_without_trusted_proxies_the_peer_is_the_client(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    assert _ip("10.0.0.5", "203.0.113.7") == "10.0.0.5"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),  # through the load balancer
        ("10.0.0.5", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # a hop the client made up
        ("10.0.0.5", "203.0.113.7, 10.0.0.6", "203.0.113.7"),  # two proxies of ours
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("192.0.2.9", "203.0.113.7", "192.0.2.9"),  # not a proxy: its header is ignored
        ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_last_untrusted_hop(
    settings: Any, remote: str, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert _ip(remote, forwarded) == expected
