"""Resident sign-in through an identity-provider adapter.

The embedded default, ``LocalIdentityProvider``, sends a six-digit one-time code by text message
to the phone the population registry holds for the resident. A code expires after five minutes
and allows five attempts; only a keyed hash of it is stored. The code is sent once the
transaction that stores it commits, never for a code that was rolled back. A real deployment
plugs in the province's identity platform behind the same calls (``GOVDESK_IDENTITY_PROVIDER``).

Nobody learns from signing in whether an ID number is registered: a well-formed number always
gets a challenge, the same page and the same limits. For a number the registry does not hold, a
person with no phone on file, or a code the gateway could not send, no text goes anywhere and
the challenge never verifies; the audit trail records what really happened (``unknown``,
``no_phone``, a failed send). Abuse is limited per ID number (``MAX_CODES_PER_HOUR``), per
challenge (``MAX_ATTEMPTS``) and, whatever the provider, per client address
(``start_throttle``, ``guess_throttle``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govdesk.accounts.models import SignInCode
from govdesk.accounts.sms import LocalSms, SmsGateway, gateway, outbox_latest
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import Result
from govdesk.audit.services import Subject, audit_record, person_subject
from govdesk.common import ratelimit
from govdesk.common.actor import Actor
from govdesk.common.adapters import adapter_class, adapter_problems
from govdesk.common.idnumbers import InvalidIdNumber, mask, parse
from govdesk.common.roles import RESIDENT
from govdesk.people.models import Person

CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
CODE_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")

State = Literal["open", "expired", "locked", "used"]
ErrorKind = Literal["invalid", "too_many", "throttled"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Challenge:
    """A sign-in in progress. It does not say whether a code was sent, nor where: that would
    tell whether the number is registered."""

    id: str
    expires_at: datetime
    attempts_left: int
    state: State = "open"


class SignInError(Exception):
    """Sign-in cannot start or go on; ``message`` tells the resident what to do instead. The
    kinds say nothing about the number: ``invalid`` (not a well-formed ID number),
    ``too_many`` (codes asked for this number, registered or not) or ``throttled`` (too much
    from this client address; ``retry_after`` seconds)."""

    def __init__(self, kind: ErrorKind, message: str, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


class IdentityProvider(Protocol):
    def start(self, id_number: str) -> Challenge:
        """Begin signing in the resident with ``id_number``: a challenge for any well-formed
        number, registered or not (one that is not never verifies); raise ``SignInError``
        only for what does not depend on the registry."""

    def verify(self, challenge_id: str, code: str) -> Person | None:
        """The resident, if ``code`` answers the challenge; otherwise None."""

    def status(self, challenge_id: str) -> Challenge | None:
        """The challenge as it stands now (attempts left, expired, locked), or None."""

    def check_config(self) -> list[str]:
        """What is wrong with this provider's configuration (empty when nothing is); quick,
        with no network access. ``govdesk check`` reports it."""
        ...


# --- limits per client address, whatever the provider -----------------------------------------


def _throttle(
    kind: Literal["start", "guess"], ip: str, decisions: list[ratelimit.Decision]
) -> None:
    refused = [d for d in decisions if not d.allowed]
    if not refused:
        return
    wait = max(d.retry_after for d in refused)
    minutes = max(1, math.ceil(wait / 60))
    # The first refusal of a window is audited (not every one: that would let a client flood
    # the trail at the rate it is refused).
    if cache.add(f"signin-throttled:{kind}:{ip}", 1, timeout=wait):
        audit_record(
            actor=Actor(name="resident:?", role=RESIDENT, ip=ip),
            action=AuditAction.RESIDENT_SIGN_IN_THROTTLED,
            result=Result.DENIED,
            detail={"what": kind, "retry_after": wait},
        )
    if kind == "start":
        message = ngettext(
            "Too many sign-ins from your network. Please try again in %(n)d minute.",
            "Too many sign-ins from your network. Please try again in %(n)d minutes.",
            minutes,
        )
    else:
        message = ngettext(
            "Too many codes entered from your network. Please try again in %(n)d minute.",
            "Too many codes entered from your network. Please try again in %(n)d minutes.",
            minutes,
        )
    raise SignInError("throttled", message % {"n": minutes}, retry_after=wait)


def start_throttle(*, ip: str) -> None:
    """Count a sign-in started from ``ip``; raise ``SignInError("throttled")`` beyond
    ``RESIDENT_SIGNIN_STARTS_PER_MINUTE`` or ``RESIDENT_SIGNIN_STARTS_PER_HOUR`` (each start
    may send a text message: this is what stops one client texting many residents)."""
    per_minute: int = settings.RESIDENT_SIGNIN_STARTS_PER_MINUTE
    per_hour: int = settings.RESIDENT_SIGNIN_STARTS_PER_HOUR
    _throttle(
        "start",
        ip,
        [
            ratelimit.hit(scope="signin-start-minute", client=ip, limit=per_minute, window=60),
            ratelimit.hit(scope="signin-start-hour", client=ip, limit=per_hour, window=3600),
        ],
    )


def guess_throttle(*, ip: str) -> None:
    """Count a code entered from ``ip``; raise ``SignInError("throttled")`` beyond
    ``RESIDENT_SIGNIN_GUESSES_PER_HOUR``, over all its challenges (each challenge allows
    ``MAX_ATTEMPTS`` besides)."""
    per_hour: int = settings.RESIDENT_SIGNIN_GUESSES_PER_HOUR
    _throttle(
        "guess",
        ip,
        [ratelimit.hit(scope="signin-guess-hour", client=ip, limit=per_hour, window=3600)],
    )


# --- the local provider ----------------------------------------------------------------------


def _hash(challenge_id: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _subject(row: SignInCode) -> Subject:
    label = mask(row.person.id_number) if row.person is not None else ""
    return Subject("person", row.subject, label)


def _actor(subject: Subject, ip: str) -> Actor:
    return Actor(name=f"resident:{subject.label or '?'}", role=RESIDENT, ip=ip)


def _state(row: SignInCode, now: datetime) -> State:
    if row.used_at is not None:
        return "used"
    if row.attempts >= MAX_ATTEMPTS:
        return "locked"
    if row.expires_at <= now:
        return "expired"
    return "open"


def _challenge(row: SignInCode, now: datetime) -> Challenge:
    return Challenge(
        id=str(row.id),
        expires_at=row.expires_at,
        attempts_left=max(0, MAX_ATTEMPTS - row.attempts),
        state=_state(row, now),
    )


class LocalIdentityProvider:
    """One-time codes by text message to the phone the registry holds."""

    def __init__(self, sms: SmsGateway | None = None, *, ip: str = "") -> None:
        self._sms = sms
        self.ip = ip

    @property
    def sms(self) -> SmsGateway:
        """The gateway given, or the configured one (made when first needed)."""
        if self._sms is None:
            self._sms = gateway()
        return self._sms

    def check_config(self) -> list[str]:
        """Nothing of its own: the SMS gateway it sends through is checked on its own."""
        return []

    def start(self, id_number: str) -> Challenge:
        try:
            value = parse(id_number).value
        except InvalidIdNumber as exc:
            raise SignInError("invalid", str(exc.message)) from exc
        subject = person_subject(value)
        person = Person.objects.filter(id_number=value, deceased_on__isnull=True).first()
        phone = person.phone if person is not None else ""
        now = timezone.now()
        # The same statements whoever the number belongs to; only the audit row (and, after
        # the commit, the text message) differs.
        with transaction.atomic():
            recent = SignInCode.objects.filter(
                subject=subject.id, created_at__gte=now - timedelta(hours=1)
            )
            if recent.count() >= MAX_CODES_PER_HOUR:
                raise SignInError(
                    "too_many",
                    _("Too many codes were requested for this ID number. Try again in an hour."),
                )
            # A new code replaces any earlier one: attempts cannot be multiplied.
            SignInCode.objects.filter(
                subject=subject.id, used_at__isnull=True, expires_at__gt=now
            ).update(expires_at=now)
            row = SignInCode(
                person=person, subject=subject.id, phone=phone, expires_at=now + CODE_LIFETIME
            )
            code = _new_code()
            row.code_hash = _hash(str(row.id), code)
            row.save()
            # The truth is for the audit trail only.
            action, result = AuditAction.RESIDENT_SIGN_IN_CODE_SENT, Result.OK
            if person is None:
                action, result = AuditAction.RESIDENT_SIGN_IN_UNKNOWN, Result.NOT_FOUND
            elif not phone:
                action, result = AuditAction.RESIDENT_SIGN_IN_NO_PHONE, Result.DENIED
            else:
                text = _(
                    "Your govdesk sign-in code is %(code)s. It is valid for 5 minutes. Never "
                    "tell it to anyone, including staff."
                ) % {"code": code}
                # Sent once the code is stored for good: a rollback (here or in a caller's
                # transaction) must not leave the resident holding a code that does not exist.
                transaction.on_commit(lambda: self._send(row, phone, text))
            audit_record(
                actor=_actor(subject, self.ip), action=action, result=result, subject=subject
            )
        return _challenge(row, now)

    def _send(self, row: SignInCode, phone: str, text: str) -> None:
        """Send the code of ``row``. If the gateway fails, the code is withdrawn: the challenge
        goes on looking the same (the resident's page must not differ from that of a number
        that is not registered; it says what to do when no text comes) but never verifies,
        and the failure is audited."""
        try:
            self.sms.send(phone, text)
        except Exception as exc:
            logger.exception("the sign-in code of challenge %s could not be sent", row.pk)
            SignInCode.objects.filter(pk=row.pk).update(
                phone="", code_hash=_hash(str(row.id), secrets.token_hex(16))
            )
            audit_record(
                actor=_actor(_subject(row), self.ip),
                action=AuditAction.RESIDENT_SIGN_IN_CODE_SENT,
                result=Result.FAILED,
                subject=_subject(row),
                detail={"error": type(exc).__name__},
            )

    def verify(self, challenge_id: str, code: str) -> Person | None:
        code = re.sub(r"\s+", "", code or "")
        now = timezone.now()
        with transaction.atomic():
            try:
                row = (
                    SignInCode.objects.select_for_update(of=("self",))
                    .select_related("person")
                    .filter(pk=challenge_id)
                    .first()
                )
            except (ValueError, TypeError, ValidationError):
                return None
            if row is None or _state(row, now) != "open":
                return None
            subject = _subject(row)
            matches = hmac.compare_digest(row.code_hash, _hash(str(row.id), code))
            # No code went anywhere for this challenge: nothing can answer it.
            sent = row.person is not None and bool(row.phone)
            if not (matches and sent):
                row.attempts += 1
                row.save(update_fields=["attempts"])
                audit_record(
                    actor=_actor(subject, self.ip),
                    action=AuditAction.RESIDENT_SIGN_IN_FAILED,
                    result=Result.DENIED,
                    subject=subject,
                    detail={"attempts": row.attempts, "code_sent": sent},
                )
                return None
            row.used_at = now
            row.save(update_fields=["used_at"])
            audit_record(
                actor=_actor(subject, self.ip),
                action=AuditAction.RESIDENT_SIGN_IN_SUCCEEDED,
                subject=subject,
            )
            return row.person

    def status(self, challenge_id: str) -> Challenge | None:
        try:
            row = SignInCode.objects.filter(pk=challenge_id).first()
        except (ValueError, TypeError, ValidationError):
            return None
        return _challenge(row, timezone.now()) if row is not None else None


#: The providers ``GOVDESK_IDENTITY_PROVIDER`` may name by a word instead of a dotted path.
BUILTIN = {"local": LocalIdentityProvider}
EXPECTED = "'local' or the dotted path of an identity provider class taking ip="


def identity_provider(*, ip: str = "") -> IdentityProvider:
    """The configured provider (``GOVDESK_IDENTITY_PROVIDER``), acting for a client at ``ip``."""
    provider: IdentityProvider = adapter_class(settings.IDENTITY_PROVIDER, BUILTIN)(ip=ip)
    return provider


def check_config() -> list[str]:
    """What is wrong with the configured provider: a setting that names none, or the problems
    the provider's own ``check_config()`` finds."""
    setting: str = settings.IDENTITY_PROVIDER
    return adapter_problems("GOVDESK_IDENTITY_PROVIDER", setting, EXPECTED, identity_provider)


def demo_code(challenge_id: str) -> str | None:
    """The code of a challenge as the local SMS outbox holds it, for the demo screen only."""
    if not isinstance(gateway(), LocalSms):
        return None
    try:
        row = SignInCode.objects.filter(pk=challenge_id).first()
    except (ValueError, TypeError, ValidationError):
        return None
    if row is None or not row.phone:
        return None
    text = outbox_latest(row.phone, since=row.created_at - timedelta(seconds=1))
    found = CODE_DIGITS.search(text or "")
    return found.group(1) if found else None
