"""The signed-in resident and the display modes, read from the request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from govdesk.common.http import client_ip
from govdesk.common.principal import Principal
from govdesk.people.models import Person

RESIDENT_KEY = "resident_id"
CHALLENGE_KEY = "sign_in_challenge"
NEXT_KEY = "sign_in_next"
ELDER_COOKIE = "govdesk_elder"
ACCESSIBLE_COOKIE = "govdesk_accessible"


def current_resident(request: HttpRequest) -> Person | None:
    """The resident signed in on this session (cached on the request)."""
    if hasattr(request, "_portal_resident"):
        cached: Person | None = request._portal_resident
        return cached
    person = None
    resident_id = request.session.get(RESIDENT_KEY)
    if isinstance(resident_id, int):
        person = Person.objects.filter(pk=resident_id, deceased_on__isnull=True).first()
    request._portal_resident = person  # type: ignore[attr-defined]
    return person


def resident_sign_in(request: HttpRequest, person: Person) -> None:
    """Keep ``person`` signed in on a fresh session key (no session fixation)."""
    request.session.cycle_key()
    request.session[RESIDENT_KEY] = person.pk
    request.session.pop(CHALLENGE_KEY, None)
    request._portal_resident = person  # type: ignore[attr-defined]


def resident_sign_out(request: HttpRequest) -> None:
    request.session.pop(RESIDENT_KEY, None)
    request.session.pop(CHALLENGE_KEY, None)
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
