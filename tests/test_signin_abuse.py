"""Sign-in abuse (security hardening item 7, paths item 16).

Residents: one address cannot text many residents (starts per minute and per hour) nor guess
codes without end (per challenge and per address); the answer is the same for a registered
number, an unregistered one and a registered person with no phone, while the audit trail keeps
the truth. Staff: wrong passwords lock out a user name *from one address* (with back-off), and one
address is limited across user names (django-axes). Resident sign-ins end after idle time or a
maximum lifetime, and signing in again returns to the page, drafts intact.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client, TestCase
from django.utils import timezone

from govdesk.accounts.models import SignInCode, SmsMessage
from govdesk.applications.models import Application
from govdesk.audit.models import AuditEvent
from govdesk.common.idnumbers import make, person_ref
from govdesk.people.models import Person
from govdesk.portal.session import SEEN_AT_KEY, SIGNED_IN_AT_KEY

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

WANG = "320205196803090017"  # registered, phone 135****1234
LI = "320205197405120027"  # registered, with a phone
SUN = "320205193909210044"  # registered, no phone on file
UNKNOWN = make("320205", date(1981, 6, 1), 991)  # well-formed, nobody holds it
CERT = "CERT-RESIDENT-POPULATION"
A, B = "203.0.113.7", "198.51.100.9"


def _client(ip: str = A) -> Client:
    return Client(REMOTE_ADDR=ip, headers={"Accept-Language": "en"})


def _html(response: Any) -> str:
    return str(response.content.decode())


def _start(client: Client, id_number: str, **extra: Any) -> Any:
    # The code is texted once its transaction commits; a test's never does, so run that now.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/signin/", {"id_number": id_number}, **extra)


def _demo_code(client: Client) -> str:
    found = re.search(r'class="demo-code">(\d{6})<', _html(client.get("/signin/code/")))
    assert found, "the demo code is shown on the page"
    return found.group(1)


def _sign_in(client: Client, id_number: str, next_url: str = "") -> Any:
    data = {"id_number": id_number, **({"next": next_url} if next_url else {})}
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post("/signin/", data).status_code == 302
    return client.post("/signin/code/", {"code": _demo_code(client)})


def _without_tokens(html: str) -> str:
    """A page without what differs between any two visits (the CSRF token)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _actions(*names: str) -> list[str]:
    rows = AuditEvent.objects.filter(action__in=names).order_by("seq")
    return list(rows.values_list("action", flat=True))


@pytest.fixture
def no_demo(settings: Any) -> None:
    settings.DEMO_SMS_ON_SCREEN = False
    settings.DEBUG = False


@pytest.fixture
def demo_sms(settings: Any) -> None:
    settings.DEMO_SMS_ON_SCREEN = True


def test_the_unknown_number_is_well_formed_and_unregistered(world: Any) -> None:
    assert not Person.objects.filter(id_number=UNKNOWN).exists()
    assert Person.objects.get(id_number=SUN).phone == ""
    assert Person.objects.get(id_number=WANG).phone and Person.objects.get(id_number=LI).phone


# --- residents: the answer does not tell who is registered -----------------------------------


def test_registered_unregistered_and_no_phone_get_the_same_answer(
    world: Any, no_demo: None
) -> None:
    seen: dict[str, tuple[Any, ...]] = {}
    for number in (WANG, UNKNOWN, SUN):
        client = _client()
        started = _start(client, number)
        page = client.get("/signin/code/")
        wrong = client.post("/signin/code/", {"code": "000000"})
        seen[number] = (
            started.status_code,
            started["Location"],
            page.status_code,
            [t.name for t in page.templates],
            _without_tokens(_html(page)),
            wrong.status_code,
            _without_tokens(_html(wrong)),
        )
        assert "resident_id" not in client.session
    assert seen[WANG] == seen[UNKNOWN] == seen[SUN]
    status, location, page_status, templates, html, wrong_status, wrong_html = seen[WANG]
    assert (status, location, page_status, wrong_status) == (302, "/signin/code/", 200, 422)
    assert "portal/sign_in_code.html" in templates
    assert "If this ID number is registered with a mobile phone number" in html
    assert "go to the window of your community service station" in html
    assert "135****1234" not in html and "4 attempts left" in wrong_html
    # Only the registered person with a phone got a text.
    assert SmsMessage.objects.count() == 1
    # The operator still sees what happened, in the audit trail.
    started_rows = AuditEvent.objects.filter(action__startswith="resident.sign_in.").exclude(
        action="resident.sign_in.failed"
    )
    truth = {row.subject_id: (row.action, row.result) for row in started_rows}
    assert truth == {
        person_ref(WANG): ("resident.sign_in.code_sent", "ok"),
        person_ref(UNKNOWN): ("resident.sign_in.unknown", "not_found"),
        person_ref(SUN): ("resident.sign_in.no_phone", "denied"),
    }
    failed = AuditEvent.objects.filter(action="resident.sign_in.failed")
    assert sorted(e.detail["code_sent"] for e in failed) == [False, False, True]


