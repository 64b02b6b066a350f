"""好差评 in a real browser, phone-sized and in elder mode: 王建国 scans the window's QR code
(the rating page with ``?channel=window``), signs in, and rates with the keyboard alone; the
page passes axe (no serious or critical violation) and its five levels are large targets."""

from __future__ import annotations

import re
from typing import Any

import pytest

from govdesk.applications.lifecycle import Action, Status
from govdesk.applications.models import Application, ApplicationEvent
from govdesk.common.roles import SYSTEM, SYSTEM_NAME
from govdesk.frictions.models import Kind, Problem
from govdesk.people.models import Person
from govdesk.ratings.models import Rating
from tests.browser.conftest import axe_violations
from tests.conftest import accepted_certificate_application

pytestmark = pytest.mark.browser

WANG = "320205196803090017"
SHOTS = "/tmp/ratings"  # noqa: S108 - screenshots for people to look at

LEVEL_SIZES_JS = """() => [...document.querySelectorAll('.rating-form .level')]
  .map((el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; })"""


def test_rating_at_the_window_by_keyboard_in_elder_mode(
    demo_world: Any, live_server: Any, phone: Any, settings: Any
) -> None:
    settings.DEMO_SMS_ON_SCREEN = True
    application = accepted_certificate_application(Person.objects.get(id_number=WANG), "RB0001")
    Application.objects.filter(pk=application.pk).update(status=Status.COMPLETED)
    ApplicationEvent.objects.create(
        application=application,
        action=Action.COMPLETE,
        from_status=Status.APPROVED,
        to_status=Status.COMPLETED,
        actor=SYSTEM_NAME,
        actor_role=SYSTEM,
    )
    base = live_server.url
    phone.context.add_cookies([{"name": "govdesk_elder", "value": "1", "url": base}])
    phone.goto(f"{base}/me/applications/{application.pk}/rating/?channel=window")
    phone.wait_for_url(re.compile(r"/signin/"))
    phone.fill("input[name=id_number]", WANG)
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r"/signin/code/"))
    phone.fill("#code", phone.locator(".demo-code").inner_text().strip())
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r"/rating/\?channel=window$"))

    assert phone.locator("input[name=level]").count() == 5
    sizes = phone.evaluate(LEVEL_SIZES_JS)
    assert all(h >= 59.5 and w >= 59.5 for w, h in sizes), sizes
    phone.screenshot(path=f"{SHOTS}-form-elder.png", full_page=True)
    assert not axe_violations(phone)

    # The keyboard alone: into the group, down the levels to 不满意, to the button, Enter.
    phone.focus("input[name=level][value='5']")
    for _ in range(3):
        phone.keyboard.press("ArrowDown")
    assert phone.locator("input[name=level][value='2']").is_checked()
    phone.focus("#rating-comment")
    phone.keyboard.type("排队太久")
    phone.focus(".rating-form button[type=submit]")
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(rf"/me/applications/{application.pk}/$"))
    phone.screenshot(path=f"{SHOTS}-after-elder.png", full_page=True)
    assert not axe_violations(phone)

    rating = Rating.objects.get(application=application)
    assert rating.level == 2 and rating.channel == "window" and rating.comment == "排队太久"
    assert rating.friction is not None
    assert Problem.objects.get(pk=rating.friction.problem_id).kind == Kind.POOR_RATING
