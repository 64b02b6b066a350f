"""Staff accounts, the audit of their logins, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from govdesk.accounts.models import ApiToken, User
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import Result
from govdesk.audit.services import audit_record
from govdesk.common import rawsql
from govdesk.common.actor import Actor
from govdesk.common.roles import SECURITY_PERMISSION
from govdesk.organisations.models import Department, Region, ServicePoint
from govdesk.people.models import Person

TOKEN_PREFIX = "gd_"  # noqa: S105 - a prefix, not a secret


def login_failure_record(*, username: str, ip: str) -> None:
    """A wrong staff password (or a user name nobody holds: audited alike). Counting them and
    locking out is django-axes' work (``accounts.lockout``)."""
    audit_record(
        actor=Actor(name=username, role="", ip=ip),
        action=AuditAction.LOGIN_FAILED,
        result=Result.DENIED,
    )


def login_locked_record(
    *, username: str, ip: str, until: datetime | None, refused: bool, by: str
) -> None:
    """A staff client is locked out until ``until``: this wrong password locked it, or
    (``refused``) an attempt came while it was, and no password was checked. ``by`` says what
    is locked out: ``account_address`` (this user name from this address) or ``address``."""
    audit_record(
        actor=Actor(name=username, role="", ip=ip),
        action=AuditAction.LOGIN_LOCKED,
        result=Result.DENIED,
        detail={"until": until.isoformat() if until else "", "refused": refused, "by": by},
    )


def login_success_record(*, user: User, ip: str) -> None:
    audit_record(
        actor=Actor(name=user.username, role=user.role, ip=ip), action=AuditAction.LOGIN_SUCCEEDED
    )


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
        action=AuditAction.TOKEN_CREATED,
        subject_type="person" if resident else "user",
        subject_id=str(resident.pk if resident else user.pk if user else ""),
        detail={"for": subject, "prefix": token[:10]},
    )
    return token


#: Tokens this process checked recently: digest → (monotonic deadline, the token).
_CHECKED: dict[str, tuple[float, ApiToken]] = {}
_CHECKED_MAX = 10_000


def token_cache_clear() -> None:
    _CHECKED.clear()


def token_lookup(*, token: str) -> ApiToken | None:
    """The live token behind a bearer string, with its user (and jurisdiction) or resident,
    or None. Every API request starts here: one hand-written query (see common.rawsql), whose
    answer a process reuses for ``API_TOKEN_CACHE_SECONDS`` (never past the token's expiry)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(token)
    ttl = settings.API_TOKEN_CACHE_SECONDS
    now = time.monotonic()
    if ttl > 0:
        cached = _CHECKED.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
    found = _token_fetch(digest)
    if found is not None and ttl > 0:
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        left = (found.expires_at - timezone.now()).total_seconds()
        _CHECKED[digest] = (now + min(float(ttl), left), found)
    return found


def _token_fetch(digest: str) -> ApiToken | None:
    models: tuple[type[Model], ...] = (ApiToken, User, Region, Person)
    sql = (
        f"SELECT {rawsql.columns(ApiToken, 't')}, {rawsql.columns(User, 'u')}, "  # noqa: S608
        f"{rawsql.columns(Region, 'r')}, {rawsql.columns(Person, 'p')} "
        f"FROM {rawsql.table(ApiToken)} t "
        f"LEFT JOIN {rawsql.table(User)} u ON u.id = t.user_id "
        f"LEFT JOIN {rawsql.table(Region)} r ON r.id = u.jurisdiction_id "
        f"LEFT JOIN {rawsql.table(Person)} p ON p.id = t.resident_id "
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest, now])
        row = cursor.fetchone()
    if row is None:
        return None
    objects: list[Model | None] = []
    start = 0
    for model in models:
        end = start + rawsql.width(model)
        objects.append(rawsql.from_row(model, row[start:end]))
        start = end
    found, user, region, resident = objects
    assert isinstance(found, ApiToken)
    if isinstance(user, User):
        user.jurisdiction = region if isinstance(region, Region) else None
        found.user = user
    else:
        found.user = None
    found.resident = resident if isinstance(resident, Person) else None
    return found


@transaction.atomic
def group_grant(
    *,
    name: str,
    users: list[User],
    app_labels: Sequence[str] = (),
    permissions: Sequence[str] = (),
) -> None:
    """A group holding every permission of ``app_labels`` (configuration rights) and the
    ``permissions`` named (``app_label.codename``), with these users in it. The security
    permission is never part of an app's rights: it is given by name only."""
    from django.contrib.auth.models import Group, Permission

    security_app, security_codename = SECURITY_PERMISSION.split(".")
    named = Q()
    for permission in permissions:
        app_label, codename = permission.split(".")
        named |= Q(content_type__app_label=app_label, codename=codename)
    whole_apps = Q(content_type__app_label__in=app_labels) & ~Q(
        content_type__app_label=security_app, codename=security_codename
    )
    if permissions and Permission.objects.filter(named).count() != len(set(permissions)):
        raise ValueError(f"unknown permission among {sorted(permissions)}")
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.set(Permission.objects.filter(whole_apps | named))
    for user in users:
        user.groups.add(group)
