"""Error pages: 400, 403, 404, 500 and a form refused by the CSRF check are styled pages of the
site (its CSS, the phone viewport), in the reader's language, with a way home and a way to
report the problem; none needs inline style or script, and the 500 page needs no database."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from govdesk.catalog.i18n import to_traditional
from tests.test_security_headers import assert_strict

ERRORS = "tests.error_urls"
LANGUAGE_COOKIE = "django_language"
TITLES = {
    400: ("请求无法识别", "The request could not be read"),
    403: ("无法打开此页面", "You cannot open this page"),
    404: ("找不到该页面", "Page not found"),
    500: ("系统出现故障", "Something went wrong on our side"),
}
PATHS = {
    400: "/test-errors/400/",
    403: "/test-errors/403/",
    404: "/no-such-page/",
    500: "/test-errors/500/",
}


@pytest.fixture
def errors(settings: Any) -> None:
    settings.ROOT_URLCONF = ERRORS


def _page(response: Any, *, staff: bool = False) -> str:
    html: str = response.content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "/static/govdesk/site.css" in html
    assert 'href="/"' in html  # a way home
    # A way to report it: the hotline for the public, the administrator for staff.
    assert ("12345" in html) != staff
    return html


@pytest.mark.django_db
@pytest.mark.parametrize("status", sorted(TITLES))
def test_error_pages_in_each_language(errors: None, status: int) -> None:
    chinese, english = TITLES[status]
    client = Client(raise_request_exception=False)
    response = client.get(PATHS[status])
    assert response.status_code == status
    html = _page(response)
    assert '<html lang="zh-hans">' in html and chinese in html
    assert_strict(response, PATHS[status])

    english_reader = Client(raise_request_exception=False, headers={"Accept-Language": "en"})
    html = _page(english_reader.get(PATHS[status]))
    assert '<html lang="en">' in html and english in html

    client.cookies[LANGUAGE_COOKIE] = "zh-hant"
    html = _page(client.get(PATHS[status]))
    assert '<html lang="zh-hant">' in html and to_traditional(chinese) in html


def test_the_500_page_needs_no_database(errors: None) -> None:
    """No ``db`` fixture: any query while the page is made fails the test."""
    response = Client(raise_request_exception=False).get(PATHS[500])
    assert response.status_code == 500
    assert TITLES[500][0] in _page(response)


@pytest.mark.django_db
def test_a_host_not_allowed_gets_the_400_page(errors: None) -> None:
    response = Client(headers={"Accept-Language": "en"}).get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert TITLES[400][1] in _page(response)


@pytest.mark.django_db
def test_staff_pages_lead_back_to_the_workbench(errors: None) -> None:
    client = Client(raise_request_exception=False, headers={"Accept-Language": "en"})
    for path, status in (("/staff/no-such-page/", 404), ("/staff/test-errors/500/", 500)):
        response = client.get(path)
        assert response.status_code == status
        assert 'href="/staff/"' in _page(response, staff=True), path
    assert 'href="/staff/"' not in client.get("/no-such-page/").content.decode()


@pytest.mark.django_db
def test_a_refused_form_is_explained(world: Any) -> None:
    """Django's own CSRF page has an inline style the policy refuses, and speaks of CSRF
    tokens; this one says what happened and what to do, in the reader's language."""
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.get("/signin/")  # the CSRF cookie, as a browser holds it
    response = client.post("/signin/", {"id_number": "x"})  # but no token: a stale page
    assert response.status_code == 403
    html = _page(response)
    assert_strict(response, "/signin/ (CSRF)")
    assert "The form could not be sent" in html and "reload" in html
    assert "CSRF" not in html
    chinese = Client(enforce_csrf_checks=True).post("/signin/", {"id_number": "x"})
    assert chinese.status_code == 403 and "表单未能提交" in _page(chinese)
    assert "Cookie" in chinese.content.decode()  # no cookie at all: the browser refuses them
