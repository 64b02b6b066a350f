"""Staff sessions: they end after ``STAFF_SESSION_IDLE_MINUTES`` without a request and
``STAFF_SESSION_HOURS`` after sign-in however busy, in the workbench and the admin alike.

Staff are the only Django users; a resident signed in on the portal has no Django user on the
session, so portal sessions keep Django's own lifetime (``SESSION_COOKIE_AGE``). Expiry signs
the member of staff out before any view runs; the view then answers as to anybody not signed
in (the workbench redirects to its sign-in page, with ``HX-Redirect`` for htmx requests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponseBase

SIGNED_IN_AT = "staff_signed_in_at"
SEEN_AT = "staff_seen_at"
#: The last request is written down at most this often (seconds), not at every request; a
#: session therefore ends up to this much *before* the idle limit, never after it.
TOUCH_SECONDS = 60


def clock() -> float:
    return time.time()


def _limits() -> tuple[float, float]:
    return settings.STAFF_SESSION_HOURS * 3600.0, settings.STAFF_SESSION_IDLE_MINUTES * 60.0


def _note(request: HttpRequest, now: float, signed_in_at: float) -> None:
    """Write down this request, and let the cookie and the stored session lapse when the idle
    or the absolute limit would end them."""
    absolute, idle = _limits()
    request.session[SEEN_AT] = now
    request.session.set_expiry(max(1, int(min(idle, absolute - (now - signed_in_at)))))


def staff_session_start(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """On sign-in (``user_logged_in``): the clock of both limits starts."""
    if request is None or not hasattr(request, "session"):
        return
    now = clock()
    request.session[SIGNED_IN_AT] = now
    _note(request, now, now)


def expired(request: HttpRequest, now: float) -> bool:
    signed_in_at = request.session.get(SIGNED_IN_AT)
    seen_at = request.session.get(SEEN_AT)
    if not isinstance(signed_in_at, int | float) or not isinstance(seen_at, int | float):
        return True  # signed in before these limits existed, or not through login()
    absolute, idle = _limits()
    return now - signed_in_at >= absolute or now - seen_at >= idle


class StaffSessionMiddleware:
    """After ``AuthenticationMiddleware``: signs out a member of staff whose session has run
    past either limit, and notes the time of the others' requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if SESSION_KEY in request.session:
            now = clock()
            if expired(request, now):
                logout(request)
            elif now - float(request.session[SEEN_AT]) >= TOUCH_SECONDS:
                _note(request, now, float(request.session[SIGNED_IN_AT]))
        return self.get_response(request)
