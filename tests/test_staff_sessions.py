"""Staff sessions end after 30 minutes without a request and 8 hours after sign-in, however busy;
an htmx request on an ended session is sent to the sign-in page; residents are not affected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponseBase
from django.test import Client

from govdesk.accounts import sessions
from govdesk.accounts.models import User
from tests.conftest import staff_client
from tests.test_portal import WANG, sign_in
from tests.test_workbench import HTMX, start_bundle

pytestmark = pytest.mark.django_db

MINUTE = 60.0
HOUR = 3600.0
T0 = 1_800_000_000.0


@pytest.fixture
def advance(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """The sessions' clock, stopped at T0; ``advance(seconds)`` moves it on."""
    now = [T0]
    monkeypatch.setattr(sessions, "clock", lambda: now[0])

    def move(seconds: float) -> None:
        now[0] += seconds

    return move


@pytest.fixture
def clerk(world: Any, advance: Callable[[float], None]) -> Client:
    return staff_client("clerk.chunlei")  # signed in at T0


def signed_in(response: HttpResponseBase) -> bool:
    return response.status_code == 200


def sent_to_sign_in(response: HttpResponseBase) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_defaults_are_the_policy(settings: Any) -> None:
    assert settings.STAFF_SESSION_IDLE_MINUTES == 30
    assert settings.STAFF_SESSION_HOURS == 8


def test_idle_for_thirty_minutes_signs_out(clerk: Client, advance: Callable[[float], None]) -> None:
    advance(29 * MINUTE)
    assert signed_in(clerk.get("/staff/"))
    advance(29 * MINUTE)  # 58 minutes after sign-in, 29 after the last request
    assert signed_in(clerk.get("/staff/"))
    assert clerk.session.get_expiry_age() <= 30 * MINUTE  # the cookie lapses with it
    advance(30 * MINUTE)
    assert sent_to_sign_in(clerk.get("/staff/"))
    assert SESSION_KEY not in clerk.session
    advance(1)
    assert sent_to_sign_in(clerk.get("/staff/"))


def test_absolute_limit_even_when_never_idle(
    clerk: Client, advance: Callable[[float], None]
) -> None:
    for _ in range(8 * 4 - 1):  # every 15 minutes up to 7 h 45 min
        advance(15 * MINUTE)
        assert signed_in(clerk.get("/staff/"))
    advance(14 * MINUTE)
    assert signed_in(clerk.get("/staff/"))
    assert clerk.session.get_expiry_age() <= MINUTE
    advance(MINUTE)  # exactly 8 hours
    assert sent_to_sign_in(clerk.get("/staff/"))


def test_limits_follow_the_settings(
    clerk: Client, advance: Callable[[float], None], settings: Any
) -> None:
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    advance(5 * MINUTE)
    assert sent_to_sign_in(clerk.get("/staff/"))


def test_expired_htmx_request_gets_hx_redirect(
    clerk: Client, advance: Callable[[float], None]
) -> None:
    """A save in the workspace after the session ended: no sign-in page inside the panel, but
    a redirect of the whole page (staff_view's HX-Redirect)."""
    bundle = start_bundle(clerk, "idle")
    advance(31 * MINUTE)
    response = clerk.post(f"{bundle}fields/", {"field": "person.phone"}, headers=HTMX)
    assert response.status_code == 401
    # Signing in leads back to the bundle page, not to the address of the save (POST only).
    assert response["HX-Redirect"] == f"/staff/login/?next={quote(bundle)}"
    assert not response.content


def test_after_an_expired_session_a_post_leads_back_to_the_page_that_holds_it(
    clerk: Client, advance: Callable[[float], None]
) -> None:
    """Signing in again ends on a page (a GET), never on the address of an action that only
    takes a POST ("405"): the page the browser came from, if it is one of the workbench's,
    else the one the action's address belongs to."""
    bundle = start_bundle(clerk, "after-sign-in")
    advance(31 * MINUTE)

    def next_of(path: str, **headers: str) -> str:
        response = clerk.post(path, {}, headers=headers)
        assert sent_to_sign_in(response), response.status_code
        location = urlsplit(response["Location"])
        (back,) = parse_qs(location.query)["next"]
        return back

    here = "http://testserver"
    assert next_of(f"{bundle}submit/") == bundle
    assert next_of(f"{bundle}materials/", Referer=f"{here}{bundle}") == bundle
    # The page showed a refused submission at the action's address: back to its page.
    assert next_of(f"{bundle}submit/", Referer=f"{here}{bundle}submit/") == bundle
    # Started from the person page: back there (its reference may have lapsed; it says so).
    person = "/staff/people/some-reference/"
    assert next_of("/staff/bundles/start/", Referer=f"{here}{person}") == person
    assert next_of("/staff/bundles/start/") == "/staff/"
    # Another site's page, or a page outside the workbench, is never where it leads.
    assert next_of(f"{bundle}submit/", Referer=f"https://elsewhere.example{bundle}") == bundle
    assert next_of("/staff/people/find/", Referer=f"{here}/matters/x/") == "/staff/"
    assert next_of(f"{bundle}fields/", Referer=f"{here}/staff/login/") == bundle
    # A page asked for with GET is itself where signing in leads.
    response = clerk.get(bundle)
    assert sent_to_sign_in(response) and response["Location"].endswith(f"?next={bundle}")


def test_a_session_without_the_sign_in_time_is_ended(world: Any) -> None:
    clerk = staff_client("clerk.chunlei")
    session = clerk.session
    del session[sessions.SIGNED_IN_AT]
    session.save()
    assert sent_to_sign_in(clerk.get("/staff/"))


def test_admin_sessions_too(world: Any, advance: Callable[[float], None]) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("idle.admin", password="x-long-pass-1"))
    assert client.get("/admin/").status_code == 200
    advance(30 * MINUTE)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_residents_keep_their_own_lifetime(
    client: Client, world: Any, settings: Any, advance: Callable[[float], None]
) -> None:
    settings.DEMO_SMS_ON_SCREEN = True
    sign_in(client, WANG)
    advance(9 * HOUR)
    assert client.get("/me/").status_code == 200
    assert sessions.SEEN_AT not in client.session
