"""The signed-in resident and the display modes, read from the request.

A resident's sign-in lasts while they use it: ``RESIDENT_SESSION_IDLE_MINUTES`` without a
request, or ``RESIDENT_SESSION_MAX_HOURS`` after signing in however active, signs them out (the
session itself stays: language, display modes). The page they were on is not lost: a resident
page sends them to sign in and back to it (``views.resident_view``), and their drafts are kept
on the server.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from govdesk.common.http import client_ip
from govdesk.common.principal import Principal
from govdesk.people.models import Person

RESIDENT_KEY = "resident_id"
CHALLENGE_KEY = "sign_in_challenge"
NEXT_KEY = "sign_in_next"
SIGNED_IN_AT_KEY = "resident_signed_in_at"
SEEN_AT_KEY = "resident_seen_at"
#: The last request's time is written to the session at most this often (seconds), so that
#: reading pages does not write the session every time; the idle time-out is as much later.
SEEN_EVERY = 60
ELDER_COOKIE = "govdesk_elder"
ACCESSIBLE_COOKIE = "govdesk_accessible"


def current_resident(request: HttpRequest) -> Person | None:
    """The resident signed in on this session (cached on the request); None once the sign-in
    has been idle or has lasted too long, which signs them out and says why."""
    if hasattr(request, "_portal_resident"):
        cached: Person | None = request._portal_resident
        return cached
    person = None
    resident_id = request.session.get(RESIDENT_KEY)
    if isinstance(resident_id, int):
        ended = _ended(request)
        if ended:
            resident_sign_out(request)
            messages.info(request, ended)
        else:
            person = Person.objects.filter(pk=resident_id, deceased_on__isnull=True).first()
    request._portal_resident = person  # type: ignore[attr-defined]
    return person


def _ended(request: HttpRequest) -> str:
    """Why the resident's sign-in is over (a message for them), or "" if it goes on; in that
    case the time of this request is noted."""
    now = int(time.time())
    session = request.session
    signed_in_at, seen_at = session.get(SIGNED_IN_AT_KEY), session.get(SEEN_AT_KEY)
    idle_minutes: int = settings.RESIDENT_SESSION_IDLE_MINUTES
    max_hours: int = settings.RESIDENT_SESSION_MAX_HOURS
    if not isinstance(signed_in_at, int) or now - signed_in_at > max_hours * 3600:
        return ngettext(
            "You were signed out because you had been signed in for %(n)d hour. Sign in "
            "again to go on where you were: what you saved is kept.",
            "You were signed out because you had been signed in for %(n)d hours. Sign in "
            "again to go on where you were: what you saved is kept.",
            max_hours,
        ) % {"n": max_hours}
    if not isinstance(seen_at, int) or now - seen_at > idle_minutes * 60:
        return ngettext(
            "You were signed out after %(n)d minute without activity. Sign in again to go on "
            "where you were: what you saved is kept.",
            "You were signed out after %(n)d minutes without activity. Sign in again to go on "
            "where you were: what you saved is kept.",
            idle_minutes,
        ) % {"n": idle_minutes}
    if now - seen_at >= SEEN_EVERY:
        session[SEEN_AT_KEY] = now
    return ""


def resident_sign_in(request: HttpRequest, person: Person) -> None:
    """Keep ``person`` signed in on a fresh session key (no session fixation)."""
    request.session.cycle_key()
    now = int(time.time())
    request.session[RESIDENT_KEY] = person.pk
    request.session[SIGNED_IN_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now
    request.session.pop(CHALLENGE_KEY, None)
    request._portal_resident = person  # type: ignore[attr-defined]


def resident_sign_out(request: HttpRequest) -> None:
    for key in (RESIDENT_KEY, SIGNED_IN_AT_KEY, SEEN_AT_KEY, CHALLENGE_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()
    request._portal_resident = None  # type: ignore[attr-defined]


def resident_principal(request: HttpRequest, person: Person) -> Principal:
    return Principal(kind="resident", person=person, ip=client_ip(request))


def modes(request: HttpRequest) -> dict[str, bool]:
    return {
        "elder": request.COOKIES.get(ELDER_COOKIE) == "1",
        "accessible": request.COOKIES.get(ACCESSIBLE_COOKIE) == "1",
    }


def safe_next(request: HttpRequest, candidate: str | None, default: str = "/") -> str:
    """``candidate`` if it is a path on this site, else ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
