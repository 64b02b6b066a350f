"""The public portal in a real browser, phone-sized: home, a guide, the certificate lists, the
Q&A and search pages, in normal, elder and accessible mode, checked with axe-core (no serious
or critical violation), keyboard-operable, and F3 end to end (the certificate online, nothing
to type). Screenshots go to /tmp/portal-*.png."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from govdesk.applications.models import Application, ApplicationEvent, Status
from govdesk.organisations.models import Region
from tests.browser.conftest import PHONE, axe_violations

pytestmark = pytest.mark.browser

WANG = "320205196803090017"
CERT = "CERT-RESIDENT-POPULATION"
SHOTS = "/tmp/portal"  # noqa: S108 - screenshots for people to look at
PAGES = {
    "home": "/",
    "guide": f"/matters/{CERT}/",
    "certificates": "/certificates/",
    "ask": "/ask/?q=" + quote("社区能开亲属关系证明吗"),
    "search": "/search/?q=" + quote("水电 人口 证明"),
    "settings": "/settings/",
    "you said, we did": "/you-said-we-did/",
}
MODE_COOKIES = {
    "normal": {},
    "elder": {"govdesk_elder": "1"},
    "accessible": {"govdesk_accessible": "1"},
}

# Every control a resident taps, for the elder-mode tap-target check.
TARGETS = (
    "button, input:not([type=hidden]), select, .btn, .p-nav a, .entry-link, .tile, "
    ".result-link, .links a, .toc a, .crumbs a, .p-link, summary"
)
SMALL_TARGETS_JS = """(selector) => {
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('.sr-only')) continue;
    if (r.width < 59.5 || r.height < 59.5) {
      small.push(`${el.tagName.toLowerCase()}.${el.className} "${(el.textContent || el.value || '')
        .trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}"""
TYPE_JS = """() => {
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const body = getComputedStyle(document.body);
  const p = document.querySelector('main p') || document.body;
  return {
    body: px(document.body),
    p: px(p),
    h1: px(document.querySelector('h1')),
    lineHeight: parseFloat(getComputedStyle(p).lineHeight) / px(p),
    color: body.color,
  };
}"""


@pytest.fixture
def portal_world(demo_world: dict[str, Region], settings: Any) -> dict[str, Region]:
    settings.DEMO_SMS_ON_SCREEN = True
    return demo_world


def _set_mode(page: Any, base: str, mode: str) -> None:
    page.context.clear_cookies()
    cookies = [
        {"name": name, "value": value, "url": base} for name, value in MODE_COOKIES[mode].items()
    ]
    if cookies:
        page.context.add_cookies(cookies)


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )


def test_public_pages_pass_axe_in_every_mode(
    portal_world: Any, live_server: Any, phone: Any
) -> None:
    base = live_server.url
    problems: dict[str, list[str]] = {}
    for mode in MODE_COOKIES:
        _set_mode(phone, base, mode)
        for name, path in PAGES.items():
            response = phone.goto(base + path)
            assert response is not None and response.ok, (mode, name)
            body_class = phone.get_attribute("body", "class") or ""
            assert (mode in body_class.split()) == (mode != "normal"), (mode, body_class)
            phone.screenshot(path=f"{SHOTS}-{name}-{mode}.png", full_page=True)
            found = axe_violations(phone)
            if found:
                problems[f"{mode} {name}"] = found
            assert _no_horizontal_scroll(phone), f"{mode} {name} scrolls sideways"
            if mode == "elder":
                small = phone.evaluate(SMALL_TARGETS_JS, TARGETS)
                assert not small, f"{name}: tap targets under 60px: {small}"
                sizes = phone.evaluate(TYPE_JS)
                assert sizes["body"] >= 24 and sizes["p"] >= 24, sizes
                assert sizes["h1"] >= 30, sizes
                assert sizes["lineHeight"] >= 1.3, sizes
    assert not problems, problems


def test_home_content_and_elder_toggle(portal_world: Any, live_server: Any, phone: Any) -> None:
    base = live_server.url
    phone.goto(base + "/")
    assert phone.locator(f"a[href='/matters/{CERT}/']").first.is_visible()
    assert phone.locator(".entries .entry-link").count() >= 8
    # The toggle is prominent: above the fold on a phone.
    toggle = phone.locator(".mode-toggle button")
    box = toggle.bounding_box()
    assert box is not None and box["y"] + box["height"] < PHONE["height"]
    toggle.click()
    phone.wait_for_load_state()
    assert "elder" in (phone.get_attribute("body", "class") or "").split()
    phone.locator(".mode-toggle button").click()
    phone.wait_for_load_state()
    assert "elder" not in (phone.get_attribute("body", "class") or "").split()


def test_keyboard_skip_link_and_search(portal_world: Any, live_server: Any, phone: Any) -> None:
    base = live_server.url
    phone.goto(base + "/")
    phone.keyboard.press("Tab")
    focused = phone.evaluate("() => document.activeElement.className")
    assert focused == "skip"
    assert phone.locator("a.skip").is_visible()
    phone.keyboard.press("Enter")
    assert phone.evaluate("() => location.hash") == "#main"
    phone.focus("#q")
    phone.keyboard.type("水电 人口 证明")
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"/search/\?q="))
    first = phone.locator(".result-link").first
    assert "常住人口信息证明" in first.inner_text()
    first.focus()
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(rf"/matters/{CERT}/\?s=\d+"))
    assert "常住人口信息证明" in phone.locator("h1").inner_text()


def _in_sight(page: Any, selector: str) -> bool:
    """The element is on the screen as the page opened, without scrolling (above the fold)."""
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    return bool(
        box and viewport and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    )


def test_f3_certificate_online_in_elder_mode(
    portal_world: Any, live_server: Any, phone: Any
) -> None:
    """From the home page: one tap, sign in with the code on screen, nothing to type, submit
    once (the button is disabled on click), and see it under "my applications"."""
    base = live_server.url
    _set_mode(phone, base, "elder")
    phone.goto(base + "/")
    phone.click(f".pinned form[action='/matters/{CERT}/apply/'] button")
    phone.wait_for_url(re.compile(r"/signin/"))
    phone.fill("input[name=id_number]", WANG)
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r"/signin/code/"))
    phone.screenshot(path=f"{SHOTS}-signin-code-elder.png", full_page=True)
    assert not axe_violations(phone)
    code = phone.locator(".demo-code").inner_text().strip()
    phone.fill("#code", code)
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(rf"/matters/{CERT}/#apply"))
    # After sign-in: two taps to submitted, each on the page's main action, in sight at once.
    assert _in_sight(phone, "#apply form button")
    phone.click("#apply form button")
    phone.wait_for_url(re.compile(r"/me/applications/[0-9a-f-]+/$"))
    assert _in_sight(phone, ".submit-form button")
    phone.screenshot(path=f"{SHOTS}-confirm-elder.png", full_page=True)
    assert not axe_violations(phone)
    names = phone.locator(".person-name").all_inner_texts()
    assert len(names) == 6 and "孙𠮷珍" in names
    assert phone.locator(".missing-form").count() == 0
    assert _no_horizontal_scroll(phone)
    button = phone.locator(".submit-form button")
    button.dblclick()
    phone.wait_for_url(re.compile(r"/me/$"))
    phone.screenshot(path=f"{SHOTS}-me-elder.png", full_page=True)
    assert not axe_violations(phone)
    assert phone.locator(".status-submitted").count() == 1
    application = Application.objects.get(applicant__id_number=WANG, matter__code=CERT)
    assert application.status == Status.SUBMITTED
    assert ApplicationEvent.objects.filter(application=application, action="submit").count() == 1
