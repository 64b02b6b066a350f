"""Staff accounts, login lock-out and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from govdesk.accounts.models import ApiToken, User
from govdesk.audit.models import Result
from govdesk.audit.services import Actor, audit_record
from govdesk.organisations.models import Department, Region, ServicePoint
from govdesk.people.models import Person

TOKEN_PREFIX = "gd_"  # noqa: S105 - a prefix, not a secret


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))


def login_is_locked(*, username: str) -> bool:
    now = timezone.now()
    return User.objects.filter(username=username, locked_until__gt=now).exists()


@transaction.atomic
def login_failure_record(*, username: str, ip: str, locked: bool) -> None:
    """Count a failed login; lock the account after too many. Unknown names are audited too."""
    detail: dict[str, object] = {}
    if not locked:
        updated = User.objects.filter(username=username).update(
            failed_logins=F("failed_logins") + 1
        )
        if updated:
            user = User.objects.get(username=username)
            if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
                until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
                User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
                detail["locked_until"] = until.isoformat()
    audit_record(
        actor=Actor(name=username, role="", ip=ip),
        action="login.locked" if locked else "login.failed",
        result=Result.DENIED,
        detail=detail,
    )


@transaction.atomic
def login_success_record(*, username: str, ip: str) -> None:
    user = User.objects.get(username=username)
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    audit_record(actor=Actor(name=username, role=user.role, ip=ip), action="login.succeeded")


@transaction.atomic
def staff_user_upsert(
    *,
    username: str,
    password: str,
    role: str,
    jurisdiction: Region | None,
    first_name: str = "",
    last_name: str = "",
    service_point: ServicePoint | None = None,
    department: Department | None = None,
    is_superuser: bool = False,
) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.role = role
    user.jurisdiction = jurisdiction
    user.first_name = first_name
    user.last_name = last_name
    user.service_point = service_point
    user.department = department
    user.is_staff = True
    user.is_superuser = is_superuser
    if not user.has_usable_password() or not user.check_password(password):
        user.set_password(password)
    user.save()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    user: User | None = None,
    resident: Person | None = None,
    label: str = "",
    days: int | None = None,
) -> str:
    """Create a bearer token and return it; only its digest is stored."""
    if (user is None) == (resident is None):
        raise ValueError("a token belongs to exactly one staff user or one resident")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        digest=_digest(token),
        prefix=token[:10],
        user=user,
        resident=resident,
        label=label,
        expires_at=timezone.now() + timedelta(days=days or settings.API_TOKEN_DAYS),
    )
    subject = f"user:{user.username}" if user else "resident"
    audit_record(
        actor=Actor(name="govdesk", role="system"),
        action="token.created",
        subject_type="person" if resident else "user",
        subject_id=str(resident.pk if resident else user.pk if user else ""),
        detail={"for": subject, "prefix": token[:10]},
    )
    return token


def token_lookup(*, token: str) -> ApiToken | None:
    """The live token behind a bearer string, with its user or resident, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    # The digest is unique: slice rather than first(), which would add an ORDER BY that costs
    # a noticeable share of every API request to compile.
    found = list(
        ApiToken.objects.select_related("user", "user__jurisdiction", "resident").filter(
            digest=_digest(token), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )[:1]
    )
    return found[0] if found else None


@transaction.atomic
def group_grant(*, name: str, app_labels: list[str], users: list[User]) -> None:
    """A group holding every permission of ``app_labels`` (configuration rights), with these
    users in it."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=app_labels))
    for user in users:
        user.groups.add(group)
