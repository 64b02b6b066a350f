"""Materials the resident provides and a return for correction, in a real browser: on a phone,
the resident reads on the guide what she will provide, uploads a photo of the declaration,
submits; the reviewer ticks what to correct in the workbench and returns it; the resident sees
the reason and the fields to change first, corrects, and submits again; the clerk sees what
changed since the return. Screenshots go to /tmp/returns-*.png."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest

from govdesk.accounts.models import User
from govdesk.applications.models import Application, ApplicationEvent, MaterialUpload
from govdesk.applications.services import application_act
from govdesk.common.principal import Principal
from tests.browser.conftest import PHONE, axe_violations
from tests.browser.test_portal import _no_horizontal_scroll
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LI = "320205197405120027"
DIBAO = "MCA-001"
DECLARATION = "家庭收入和财产申报"
NOTE = "application.note"
SHOTS = "/tmp/returns"  # noqa: S108 - screenshots for people to look at


def _png(shade: int = 255) -> bytes:
    """A real one-pixel PNG (a photo of the signed declaration, as far as the test goes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, shade, shade, shade]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def world(demo_world: Any, settings: Any) -> Any:
    settings.DEMO_SMS_ON_SCREEN = True
    return demo_world


@pytest.fixture
def phone(browser: Any) -> Any:
    from tests.browser.conftest import opened_page

    with opened_page(
        browser,
        locale="zh-CN",
        viewport=PHONE,
        device_scale_factor=1,
        has_touch=True,
        is_mobile=True,
    ) as opened:
        yield opened


def _material(page: Any, name: str) -> Any:
    return page.locator(".p-material", has_text=name).first


def _upload(page: Any, name: str, filename: str, shade: int = 255) -> None:
    item = _material(page, name)
    item.locator("input[type=file]").set_input_files(
        {"name": filename, "mimeType": "image/png", "buffer": _png(shade)}
    )
    item.locator("form.upload-form button[type=submit]").click()
    page.wait_for_load_state()


def _staff_sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/staff/")


def test_the_resident_provides_materials_and_answers_a_return_on_a_phone(
    world: Any, live_server: Any, phone: Any, browser: Any
) -> None:
    base = live_server.url
    # The guide: the declaration is hers to provide; what the system may hold is said so.
    phone.goto(f"{base}/matters/{DIBAO}/")
    declaration = _material(phone, DECLARATION)
    assert declaration.get_attribute("data-need") == "resident"
    assert "需您提供" in declaration.inner_text()
    assert _material(phone, "申请人居民身份证").get_attribute("data-need") == "unless_held"
    assert not axe_violations(phone)

    phone.click("#apply form button")
    phone.wait_for_url(re.compile(r"/signin/"))
    phone.fill("input[name=id_number]", LI)
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r"/signin/code/"))
    phone.fill("#code", phone.locator(".demo-code").inner_text().strip())
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(rf"/matters/{DIBAO}/#apply"))
    phone.click("#apply form button")
    phone.wait_for_url(re.compile(r"/me/applications/[0-9a-f-]+/$"))
    url = phone.url

    # The application agrees with the guide, offers the form filled as far as known, and
    # takes a photo of it.
    declaration = _material(phone, DECLARATION)
    assert declaration.get_attribute("data-status") == "required"
    template = declaration.locator("a[href$='/templates/household_income_declaration.pdf']")
    assert template.count() == 1
    _upload(phone, DECLARATION, "IMG_0001.png")
    assert _material(phone, DECLARATION).get_attribute("data-status") == "uploaded"
    assert "已上传" in _material(phone, DECLARATION).inner_text()
    application = Application.objects.get(applicant__id_number=LI, matter__code=DIBAO)
    assert MaterialUpload.objects.get(application=application).content_type == "image/png"
    phone.screenshot(path=f"{SHOTS}-uploaded-phone.png", full_page=True)
    assert not axe_violations(phone)
    phone.locator(".submit-form button").click()
    phone.wait_for_url(re.compile(r"/me/$"))

    # The window accepts; the reviewer returns it in the workbench, ticking what to correct.
    clerk = Principal(kind="staff", user=User.objects.get(username="clerk.chunlei"))
    application_act(principal=clerk, application_id=application.pk, action="accept")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    try:
        _staff_sign_in(desk, base, "reviewer.yunlin")
        desk.goto(f"{base}/staff/applications/{application.pk}/")
        desk.locator(".return-points summary").click()
        desk.locator(f"input[name=return_fields][value='{NOTE}']").check()
        desk.locator(f"input[name=return_materials][value='{DECLARATION}']").check()
        desk.fill(
            "#comment", "照片看不清，请重新上传清晰的签字申报表，并在申请说明中写明困难原因。"
        )
        assert not axe_violations(desk)
        desk.locator("button[name=action][value=return]").click()
        desk.wait_for_url(re.compile(r"/staff/applications/[0-9a-f-]+/$"))
        assert desk.locator('[data-status="returned"]').count() == 1
    finally:
        context.close()
    event = ApplicationEvent.objects.get(application=application, action="return")
    assert event.detail["fields"] == [NOTE] and event.detail["materials"] == [DECLARATION]

    # The resident: the reason and what to change first, then the inputs; no loop of
    # submitting the same thing again.
    phone.goto(url)
    returned = phone.locator("#returned")
    assert returned.is_visible()
    assert "照片看不清" in returned.inner_text()
    top = phone.evaluate("document.querySelector('#returned').getBoundingClientRect().top")
    assert top < PHONE["height"]  # on the first screen
    order = phone.evaluate(
        "['#returned', '#edit', '#materials', '.submit-form', '.fields']"
        ".map(s => document.querySelector(s).getBoundingClientRect().top)"
    )
    assert order == sorted(order), order
    assert phone.locator("#unchanged").is_visible()
    phone.screenshot(path=f"{SHOTS}-returned-phone.png", full_page=True)
    phone.screenshot(path=f"{SHOTS}-returned-phone-first-screen.png")
    assert not axe_violations(phone)
    assert _no_horizontal_scroll(phone)

    returned.locator(f"a[href='#field-{NOTE}']").click()
    phone.fill(f"[id='field-{NOTE}']", "本人失业，配偶月收入较低，家庭困难。")
    phone.locator("#edit button[type=submit]").click()
    phone.wait_for_load_state()
    _upload(phone, DECLARATION, "IMG_0002.png", shade=250)  # a clearer photo
    assert phone.locator("#unchanged").count() == 0
    button = phone.locator(".submit-form button")
    assert button.inner_text().strip() == "重新提交"
    button.click()
    phone.wait_for_url(re.compile(r"/me/$"))
    application.refresh_from_db()
    assert application.status == "submitted"

    # The clerk sees what changed since the return.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    try:
        _staff_sign_in(desk, base, "clerk.chunlei")
        desk.goto(f"{base}/staff/applications/{application.pk}/")
        since = desk.locator("#since-return")
        assert since.is_visible()
        rows = since.locator("table.changes tbody tr")
        assert rows.count() == 2
        text = since.inner_text()
        assert "本人失业" in text and DECLARATION in text and "已换成新文件" in text
        desk.screenshot(path=f"{SHOTS}-since-return-desk.png", full_page=True)
        assert not axe_violations(desk)
    finally:
        context.close()
