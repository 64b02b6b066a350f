"""Resident sign-in through an identity-provider adapter.

The embedded default, ``LocalIdentityProvider``, sends a six-digit one-time code by text message
to the phone the population registry holds for the resident. A code expires after five minutes
and allows five attempts; only a keyed hash of it is stored. The code is sent once the
transaction that stores it commits, never for a code that was rolled back. A real deployment
plugs in the province's identity platform behind the same calls (``GOVDESK_IDENTITY_PROVIDER``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.accounts.models import SignInCode
from govdesk.accounts.sms import LocalSms, SmsGateway, gateway, outbox_latest
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import Result
from govdesk.audit.services import audit_record, person_subject
from govdesk.common.actor import Actor
from govdesk.common.adapters import adapter_class, adapter_problems
from govdesk.common.idnumbers import InvalidIdNumber, mask, mask_phone, parse
from govdesk.common.roles import RESIDENT
from govdesk.people.models import Person

CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
CODE_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")

State = Literal["open", "expired", "locked", "used"]
ErrorKind = Literal["invalid", "unknown", "no_phone", "too_many", "not_sent"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Challenge:
    """A sign-in in progress: a code was sent to ``phone_masked``."""

    id: str
    phone_masked: str
    expires_at: datetime
    attempts_left: int
    state: State = "open"


class SignInError(Exception):
    """Sign-in cannot start; ``message`` tells the resident what to do instead."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class IdentityProvider(Protocol):
    def start(self, id_number: str) -> Challenge:
        """Begin signing in the resident with ``id_number``; raise ``SignInError``."""

    def verify(self, challenge_id: str, code: str) -> Person | None:
        """The resident, if ``code`` answers the challenge; otherwise None."""

    def status(self, challenge_id: str) -> Challenge | None:
        """The challenge as it stands now (attempts left, expired, locked), or None."""

    def check_config(self) -> list[str]:
        """What is wrong with this provider's configuration (empty when nothing is); quick,
        with no network access. ``govdesk check`` reports it."""
        ...


def _hash(challenge_id: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _actor(person: Person, ip: str) -> Actor:
    return Actor(name=f"resident:{mask(person.id_number)}", role=RESIDENT, ip=ip)


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
        phone_masked=mask_phone(row.phone),
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
        person = Person.objects.filter(id_number=value, deceased_on__isnull=True).first()
        if person is None:
            raise SignInError(
                "unknown",
                _(
                    "This ID number is not in the population registry of this city. Please "
                    "go to the window of your community service station."
                ),
            )
        if not person.phone:
            audit_record(
                actor=_actor(person, self.ip),
                action=AuditAction.RESIDENT_SIGN_IN_NO_PHONE,
                result=Result.DENIED,
                subject=person_subject(person.id_number),
            )
            raise SignInError(
                "no_phone",
                _(
                    "The registry holds no mobile phone number for you, so no code can be "
                    "sent. Please go to the window of your community service station with "
                    "your ID card: the clerk can help you there and record your phone number."
                ),
            )
        now = timezone.now()
        with transaction.atomic():
            recent = SignInCode.objects.filter(
                person=person, created_at__gte=now - timedelta(hours=1)
            )
            if recent.count() >= MAX_CODES_PER_HOUR:
                raise SignInError(
                    "too_many",
                    _("Too many codes were requested for this ID number. Try again in an hour."),
                )
            # A new code replaces any earlier one: attempts cannot be multiplied.
            SignInCode.objects.filter(
                person=person, used_at__isnull=True, expires_at__gt=now
            ).update(expires_at=now)
            row = SignInCode(person=person, phone=person.phone, expires_at=now + CODE_LIFETIME)
            code = f"{secrets.randbelow(10**6):06d}"
            row.code_hash = _hash(str(row.id), code)
            row.save()
            text = _(
                "Your govdesk sign-in code is %(code)s. It is valid for 5 minutes. Never "
                "tell it to anyone, including staff."
            ) % {"code": code}
            phone = person.phone
            # Sent once the code is stored for good: a rollback (here or in a caller's
            # transaction) must not leave the resident holding a code that does not exist.
            transaction.on_commit(lambda: self._send(row, phone, text))
            audit_record(
                actor=_actor(person, self.ip),
                action=AuditAction.RESIDENT_SIGN_IN_CODE_SENT,
                subject=person_subject(person.id_number),
            )
        return _challenge(row, now)

    def _send(self, row: SignInCode, phone: str, text: str) -> None:
        """Send the code of ``row``; if the gateway fails, the code is withdrawn (it expires
        now), the failure is audited and the resident is told to try again."""
        try:
            self.sms.send(phone, text)
        except Exception as exc:
            logger.exception("the sign-in code of challenge %s could not be sent", row.pk)
            SignInCode.objects.filter(pk=row.pk).update(expires_at=timezone.now())
            audit_record(
                actor=_actor(row.person, self.ip),
                action=AuditAction.RESIDENT_SIGN_IN_CODE_SENT,
                result=Result.FAILED,
                subject=person_subject(row.person.id_number),
                detail={"error": type(exc).__name__},
            )
            raise SignInError(
                "not_sent",
                _("The code could not be sent by text message. Please try again in a few minutes."),
            ) from exc

    def verify(self, challenge_id: str, code: str) -> Person | None:
        code = re.sub(r"\s+", "", code or "")
        now = timezone.now()
        with transaction.atomic():
            try:
                row = (
                    SignInCode.objects.select_for_update()
                    .select_related("person")
                    .filter(pk=challenge_id)
                    .first()
                )
            except (ValueError, TypeError, ValidationError):
                return None
            if row is None or _state(row, now) != "open":
                return None
            person = row.person
            if not hmac.compare_digest(row.code_hash, _hash(str(row.id), code)):
                row.attempts += 1
                row.save(update_fields=["attempts"])
                audit_record(
                    actor=_actor(person, self.ip),
                    action=AuditAction.RESIDENT_SIGN_IN_FAILED,
                    result=Result.DENIED,
                    subject=person_subject(person.id_number),
                    detail={"attempts": row.attempts},
                )
                return None
            row.used_at = now
            row.save(update_fields=["used_at"])
            audit_record(
                actor=_actor(person, self.ip),
                action=AuditAction.RESIDENT_SIGN_IN_SUCCEEDED,
                subject=person_subject(person.id_number),
            )
            return person

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
    if row is None:
        return None
    text = outbox_latest(row.phone, since=row.created_at - timedelta(seconds=1))
    found = CODE_DIGITS.search(text or "")
    return found.group(1) if found else None
