"""The error pages in Chromium on a phone (390×844): styled by the site's CSS, no sideways
scrolling, no axe violation of any impact, nothing refused by the Content-Security-Policy, in
the reader's language; and a form refused by the CSRF check explained in plain words.
Screenshots of the 404 page and of the refused form go to /tmp/error-*-phone.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser

SHOT = "/tmp/error-404-phone.png"  # noqa: S108 - screenshots for people to look at
CSRF_SHOT = "/tmp/error-csrf-phone.png"  # noqa: S108
EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
PAGES = {
    404: ("/no-such-page/", "找不到该页面"),
    400: ("/test-errors/400/", "请求无法识别"),
    403: ("/test-errors/403/", "无法打开此页面"),
    500: ("/test-errors/500/", "系统出现故障"),
}


@pytest.fixture
def site(live_server: Any, transactional_db: None, static_files: None, settings: Any) -> str:
    settings.ROOT_URLCONF = "tests.error_urls"
    return str(live_server.url)


def _check(phone: Any) -> None:
    assert not axe_violations(phone, EVERY_IMPACT), axe_violations(phone, EVERY_IMPACT)
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    # Styled: the site's CSS applies (the buttons are the portal's).
    home = phone.locator("main .err-actions a[href='/']")
    assert home.evaluate("el => getComputedStyle(el).borderTopStyle") == "solid"
    assert phone.locator(".err-report").inner_text().count("12345") == 1


def test_error_pages_on_a_phone(site: str, phone: Any) -> None:
    for status, (path, title) in PAGES.items():
        response = phone.goto(site + path)
        assert response is not None and response.status == status, path
        assert phone.locator("h1").inner_text() == title, path
        assert phone.locator("html").get_attribute("lang") == "zh-hans"
        if status == 404:
            phone.screenshot(path=SHOT, full_page=True)
        _check(phone)

    # The language cookie (the language switch's) decides, then the browser's language.
    phone.context.add_cookies([{"name": "django_language", "value": "zh-hant", "url": site}])
    phone.goto(site + "/no-such-page/")
    assert phone.locator("h1").inner_text() == "找不到該頁面"
    phone.context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    phone.goto(site + "/no-such-page/")
    assert phone.locator("h1").inner_text() == "Page not found"
    _check(phone)


def test_a_form_sent_from_a_stale_page_is_explained(site: str, phone: Any) -> None:
    """The sign-in page left open while the CSRF token changed (a sign-in in another tab):
    sending it is refused, with the site's page (Django's own has an inline style that the
    policy refuses, which ``opened_page`` would report)."""
    phone.goto(site + "/signin/")
    phone.fill("input[name=id_number]", "320205196803090017")
    phone.context.add_cookies([{"name": "csrftoken", "value": "A" * 32, "url": site}])
    with phone.expect_navigation() as sent:
        phone.click("main button[type=submit]")
    assert sent.value is not None and sent.value.status == 403
    assert phone.locator("h1").inner_text() == "表单未能提交"
    assert "刷新" in phone.locator("main").inner_text()
    phone.screenshot(path=CSRF_SHOT, full_page=True)
    _check(phone)
