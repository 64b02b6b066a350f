from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import transaction
from django.test import Client

from govdesk.accounts.identity import (
    LocalIdentityProvider,
    demo_code,
    identity_provider,
)
from govdesk.accounts.identity import check_config as identity_check_config
from govdesk.accounts.models import ApiToken, SignInCode, SmsMessage, User
from govdesk.accounts.services import token_lookup
from govdesk.accounts.sms import LocalSms, gateway, outbox_latest
from govdesk.accounts.sms import check_config as sms_check_config
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent

from .conftest import PASSWORD


def test_argon2_is_the_password_hasher(settings: Any) -> None:
    from django.conf import settings as real

    assert real.PASSWORD_HASHERS  # the fixture swaps in MD5 for speed; production uses argon2
    from govdesk import settings as module

    assert module.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_staff_login_and_lockout(client: Client, world: Any, settings: Any) -> None:
    """django-axes counts wrong passwords per (user name, address): the last one allowed locks
    that pair out (HTTP 429, the lock-out page), and then even the right password is refused
    from there. Per-address limits, back-off and the audit: tests/test_signin_abuse.py."""
    settings.LOGIN_MAX_FAILURES = 3
    url = "/staff/login/"
    for _ in range(2):
        response = client.post(url, {"username": "clerk.chunlei", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(url, {"username": "clerk.chunlei", "password": "wrong"})
    assert response.status_code == 429 and response.context["locked_until"] is not None
    # Locked: even the right password is refused now.
    response = client.post(url, {"username": "clerk.chunlei", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("login.failed") == 3 and actions.count("login.locked") == 2


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


# --- resident sign-in: the code is texted on commit; the adapters are configured ------------------

WANG = "320205196803090017"
WANG_PHONE = "13506171234"


class BrokenSms:
    """A gateway that cannot send."""

    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("gateway down")

    def check_config(self) -> list[str]:
        return ["no API key"]


class RecordingSms:
    """A gateway that 'sends' into a list, which no rollback undoes — as a real one."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))

    def check_config(self) -> list[str]:
        return []


class FakeProvider(LocalIdentityProvider):
    """An identity provider named by its dotted path."""


def test_the_code_is_texted_when_the_transaction_commits(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sms = RecordingSms()
    provider = LocalIdentityProvider(sms)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        provider.start(WANG)
        assert sms.sent == []  # not before the commit
    assert len(callbacks) == 1
    assert [phone for phone, _text in sms.sent] == [WANG_PHONE]
    # The embedded gateway keeps it in the outbox, where the demo finds the code.
    with django_capture_on_commit_callbacks(execute=True):
        challenge = LocalIdentityProvider(LocalSms()).start(WANG)
    assert demo_code(challenge.id) is not None and outbox_latest(WANG_PHONE) is not None


def test_no_code_is_texted_when_the_transaction_rolls_back(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sms = RecordingSms()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        LocalIdentityProvider(sms).start(WANG)
        raise RuntimeError("the caller's transaction fails")
    assert callbacks == [] and sms.sent == []
    assert not SmsMessage.objects.filter(phone=WANG_PHONE).exists()
    assert not SignInCode.objects.filter(person__id_number=WANG).exists()


def test_a_code_the_gateway_cannot_send_is_withdrawn(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The resident is told nothing different (that would say the number is registered): the
    challenge looks as any other, but no code answers it; the failure is audited."""
    provider = LocalIdentityProvider(BrokenSms())
    with django_capture_on_commit_callbacks(execute=True):
        challenge = provider.start(WANG)
    row = SignInCode.objects.get(person__id_number=WANG)
    assert row.phone == "" and str(row.id) == challenge.id
    status = provider.status(str(row.id))
    assert status is not None and status.state == "open"
    assert provider.verify(challenge.id, "123456") is None
    sent = AuditEvent.objects.filter(action=AuditAction.RESIDENT_SIGN_IN_CODE_SENT)
    assert list(sent.values_list("result", flat=True)) == ["ok", "failed"]


def test_the_factories_follow_the_settings(settings: Any) -> None:
    assert isinstance(gateway(), LocalSms)
    assert type(identity_provider(ip="10.0.0.1")) is LocalIdentityProvider
    settings.SMS_GATEWAY = f"{__name__}.BrokenSms"
    settings.IDENTITY_PROVIDER = f"{__name__}.FakeProvider"
    assert isinstance(gateway(), BrokenSms)
    provider = identity_provider(ip="10.0.0.1")
    assert isinstance(provider, FakeProvider) and provider.ip == "10.0.0.1"
    assert isinstance(provider.sms, BrokenSms)  # the configured gateway, made when needed


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("SMS_GATEWAY", "aliyun", "accounts.E001"),
        ("SMS_GATEWAY", "govdesk.accounts.sms.NoSuchGateway", "accounts.E001"),
        ("SMS_GATEWAY", f"{__name__}.BrokenSms", "accounts.E001"),  # its own check fails
        ("IDENTITY_PROVIDER", "province", "accounts.E002"),
        ("IDENTITY_PROVIDER", "govdesk.accounts.identity.Nope", "accounts.E002"),
    ],
)
def test_an_unknown_adapter_fails_the_check(
    settings: Any, name: str, value: str, expected: str
) -> None:
    setattr(settings, name, value)
    with pytest.raises(SystemCheckError) as caught:
        call_command("check")
    message = str(caught.value)
    assert expected in message and f"GOVDESK_{name}={value!r}" in message


def test_the_configured_adapters_pass_the_check() -> None:
    assert sms_check_config() == [] and identity_check_config() == []
    call_command("check")
