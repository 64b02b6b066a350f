"""F1 at the window, in a real browser: the clerk finds 李红梅, starts the bundle, fills only
what the screen highlights, submits all four steps once, and every form can be printed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from govdesk.applications.models import Application, ApplicationEvent
from govdesk.forms.models import CapturedFact
from tests.browser.conftest import axe_violations
from tests.conftest import PASSWORD, pdf_text

LI = "320205197405120027"
SCREENSHOT = "/tmp/workbench-f1.png"  # noqa: S108 — where the brief asks for it, to look at
ANSWERS = {
    "insurance.contribution_grade": "60%",
    "employment.flexible_type": "个体经营",
}

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/staff/login/")
    page.fill("#id_username", "clerk.chunlei")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/staff/")


def _fill_highlighted(page: Any) -> list[str]:
    """Fill every highlighted row, one at a time and by keyboard, the way a clerk does: each
    save re-renders the form through htmx and leaves the focus on that row's Save button."""
    typed: list[str] = []
    for _ in range(10):
        rows = page.locator("form.fact.fact-attention")
        if rows.count() == 0:
            return typed
        row = rows.first
        key = str(row.locator("input[name=field]").get_attribute("value"))
        slug = "".join(c if c.isalnum() else "-" for c in key)
        control = row.locator(f'[name="fact:{key}"]').first
        tag = control.evaluate("el => el.tagName.toLowerCase()")
        if tag == "select":
            control.select_option(ANSWERS[key])
        elif control.get_attribute("type") not in ("checkbox", "radio"):
            control.fill(ANSWERS.get(key) or control.input_value())
        page.focus(f"#save-{slug}")
        with page.expect_response(re.compile(r"/fields/$")) as response:
            page.keyboard.press("Enter")
        assert response.value.status == 200, response.value.text()
        page.wait_for_selector(f"#fact-{slug}:not(.fact-attention)")
        assert page.evaluate("document.activeElement.id") == f"save-{slug}"
        typed.append(key)
    raise AssertionError(f"rows stay highlighted after {typed}")


def test_f1_at_the_window(live_server: Any, demo_world: Any, page: Any) -> None:
    base = live_server.url
    _sign_in(page, base)

    # The ID box: a scanner types the number and Enter. The number is posted: the person
    # page's address holds an opaque reference, never the number.
    page.fill("#id_number", LI)
    page.press("#id_number", "Enter")
    page.wait_for_url(re.compile(r"/staff/people/[A-Za-z0-9_-]{20,}/$"))
    assert LI not in page.url
    assert page.locator("h1").inner_text().startswith("李红梅")
    assert page.get_by_text("张伟").count() >= 1
    assert not axe_violations(page), axe_violations(page)

    # The suggested bundle, with its reason, started with one click.
    suggestion = page.locator(".suggestion", has_text="就业困难认定和补贴一件事")
    suggestion.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/bundles/[0-9a-f-]{36}/$"))
    bundle_url = page.url
    assert page.locator(".steps .step").count() == 4
    assert not axe_violations(page), axe_violations(page)

    # Every data element of the four steps is asked once on this screen.
    rows = page.locator("form.fact input[name=field]")
    shown = [str(rows.nth(i).get_attribute("value")) for i in range(rows.count())]
    assert len(shown) == len(set(shown)) and len(shown) >= 10, shown
    # Check the system first: no material of any step is "to be brought by the resident".
    assert page.locator(".step-materials > ul.materials .material").count() >= 4
    assert page.locator(".step-materials > ul.materials .mbadge-required").count() == 0

    highlighted = page.locator("form.fact.fact-attention input[name=field]")
    keys = sorted(
        str(highlighted.nth(i).get_attribute("value")) for i in range(highlighted.count())
    )
    assert 2 <= len(keys) <= 3, keys
    typed = _fill_highlighted(page)
    assert sorted(typed) == keys
    assert len(typed) <= 4 and len(typed) == len(set(typed)), typed
    assert page.locator(".fact-attention").count() == 0
    assert page.locator(".unsaved, .problem").count() == 0
    assert page.locator("#flash").inner_text().strip()
    assert CapturedFact.objects.filter(person__id_number=LI).count() == len(typed)

    # Submit all: a double click submits each step once.
    with page.expect_navigation():
        page.locator("#submit-all").dblclick()
    page.wait_for_url(bundle_url)
    steps = page.locator(".steps .step")
    assert steps.count() == 4
    assert page.locator('.steps .step[data-status="submitted"]').count() == 4
    links = page.locator("a[data-print]")
    assert links.count() == 4
    hrefs = [str(links.nth(i).get_attribute("href")) for i in range(4)]
    assert all(re.fullmatch(r"/staff/applications/[0-9a-f-]{36}/form\.pdf", h) for h in hrefs)
    for href in hrefs:  # every step's form prints, filled, with her name on it
        pdf = page.request.get(f"{base}{href}")
        assert pdf.status == 200, (href, pdf.status, pdf.text()[:300])
        assert pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.body())
        assert "李红梅" in text and "320205********0027" in text and LI not in text, href
    # Printed for her to sign: her number in full.
    signature = page.locator("a[data-print-signature]")
    assert signature.count() == 4
    href = str(signature.first.get_attribute("href"))
    assert href.endswith("/form.pdf?for=signature")
    assert LI in pdf_text(page.request.get(f"{base}{href}").body())
    for application in Application.objects.filter(applicant__id_number=LI):
        assert application.status == "submitted"
        assert (
            ApplicationEvent.objects.filter(application=application, action="submit").count() == 1
        )

    page.screenshot(path=SCREENSHOT, full_page=True)
