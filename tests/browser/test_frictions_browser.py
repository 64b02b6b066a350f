"""F4 in Chromium: a clerk reports a stutter on the field 缴费基数档次 of an F1 step in one
click; the data bureau finds it with its context, assigns it and rectifies it by giving the
field a default; a new application has the field filled in; the clerk confirms; the
dashboard draws its charts and the public page names no one (axe on each)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from govdesk.accounts.models import User
from govdesk.applications import selectors, services
from govdesk.common.principal import Principal
from govdesk.forms.schema import form_for
from govdesk.frictions.models import Friction, ProblemStatus
from tests.browser.conftest import axe_violations, opened_page
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LI = "320205197405120027"
WANG = "320205196803090017"
GRADE = "insurance.contribution_grade"
SHOTS = "/tmp/frictions"  # noqa: S108 - screenshots for people to look at


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/staff/")


def test_f4_a_stutter_reported_rectified_and_confirmed(
    live_server: Any, demo_world: Any, browser: Any
) -> None:
    desk = {"locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}
    with (
        opened_page(browser, **desk) as clerk,
        opened_page(browser, **desk) as bureau,
        opened_page(browser, locale="zh-CN", viewport={"width": 390, "height": 844}) as public,
    ):
        _f4(live_server.url, clerk, bureau, public)


def _f4(base: str, clerk: Any, bureau: Any, public: Any) -> None:
    _sign_in(clerk, base, "clerk.chunlei")
    clerk.fill("#id_number", LI)
    clerk.press("#id_number", "Enter")
    clerk.wait_for_url(re.compile(r"/staff/people/[A-Za-z0-9_-]{20,}/$"))
    clerk.locator(".suggestion", has_text="就业困难认定和补贴一件事").locator(
        "button[type=submit]"
    ).click()
    clerk.wait_for_url(re.compile(r"/staff/bundles/[0-9a-f-]{36}/$"))
    bundle_url = clerk.url
    # One click on the field's own report link.
    clerk.locator("#fact-insurance-contribution-grade a.report-field").click()
    clerk.wait_for_url(re.compile(r"/staff/report/\?"))
    assert not axe_violations(clerk)
    clerk.screenshot(path=f"{SHOTS}-report.png", full_page=True)
    clerk.fill("#summary", "缴费基数档次每次都要手选")
    clerk.click("form.report-form button[type=submit]")
    clerk.wait_for_url(bundle_url)
    assert "CT" in clerk.locator("#flash").inner_text()
    friction = Friction.objects.get()
    assert friction.field == GRADE and friction.matter is not None
    assert friction.step is not None and friction.screen == bundle_url.replace(base, "")

    _sign_in(bureau, base, "operator.data")
    bureau.goto(f"{base}/staff/frictions/")
    bureau.click(f"text={friction.number}")
    bureau.wait_for_url(re.compile(r"/staff/frictions/[0-9a-f-]{36}/$"))
    assert not axe_violations(bureau)
    assert bureau.locator(f'[data-field="{GRADE}"]').count() == 1
    bureau.select_option("#department", "hrss")
    bureau.click("button[value=assign]")
    bureau.wait_for_selector('[data-status="assigned"]')
    bureau.fill("#note", "缴费基数档次默认60%，可改")
    bureau.select_option("#change_type", "field_default")
    bureau.fill("#change_value", "60%")
    bureau.click("button[value=rectify]")
    bureau.wait_for_selector('[data-status="rectified"]')
    bureau.screenshot(path=f"{SHOTS}-rectified.png", full_page=True)

    # A new application of that step has the field filled in.
    clerk_principal = Principal(kind="staff", user=User.objects.get(username="clerk.chunlei"))
    assert friction.matter is not None
    fresh = services.application_create(
        principal=clerk_principal,
        matter_code=friction.matter.code,
        applicant=WANG,
        channel="window",
    )
    fields = selectors.resolve(fresh, form_for(fresh.matter)).fields
    assert fields[GRADE].value == "60%" and not fields[GRADE].missing

    # The clerk reads the answer where they work and confirms it.
    clerk.goto(f"{base}/staff/frictions/{friction.pk}/")
    assert "60%" in clerk.locator(".answer").inner_text()
    clerk.click("button[value=confirm]")
    clerk.wait_for_selector('[data-status="verified"]')
    friction.problem.refresh_from_db()
    assert friction.problem.status == ProblemStatus.VERIFIED
    actions = clerk.locator(".timeline li").evaluate_all(
        "items => items.map(i => i.dataset.action)"
    )
    assert actions == ["report", "assign", "rectify", "confirm"]

    bureau.goto(f"{base}/staff/frictions/dashboard/")
    bureau.wait_for_selector("#chart-kinds svg")
    assert not axe_violations(bureau)
    bureau.screenshot(path=f"{SHOTS}-dashboard.png", full_page=True)

    public.goto(f"{base}/you-said-we-did/")
    assert "60%" in public.locator("main").inner_text()
    assert not axe_violations(public)
    text = public.locator("body").inner_text()
    assert not re.search(r"\d{17}[\dXx]", text) and not re.search(r"1[3-9]\d{9}", text)
    public.screenshot(path=f"{SHOTS}-public.png", full_page=True)
