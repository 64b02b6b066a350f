"""A clerk's session ends while a bundle is open: the next button pressed (a POST) leads to
the sign-in page, and signing in leads back to the bundle page itself (a GET), with the
values saved before still there, never to the address of the action ("HTTP ERROR 405")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session

from govdesk.applications.models import Application
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LI = "320205197405120027"
GRADE = "insurance.contribution_grade"


def _sign_in(page: Any) -> None:
    page.fill("#id_username", "clerk.chunlei")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def test_sign_in_after_an_expired_session_returns_to_the_bundle(
    live_server: Any, demo_world: Any, page: Any
) -> None:
    base = live_server.url
    page.goto(f"{base}/staff/login/")
    _sign_in(page)
    page.wait_for_url(f"{base}/staff/")
    page.fill("#id_number", LI)
    page.press("#id_number", "Enter")
    page.wait_for_url(re.compile(r"/staff/people/[A-Za-z0-9_-]{20,}/$"))
    suggestion = page.locator(".suggestion", has_text="就业困难认定和补贴一件事")
    suggestion.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/bundles/[0-9a-f-]{36}/$"))
    bundle_url = page.url

    # A draft value, saved (htmx), then the session ends on the server.
    page.locator(f'select[name="fact:{GRADE}"]').select_option("60%")
    with page.expect_response(re.compile(r"/fields/$")) as saved:
        page.click("#save-insurance-contribution-grade")
    assert saved.value.status == 200
    page.wait_for_selector("#fact-insurance-contribution-grade:not(.fact-attention)")
    Session.objects.all().delete()

    # "Submit all" is a POST: sign in first, then back to the bundle page.
    page.click("#submit-all")
    page.wait_for_url(re.compile(r"/staff/login/\?next="))
    with page.expect_response(lambda r: "/staff/login/" not in r.url) as landed:
        _sign_in(page)
    assert (landed.value.request.method, landed.value.url, landed.value.status) == (
        "GET",
        bundle_url,
        200,
    )
    page.wait_for_url(bundle_url)
    assert page.locator(f'select[name="fact:{GRADE}"]').input_value() == "60%"
    # Nothing was submitted behind the clerk's back: the button is pressed again, knowingly.
    assert not Application.objects.filter(applicant__id_number=LI, status="submitted").exists()
    assert page.locator("#submit-all").is_visible()