@pytest.mark.parametrize(
    "language, neutral, window",
    [
        ("zh-hans", "如该公民身份号码已登记手机号码", "便民服务站窗口"),
        ("zh-hant", "如該公民身份號碼已登記手機號碼", "便民服務站窗口"),
    ],
)
def test_the_neutral_page_in_chinese(world: Any, language: str, neutral: str, window: str) -> None:
    client = Client(REMOTE_ADDR=A, headers={"Accept-Language": language})
    _start(client, UNKNOWN)
    html = _html(client.get("/signin/code/"))
    assert neutral in html and window in html


def test_starting_does_the_same_work_registered_or_not(world: Any) -> None:
    """A stand-in for timing: the same statements for every number; the text message itself
    is sent after the commit."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from govdesk.accounts.identity import LocalIdentityProvider

    def shapes(number: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            LocalIdentityProvider(ip=A).start(number)
        statements = [re.sub(r"'[^']*'|\w*\d\w*|NULL", "?", q["sql"]) for q in queries]
        return [statement.split(" WHERE ")[0] for statement in statements]

    assert shapes(WANG) == shapes(UNKNOWN) == shapes(SUN)


def test_a_challenge_nobody_was_texted_never_verifies(world: Any) -> None:
    """Not even with the code it was made with (a decoy's hash is of a code sent nowhere)."""
    from govdesk.accounts.identity import LocalIdentityProvider, _hash

    provider = LocalIdentityProvider()
    for number in (UNKNOWN, SUN):
        challenge = provider.start(number)
        row = SignInCode.objects.get(pk=challenge.id)
        row.code_hash = _hash(str(row.id), "123456")  # as if an attacker knew it
        row.save()
        assert provider.verify(challenge.id, "123456") is None
        assert SignInCode.objects.get(pk=challenge.id).attempts == 1


def test_too_many_codes_for_one_number_reads_the_same_registered_or_not(world: Any) -> None:
    answers = []
    for number in (WANG, UNKNOWN):
        for attempt in range(6):  # five an hour per number, from any number of addresses
            response = _start(_client(f"10.0.{attempt}.1"), number)
        page = _without_tokens(_html(response)).replace(number, "(the number typed)")
        answers.append((response.status_code, page))
    assert answers[0][0] == 422 and answers[0] == answers[1]
    assert "Too many codes were requested for this ID number" in answers[0][1]


# --- residents: limits per address -------------------------------------------------------------


def test_one_address_cannot_text_many_residents(world: Any, settings: Any) -> None:
    settings.RESIDENT_SIGNIN_STARTS_PER_MINUTE = 3
    numbers = [WANG, LI, UNKNOWN, SUN]
    responses = [_start(_client(A), number) for number in numbers]
    assert [r.status_code for r in responses] == [302, 302, 302, 429]
    assert "Too many sign-ins from your network" in _html(responses[-1])
    assert not SignInCode.objects.filter(subject=person_ref(SUN)).exists()  # not even started
    assert SmsMessage.objects.count() == 2
    # Another address is not affected.
    assert _start(_client(B), SUN).status_code == 302
    # The refusal is audited once for the window, not once per request.
    _start(_client(A), SUN)
    throttled = AuditEvent.objects.filter(action="resident.sign_in.throttled")
    assert [(e.ip, e.detail["what"]) for e in throttled] == [(A, "start")]


def test_starts_per_hour(world: Any, settings: Any) -> None:
    settings.RESIDENT_SIGNIN_STARTS_PER_MINUTE = 100
    settings.RESIDENT_SIGNIN_STARTS_PER_HOUR = 2
    codes = [_start(_client(A), n).status_code for n in (WANG, LI, UNKNOWN)]
    assert codes == [302, 302, 429]


def test_code_guesses_are_limited_per_challenge_and_per_address(
    world: Any, settings: Any, demo_sms: None
) -> None:
    settings.RESIDENT_SIGNIN_GUESSES_PER_HOUR = 7
    client = _client(A)

    def challenge() -> tuple[str, str]:
        """A new challenge for 王建国: its code and a wrong one."""
        _start(client, WANG)
        code = _demo_code(client)
        return code, "000000" if code != "000000" else "111111"

    code, wrong = challenge()
    # Per challenge: five, then even the right code is refused.
    for _attempt in range(5):
        assert client.post("/signin/code/", {"code": wrong}).status_code == 422
    locked = client.post("/signin/code/", {"code": code})
    assert "Too many wrong codes" in _html(locked) and "resident_id" not in client.session
    # A new challenge has five again, but this address has only two guesses left this hour.
    code, wrong = challenge()
    for _attempt in range(2):
        assert client.post("/signin/code/", {"code": wrong}).status_code == 422
    refused = client.post("/signin/code/", {"code": code})
    assert refused.status_code == 429
    assert "Too many codes entered from your network" in _html(refused)
    row = SignInCode.objects.filter(subject=person_ref(WANG)).latest("created_at")
    assert row.attempts == 2  # the refused guess was not tried
    # From another address (the same session), the right code still works.
    response = client.post("/signin/code/", {"code": code}, REMOTE_ADDR=B)
    assert response.status_code == 302 and "resident_id" in client.session


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


# --- resident sessions ---------------------------------------------------------------------------


def _age_session(client: Client, *, idle: int = 0, signed_in: int = 0) -> None:
    session = client.session
    now = int(time.time())
    session[SEEN_AT_KEY] = now - idle
    session[SIGNED_IN_AT_KEY] = now - signed_in
    session.save()


def test_an_idle_resident_is_signed_out_and_comes_back_to_the_page(
    world: Any, demo_sms: None, settings: Any
) -> None:
    assert settings.RESIDENT_SESSION_IDLE_MINUTES == 15
    client = _client()
    _sign_in(client, WANG)
    url = client.post(f"/matters/{CERT}/apply/")["Location"]
    assert client.get(url).status_code == 200
    application = Application.objects.get(applicant__id_number=WANG, matter__code=CERT)
    _age_session(client, idle=10 * 60)
    assert client.get(url).status_code == 200  # active enough
    assert client.session[SEEN_AT_KEY] > int(time.time()) - 5  # and noted
    _age_session(client, idle=16 * 60)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/signin/?next={url.replace('/', '%2F')}"
    assert "resident_id" not in client.session
    page = _html(client.get(response["Location"]))
    assert "You were signed out after 15 minutes without activity" in page
    assert f'name="next" value="{url}"' in page
    # Signing in again returns to that page, the draft as it was.
    back = _sign_in(client, WANG, next_url=url)
    assert back.status_code == 302 and back["Location"] == url
    assert client.get(url).status_code == 200
    assert Application.objects.get(pk=application.pk).status == application.status


def test_a_post_after_the_time_out_returns_to_the_page_not_the_post(
    world: Any, demo_sms: None
) -> None:
    client = _client()
    _sign_in(client, WANG)
    url = client.post(f"/matters/{CERT}/apply/")["Location"]
    _age_session(client, idle=16 * 60)
    response = client.post(url + "submit/")
    assert response["Location"] == f"/signin/?next={url.replace('/', '%2F')}"
    assert f'name="next" value="{url}"' in _html(client.get(response["Location"]))
    assert _sign_in(client, WANG, next_url=url)["Location"] == url


def test_a_resident_session_has_a_maximum_lifetime(
    world: Any, demo_sms: None, settings: Any
) -> None:
    settings.RESIDENT_SESSION_MAX_HOURS = 12
    client = _client()
    _sign_in(client, WANG)
    _age_session(client, idle=60, signed_in=11 * 3600)
    assert client.get("/me/").status_code == 200
    _age_session(client, idle=60, signed_in=12 * 3600 + 60)
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")
    assert "resident_id" not in client.session
    assert "had been signed in for 12 hours" in _html(client.get(response["Location"]))
