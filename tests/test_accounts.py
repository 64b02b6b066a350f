from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from govdesk.accounts.models import ApiToken, User
from govdesk.accounts.services import token_lookup
from govdesk.audit.models import AuditEvent

from .conftest import PASSWORD


def test_argon2_is_the_password_hasher(settings: Any) -> None:
    from django.conf import settings as real

    assert real.PASSWORD_HASHERS  # the fixture swaps in MD5 for speed; production uses argon2
    from govdesk import settings as module

    assert module.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_staff_login_and_lockout(client: Client, world: Any, settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    url = "/staff/login/"
    for _ in range(3):
        response = client.post(url, {"username": "clerk.chunlei", "password": "wrong"})
        assert response.status_code == 200
    user = User.objects.get(username="clerk.chunlei")
    assert user.locked_until is not None
    # Locked: even the right password is refused now.
    response = client.post(url, {"username": "clerk.chunlei", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("login.failed") == 3 and "login.locked" in actions


def test_staff_login_succeeds(client: Client, world: Any) -> None:
    response = client.post("/staff/login/", {"username": "clerk.chunlei", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_token_command_prints_token_last(world: Any) -> None:
    out = StringIO()
    call_command("token", "create", "clerk.chunlei", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    found = token_lookup(token=token)
    assert found is not None and found.user is not None
    assert found.user.username == "clerk.chunlei"
    # Only a digest is stored.
    assert not ApiToken.objects.filter(digest=token).exists()


def test_resident_token_command(world: Any) -> None:
    out = StringIO()
    call_command("token", "create", "--resident", "32020519700815002x", stdout=out)
    found = token_lookup(token=out.getvalue().strip().splitlines()[-1])
    assert found is not None and found.resident is not None
    assert found.resident.name == "陈桂兰"


@pytest.mark.parametrize(
    "args", [["nobody"], ["--resident", "110101199003070011"], ["--resident", "123"]]
)
def test_token_command_errors(world: Any, args: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("token", "create", *args, stdout=StringIO())


def test_a_checked_token_is_reused_briefly_then_checked_again(
    world: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    from django.utils import timezone

    from govdesk.accounts.services import token_cache_clear, token_create

    settings.API_TOKEN_CACHE_SECONDS = 5
    token_cache_clear()
    token = token_create(user=User.objects.get(username="clerk.chunlei"))
    first = token_lookup(token=token)
    assert first is not None and first.user is not None
    assert first.user.jurisdiction is not None and first.user.jurisdiction.name == "春雷社区"
    with django_assert_num_queries(0):
        assert token_lookup(token=token) is first
    # Revoked: this process may still accept it for at most API_TOKEN_CACHE_SECONDS …
    ApiToken.objects.filter(pk=first.pk).update(revoked_at=timezone.now())
    assert token_lookup(token=token) is first
    # … and once that time is over (simulated by emptying the cache), refuses it.
    token_cache_clear()
    assert token_lookup(token=token) is None
    # With the cache off, every request checks.
    settings.API_TOKEN_CACHE_SECONDS = 0
    other = token_create(user=User.objects.get(username="clerk.chunlei"))
    assert token_lookup(token=other) is not None
    ApiToken.objects.filter(digest__isnull=False).update(revoked_at=timezone.now())
    assert token_lookup(token=other) is None
