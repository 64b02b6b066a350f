"""Staff login throttling, on django-axes.

Axes records each wrong password as an access attempt of (user name, client address) in the
database, shared by every server process, and refuses a locked-out client before any password
is checked (``axes.backends.AxesStandaloneBackend``, first of ``AUTHENTICATION_BACKENDS``).
govdesk's rules, in ``LoginAttempts`` (``AXES_HANDLER``):

- **per account and address**: ``LOGIN_MAX_FAILURES`` wrong passwords for one user name from one
  address lock that user name out *from that address*; anyone else, from anywhere else, cannot
  lock a clerk out;
- **per address**: ``LOGIN_ADDRESS_MAX_FAILURES`` wrong passwords from one address, whatever the
  user names, lock that address out of staff sign-in;
- **back-off**: a lock-out lasts ``LOGIN_LOCKOUT_MINUTES`` from the last wrong password; each
  further wrong password once it is over doubles it, up to ``LOGIN_LOCKOUT_MAX_HOURS``.
  Attempts refused while locked out are not counted (they check no password), so a clerk who
  tries again too early is not punished for it;
- wrong passwords are remembered ``LOGIN_FAILURE_MEMORY_HOURS`` after the last one
  (``AXES_COOLOFF_TIME`` with ``AXES_USE_ATTEMPT_EXPIRATION``); a successful login forgets those
  of its user name from its address only, never the address's other failures.

Lifting a lock-out by hand: delete the attempts in the admin (Axes › Access attempts), or
``govdesk axes_reset_ip_username ADDRESS USERNAME`` (a user name from an address) or
``govdesk axes_reset_ip ADDRESS`` (an address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from govdesk.accounts import services
from govdesk.common.http import client_ip

#: The 2**n of the back-off stops growing here (long before any cap in hours matters).
MAX_DOUBLINGS = 20


def failure_limit(request: HttpRequest | None = None, credentials: Any = None) -> int:
    """Wrong passwords for one user name from one address before it is locked out
    (``AXES_FAILURE_LIMIT``)."""
    limit: int = settings.LOGIN_MAX_FAILURES
    return max(1, limit)


def memory(request: HttpRequest | None = None) -> timedelta:
    """How long wrong passwords are remembered after the last one (``AXES_COOLOFF_TIME``):
    never shorter than the longest lock-out, which they must outlive."""
    hours: int = max(settings.LOGIN_FAILURE_MEMORY_HOURS, settings.LOGIN_LOCKOUT_MAX_HOURS)
    return timedelta(hours=hours)


def lockout_length(failures: int, limit: int) -> timedelta:
    """How long ``failures`` wrong passwords lock out a client allowed ``limit`` (none below
    it): the first lock-out, doubled for every failure beyond the limit, within the cap."""
    if failures < limit:
        return timedelta(0)
    first = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    longest = timedelta(hours=settings.LOGIN_LOCKOUT_MAX_HOURS)
    return min(first * (1 << min(failures - limit, MAX_DOUBLINGS)), longest)


def _limit_of(parameters: dict[str, Any]) -> int:
    """The address alone has its own, higher limit; anything with a user name has the
    per-account one."""
    if set(parameters) == {"ip_address"}:
        limit: int = settings.LOGIN_ADDRESS_MAX_FAILURES
        return max(1, limit)
    return failure_limit()


def client_address(request: HttpRequest) -> str | None:
    """The client address axes records (``AXES_CLIENT_IP_CALLABLE``): the project's
    ``client_ip``, None where there is none (the database column takes no empty string)."""
    return client_ip(request) or None


def _address(request: HttpRequest) -> str | None:
    if hasattr(request, "axes_ip_address"):
        address: str | None = request.axes_ip_address
        return address
    return client_address(request)


@dataclass(frozen=True)
class Lockout:
    until: datetime
    #: What is locked out: ``account_address`` (a user name from an address) or ``address``.
    by: str


def lockout(request: HttpRequest, credentials: dict[str, Any] | None = None) -> Lockout | None:
    """Whether this client (its user name from its address, or its address) is locked out,
    and until when; None if it may try now."""
    now = timezone.now()
    username = get_client_username(request, credentials)
    ip_address = _address(request)
    user_agent = getattr(request, "axes_user_agent", "")
    found: Lockout | None = None
    for parameters in get_client_parameters(username, ip_address, user_agent, request, credentials):
        totals = AccessAttempt.objects.filter(
            attempt_time__gte=now - memory(request), **parameters
        ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        failures, last = totals["failures"] or 0, totals["last"]
        if last is None:
            continue
        until = last + lockout_length(failures, _limit_of(parameters))
        if until > now and (found is None or until > found.until):
            by = "address" if set(parameters) == {"ip_address"} else "account_address"
            found = Lockout(until=until, by=by)
    return found


def locked_out(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """Axes' ``user_locked_out``: audit ``login.locked``, sent when a wrong password locks a
    client out, and for each attempt refused while it is (axes recorded no failure then)."""
    state = lockout(request, getattr(request, "axes_credentials", None))
    services.login_locked_record(
        username=username or "",
        ip=ip_address or "",
        until=state.until if state else None,
        refused=getattr(request, "axes_failures_since_start", None) is None,
        by=state.by if state else "",
    )


class LoginAttempts(AxesDatabaseHandler):  # type: ignore[misc]  # axes has no types
    """Axes' database handler with govdesk's two limits and back-off (see the module)."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """What axes compares with ``AXES_FAILURE_LIMIT``: the limit itself while this client
        is locked out, one less otherwise."""
        limit = failure_limit()
        return limit if lockout(request, credentials) is not None else limit - 1

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """After a successful login: forget that user name's failures from that address, and
        nothing else (signing in to one's own account must not clear the address's record)."""
        username = get_client_username(request, credentials)
        deleted: tuple[int, dict[str, int]] = AccessAttempt.objects.filter(
            username=username, ip_address=_address(request)
        ).delete()
        return deleted[0]
