"""Staff sign-in abuse (security hardening item 7): wrong passwords lock out a user name *from
one address* (with back-off), and one address is limited across user names (django-axes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from django.utils import timezone

from govdesk.audit.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

A, B = "203.0.113.7", "198.51.100.9"


def _client(ip: str = A) -> Client:
    return Client(REMOTE_ADDR=ip, headers={"Accept-Language": "en"})


def _html(response: Any) -> str:
    return str(response.content.decode())


def _actions(*names: str) -> list[str]:
    rows = AuditEvent.objects.filter(action__in=names).order_by("seq")
    return list(rows.values_list("action", flat=True))


# --- staff: django-axes --------------------------------------------------------------------------


def _login(username: str, password: str, ip: str, client: Client | None = None) -> Any:
    return (client or _client(ip)).post(
        "/staff/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_wrong_passwords_from_one_address_do_not_lock_the_clerk_out_elsewhere(
    world: Any,
) -> None:
    codes = [_login("clerk.chunlei", "wrong", A).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    locked = _login("clerk.chunlei", PASSWORD, A)
    assert locked.status_code == 429 and "_auth_user_id" not in locked.client.session
    assert "Signing in from here is paused until" in _html(locked)
    assert int(locked["Retry-After"]) > 14 * 60
    # The clerk, from their own desk, signs in.
    client = _client(B)
    assert _login("clerk.chunlei", PASSWORD, B, client).status_code == 302
    assert client.get("/staff/").status_code == 200
    # Other accounts from address A are not locked out by this one.
    assert _login("reviewer.yunlin", PASSWORD, A).status_code == 302


def test_one_address_is_limited_across_user_names(world: Any) -> None:
    names = [f"guess.{n}" for n in range(8)] + ["clerk.chunlei", "reviewer.yunlin"]
    codes = [_login(name, "wrong", A).status_code for _round in range(4) for name in names]
    assert len(codes) == 40
    assert codes[:19] == [200] * 19 and codes[19:] == [429] * 21  # 20 per address by default
    # Only 20 passwords were checked at all; the rest were refused unread.
    assert _actions("login.failed").count("login.failed") == 20
    assert _login("approver.hrss", PASSWORD, A).status_code == 429
    assert _login("approver.hrss", PASSWORD, B).status_code == 302


def test_back_off_then_the_right_password_after_the_cool_off(world: Any, settings: Any) -> None:
    def age(minutes: int) -> None:
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))

    for _attempt in range(5):
        _login("clerk.chunlei", "wrong", A)
    until = _login("clerk.chunlei", PASSWORD, A).context["locked_until"]
    assert timedelta(minutes=14) < until - timezone.now() <= timedelta(minutes=15)
    age(16)
    # Once over, one more wrong password locks out twice as long …
    again = _login("clerk.chunlei", "wrong", A)
    assert again.status_code == 429
    assert timedelta(minutes=29) < again.context["locked_until"] - timezone.now()
    age(16)
    assert _login("clerk.chunlei", PASSWORD, A).status_code == 429
    age(15)
    # … and after it, the right password works and the record is forgotten.
    assert _login("clerk.chunlei", PASSWORD, A).status_code == 302
    assert not AccessAttempt.objects.filter(username="clerk.chunlei").exists()
    assert settings.LOGIN_LOCKOUT_MINUTES == 15


def test_the_longest_lock_out_is_capped(settings: Any) -> None:
    from govdesk.accounts.lockout import lockout_length

    assert lockout_length(4, 5) == timedelta(0)
    assert lockout_length(5, 5) == timedelta(minutes=15)
    assert lockout_length(7, 5) == timedelta(hours=1)
    assert lockout_length(500, 5) == timedelta(hours=24)


def test_staff_logins_are_audited(world: Any) -> None:
    for _attempt in range(5):
        _login("clerk.chunlei", "wrong", A)
    _login("clerk.chunlei", PASSWORD, A)  # refused while locked out
    _login("nobody.at.all", "wrong", B)  # an unknown name is audited alike
    _login("clerk.chunlei", PASSWORD, B)
    rows = list(AuditEvent.objects.filter(action__startswith="login.").order_by("seq"))
    assert [(e.action, e.actor, e.ip) for e in rows] == [
        *[("login.failed", "clerk.chunlei", A)] * 5,
        ("login.locked", "clerk.chunlei", A),
        ("login.locked", "clerk.chunlei", A),
        ("login.failed", "nobody.at.all", B),
        ("login.succeeded", "clerk.chunlei", B),
    ]
    locking, refused = rows[5], rows[6]
    assert (locking.detail["refused"], refused.detail["refused"]) == (False, True)
    assert locking.detail["by"] == "account_address" and locking.detail["until"]
    assert {e.result for e in rows[:8]} == {"denied"} and rows[-1].result == "ok"
    assert rows[-1].actor_role == "clerk"
