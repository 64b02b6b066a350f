"""Under the Content-Security-Policy, in Chromium: the pages with scripts of their own that the
portal and workbench tests do not open (the Django admin's widgets, the API docs' Swagger UI)
and the verification page's styles, now in site.css, still work. The ``page`` fixture fails any
test during which the browser refused something."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.accounts.models import User
from govdesk.catalog.models import Matter
from govdesk.organisations.models import Region

pytestmark = pytest.mark.browser

PASSWORD = "x-long-password-1"


def test_admin_widgets_work(live_server: Any, demo_world: Any, page: Any) -> None:
    base = live_server.url
    admin = User.objects.create_superuser("csp.admin", password=PASSWORD)
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    # A change list's actions (actions.js): ticking every row updates the counter.
    page.goto(f"{base}/admin/organisations/region/")
    page.check("#action-toggle")
    regions = Region.objects.count()
    assert page.locator(".action-counter").inner_text().count(str(regions)) == 2  # n of n

    # filter_horizontal (SelectFilter2) and an inline's "add another" row (inlines.js).
    matter = Matter.objects.order_by("code").first()
    assert matter is not None
    page.goto(f"{base}/admin/catalog/matter/{matter.pk}/change/")
    assert page.locator("#id_life_events_from").is_visible()
    rows = page.locator(".dynamic-materials").count()
    page.click(".add-row a")
    assert page.locator(".dynamic-materials").count() == rows + 1


def test_api_docs_render(live_server: Any, demo_world: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "govdesk API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 5


def test_verify_page_is_styled(live_server: Any, demo_world: Any, page: Any) -> None:
    response = page.goto(f"{live_server.url}/verify/no-such-code")
    assert response is not None and response.status == 404
    border = page.locator(".verdict").evaluate("el => getComputedStyle(el).borderTopStyle")
    assert border == "solid"
