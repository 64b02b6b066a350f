"""The public portal: home, guides in three languages, certificate lists, search, Q&A, elder
mode, resident sign-in with a one-time code, and F3 (the certificate online, nothing to type)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, TestCase

from govdesk.accounts.models import SignInCode
from govdesk.applications.models import Application, ApplicationEvent, Status
from govdesk.catalog.models import Matter, SearchLog

WANG = "320205196803090017"
LI = "320205197405120027"
SUN = "320205193909210044"
CERT = "CERT-RESIDENT-POPULATION"

pytestmark = pytest.mark.django_db


def _html(response: Any) -> str:
    return str(response.content.decode())


def _demo_code(html: str) -> str:
    found = re.search(r'class="demo-code">(\d{6})<', html)
    assert found, "the demo code is shown on the page"
    return found.group(1)


def start_sign_in(client: Client, id_number: str, next_url: str = "") -> Any:
    data = {"id_number": id_number}
    if next_url:
        data["next"] = next_url
    # The code is texted once its transaction commits; the test's never does, so run that now.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/signin/", data)


def sign_in(client: Client, id_number: str, next_url: str = "") -> Any:
    response = start_sign_in(client, id_number, next_url)
    assert response.status_code == 302, _html(response)
    assert response["Location"] == "/signin/code/"
    page = client.get("/signin/code/")
    return client.post("/signin/code/", {"code": _demo_code(_html(page))})


# --- public pages ------------------------------------------------------------------------------


def test_home_has_search_and_direct_entries(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = _html(response)
    assert 'role="search"' in html and 'name="q"' in html
    assert "常住人口信息证明" in html
    assert f'href="/matters/{CERT}/"' in html
    assert f'action="/matters/{CERT}/apply/"' in html  # one tap to apply
    entries = re.findall(r'class="entry-link" href="/matters/([A-Z0-9-]+)/"', html)
    assert len(entries) >= 8
    for name in ["失业登记", "异地就医备案", "高龄津贴申领", "居住证申领"]:
        assert name in html
    for code in entries:
        assert client.get(f"/matters/{code}/").status_code == 200
    assert 'name="elder" value="1"' in html  # the elder-mode toggle


def test_every_guide_renders_in_three_languages(client: Client) -> None:
    codes = list(Matter.objects.filter(published=True).values_list("code", flat=True))
    assert len(codes) >= 92
    for lang in ("zh-hans", "zh-hant", "en"):
        client.cookies["django_language"] = lang
        for code in codes:
            response = client.get(f"/matters/{code}/")
            assert response.status_code == 200, (lang, code)


def test_guide_says_before_during_after(client: Client) -> None:
    html = _html(client.get(f"/matters/{CERT}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "常住人口信息证明" in html
    # What the platform looks up itself: needed only if it does not hold it for you.
    assert 'data-need="unless_held"' in html and "badge-maybe" in html
    assert 'class="p-steps"' in html
    assert "不收费" in html
    assert "working days" in html or "工作日" in html
    assert 'id="apply"' in html
    html = _html(client.get("/matters/HRSS-001/"))
    assert "badge-bring" in html or "badge-fetched" in html
    assert client.get("/matters/NO-SUCH/").status_code == 404


def test_traditional_and_english(client: Client) -> None:
    html = _html(client.get(f"/matters/{CERT}/", HTTP_ACCEPT_LANGUAGE="zh-Hant"))
    assert "證明" in html
    assert 'lang="zh-hant"' in html
    client.cookies["django_language"] = "en"
    html = _html(client.get("/matters/HRSS-001/"))
    assert "Unemployment registration" in html
    assert 'lang="en"' in html


def test_language_switcher(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/browse/"})
    assert response.status_code == 302
    assert "證明" in _html(client.get("/certificates/"))


def test_browse_by_department_and_life_event(client: Client) -> None:
    html = _html(client.get("/browse/"))
    assert 'id="by-event"' in html and 'id="by-department"' in html
    assert "失业登记" in html
    assert html.count('href="/matters/') >= 92


def test_certificate_lists(client: Client) -> None:
    html = _html(client.get("/certificates/"))
    assert "常住人口信息证明" in html
    assert "亲属关系证明" in html
    assert "派出所" in html  # where to go instead
    assert 'id="FORBIDDEN-01"' in html
    assert html.count('class="card card-forbidden"') == 20


def test_search_finds_the_certificate_and_records_it(client: Client) -> None:
    response = client.get("/search/", {"q": "水电 人口 证明"})
    assert response.status_code == 200
    html = _html(response)
    assert "常住人口信息证明" in html
    assert 'class="why"' in html  # why each result matched
    log = SearchLog.objects.filter(query="水电 人口 证明").latest("at")
    assert log.results >= 1 and log.opened == ""
    link = re.search(rf'href="(/matters/{CERT}/\?s=(\d+))"', html)
    assert link and int(link.group(2)) == log.pk
    assert client.get(link.group(1)).status_code == 200
    log.refresh_from_db()
    assert log.opened == f"matter:{CERT}"


def test_search_with_nothing_found_is_recorded_unopened(client: Client) -> None:
    html = _html(client.get("/search/", {"q": "zzqxv wqpk"}))
    assert client.get("/search/").status_code == 200
    log = SearchLog.objects.filter(query="zzqxv wqpk").latest("at")
    assert log.opened == ""
    assert "/ask/?q=" in html or log.results > 0


def test_ask_answers_and_says_when_it_does_not_know(client: Client) -> None:
    response = client.get("/ask/", {"q": "社区能开亲属关系证明吗"})
    assert response.status_code == 200
    assert response.context["answer"]["answered"] is True
    html = _html(response)
    assert "不能" in html and 'class="answer answered"' in html
    response = client.get("/ask/", {"q": "xqzv blorfle 7788"})
    assert response.context["answer"]["answered"] is False
    assert 'class="answer unknown"' in _html(response)
    assert client.get("/ask/").status_code == 200


def test_ask_cites_matters_with_start_links(client: Client) -> None:
    html = _html(client.get("/ask/", {"q": "水电费人口基数怎么调"}))
    assert f'href="/matters/{CERT}/"' in html


# --- display modes ---------------------------------------------------------------------------


def _body_class(html: str) -> str:
    found = re.search(r'<body class="([^"]*)"', html)
    assert found
    return found.group(1)


def test_elder_and_accessible_modes(client: Client) -> None:
    assert "elder" not in _body_class(_html(client.get("/")))
    response = client.post("/settings/", {"elder": "1", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["govdesk_elder"].value == "1"
    assert "elder" in _body_class(_html(client.get("/")))
    assert "elder" in _body_class(_html(client.get(f"/matters/{CERT}/")))
    client.post("/settings/", {"accessible": "1"})
    classes = _body_class(_html(client.get("/settings/")))
    assert "elder" in classes and "accessible" in classes
    client.post("/settings/", {"elder": "0", "accessible": "0"})
    assert _body_class(_html(client.get("/"))).split() == ["portal", "page-home"]


def test_elder_cookie_adds_body_class() -> None:
    client = Client()
    client.cookies["govdesk_elder"] = "1"
    assert "elder" in _body_class(_html(client.get("/")))


def test_settings_next_must_stay_on_site(client: Client) -> None:
    response = client.post("/settings/", {"elder": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/settings/"


# --- sign-in ---------------------------------------------------------------------------------


def test_sign_in_with_the_demo_code(client: Client, demo_sms: None) -> None:
    response = start_sign_in(client, WANG, "/me/")
    assert response.status_code == 302
    page = _html(client.get("/signin/code/"))
    # Neither the phone nor its masked form: that would tell anyone the number is registered.
    assert "135****1234" not in page and "13506171234" not in page
    code = _demo_code(page)
    row = SignInCode.objects.filter(person__id_number=WANG).latest("created_at")
    assert code not in row.code_hash and len(row.code_hash) == 64  # stored hashed
    key_before = client.session.session_key
    response = client.post("/signin/code/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.session["resident_id"] == row.person_id
    assert client.session.session_key != key_before  # rotated
    html = _html(client.get("/me/"))
    assert "王建国" in html
    client.post("/signout/")
    assert "resident_id" not in client.session
    assert client.get("/me/").status_code == 302


@pytest.mark.parametrize("debug", [False, True])
def test_demo_code_hidden_unless_configured(client: Client, settings: Any, debug: bool) -> None:
    """Only GOVDESK_DEMO_SMS_ON_SCREEN shows the code; debug mode does not imply it."""
    settings.DEMO_SMS_ON_SCREEN = False
    settings.DEBUG = debug
    start_sign_in(client, WANG)
    assert "demo-code" not in _html(client.get("/signin/code/"))


def test_wrong_code_is_rejected_and_locks_after_five(client: Client, demo_sms: None) -> None:
    start_sign_in(client, WANG)
    code = _demo_code(_html(client.get("/signin/code/")))
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/signin/code/", {"code": wrong})
    assert response.status_code == 422
    assert "resident_id" not in client.session
    assert "4" in _html(response)  # attempts left
    for _attempt in range(4):
        client.post("/signin/code/", {"code": wrong})
    response = client.post("/signin/code/", {"code": code})
    assert response.status_code == 422
    assert "resident_id" not in client.session
    assert SignInCode.objects.filter(person__id_number=WANG).latest("created_at").attempts == 5


def test_code_expires(client: Client, demo_sms: None) -> None:
    start_sign_in(client, WANG)
    code = _demo_code(_html(client.get("/signin/code/")))
    from datetime import timedelta

    from django.utils import timezone

    SignInCode.objects.filter(person__id_number=WANG).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client.post("/signin/code/", {"code": code})
    assert "resident_id" not in client.session


def test_no_phone_goes_to_the_window(client: Client) -> None:
    """Who has no phone on file gets the same code page as anyone (it must not tell), which
    sends them to the window when no text comes; no text is sent, the code never verifies."""
    response = start_sign_in(client, SUN)
    assert response.status_code == 302 and response["Location"] == "/signin/code/"
    client.cookies["django_language"] = "en"
    html = _html(client.get("/signin/code/"))
    assert "go to the window of your community service station" in html
    row = SignInCode.objects.get(person__id_number=SUN)
    assert row.phone == ""


def test_invalid_and_unknown_id_numbers(client: Client) -> None:
    assert start_sign_in(client, "320205196803090018").status_code == 422  # bad check digit
    # Not in the registry: the same as a registered number (tests/test_signin_abuse.py).
    assert start_sign_in(client, "11010519491231002X").status_code == 302


# --- F3: the certificate online ---------------------------------------------------------------


def test_apply_requires_sign_in_then_returns(client: Client, demo_sms: None) -> None:
    response = client.post(f"/matters/{CERT}/apply/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/?next=")
    next_url = f"/matters/{CERT}/#apply"
    response = sign_in(client, WANG, next_url)
    assert response["Location"] == next_url


def test_f3_certificate_online_nothing_to_type(client: Client, demo_sms: None) -> None:
    html = _html(client.get("/"))
    assert f'href="/matters/{CERT}/"' in html
    sign_in(client, WANG)
    response = client.post(f"/matters/{CERT}/apply/")
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith("/me/applications/")
    assert client.post(f"/matters/{CERT}/apply/")["Location"] == url  # no second draft
    application = Application.objects.get(applicant__id_number=WANG, matter__code=CERT)
    assert application.channel == "online"

    page = client.get(url)
    assert page.status_code == 200
    html = _html(page)
    for name in ["王建国", "陈桂兰", "王磊", "周婷", "王子涵", "孙𠮷珍"]:
        assert name in html
    assert html.count('class="person-name"') == 6
    assert "badge-source" in html
    assert page.context["missing"] == []
    assert "missing-form" not in html
    assert 'action="' + url + 'submit/"' in html
    assert WANG not in html  # ID numbers masked on screen

    response = client.post(url + "submit/")
    assert response.status_code == 302 and response["Location"] == "/me/"
    again = client.post(url + "submit/")  # a double click
    assert again.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert ApplicationEvent.objects.filter(application=application, action="submit").count() == 1
    assert Application.objects.filter(applicant__id_number=WANG, matter__code=CERT).count() == 1

    html = _html(client.get("/me/"))
    assert application.number in html
    assert "status-submitted" in html


def test_a_resident_cannot_see_another_residents_application(
    client: Client, demo_sms: None
) -> None:
    sign_in(client, WANG)
    url = client.post(f"/matters/{CERT}/apply/")["Location"]
    other = Client()
    sign_in(other, LI)
    assert other.get(url).status_code == 404
    assert other.post(url + "submit/").status_code == 404
    assert other.post(url + "save/", {"field-person.phone": "13800000000"}).status_code == 404
    assert Client().get(url).status_code == 302  # signed out: to sign-in


def test_window_only_matter_cannot_be_applied_online(client: Client, demo_sms: None) -> None:
    sign_in(client, WANG)
    offline = Matter.objects.filter(published=True, online=False).first()
    assert offline is not None
    response = client.post(f"/matters/{offline.code}/apply/")
    assert response["Location"] == f"/matters/{offline.code}/"
    assert not Application.objects.filter(matter=offline, applicant__id_number=WANG).exists()


def test_f3_resident_downloads_the_certificate_after_approval(
    client: Client,
    demo_sms: None,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The community clerk accepts, the reviewer approves (staff, elsewhere); the resident
    sees the certificate under "my applications" and downloads the signed PDF. Nobody else
    can."""
    pytest.importorskip("govdesk.certificates.services")
    from govdesk.accounts.models import User
    from govdesk.applications.services import application_act
    from govdesk.certificates.services import demo_pki_load
    from govdesk.common.principal import Principal

    settings.PKI_DIR = tmp_path
    settings.SIGNING_KEY_PASSPHRASE = "portal-test-passphrase"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    demo_pki_load()

    sign_in(client, WANG)
    url = client.post(f"/matters/{CERT}/apply/")["Location"]
    client.post(url + "submit/")
    application = Application.objects.get(applicant__id_number=WANG, matter__code=CERT)
    for username, action in (("clerk.chunlei", "accept"), ("reviewer.yunlin", "approve")):
        staff = Principal(kind="staff", user=User.objects.get(username=username))
        with django_capture_on_commit_callbacks(execute=True):
            application_act(principal=staff, application_id=application.pk, action=action)
    application.refresh_from_db()
    assert application.status == Status.COMPLETED  # the certificate issued, it completes itself

    html = _html(client.get("/me/"))
    link = re.search(r'href="(/me/certificates/([^/"]+)/download/)"', html)
    assert link, "the certificate can be downloaded from my applications"
    assert link.group(2) in _html(client.get("/me/certificates/"))
    assert link.group(1) in _html(client.get(url))
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    other = Client()
    sign_in(other, LI)
    assert other.get(link.group(1)).status_code == 404
    assert link.group(2) not in _html(other.get("/me/certificates/"))
    assert Client().get(link.group(1)).status_code == 302


def test_missing_fields_get_inputs_and_are_saved(client: Client, demo_sms: None) -> None:
    """Where the registries hold nothing, the resident types it once; then submits."""
    sign_in(client, WANG)
    url = client.post("/matters/HRSS-005/apply/")["Location"]
    page = client.get(url)
    missing = {f["key"] for f in page.context["missing"] if f["editable"]}
    assert {"employment.flexible_type", "insurance.contribution_grade"} <= missing
    html = _html(page)
    assert 'class="stack missing-form"' in html
    assert 'name="field-insurance.contribution_grade"' in html
    assert "/submit/" not in html  # nothing to submit while something is missing
    version = page.context["application"].version

    bad = client.post(
        url + "save/",
        {"version": version, "field-insurance.contribution_grade": "999%"},
    )
    assert bad.status_code == 302 and bad["Location"] == url + "#edit"  # never left at a POST URL
    again = client.get(url)
    assert 'role="alert"' in _html(again)
    assert 'id="error-insurance.contribution_grade"' in _html(again)  # by the field
    assert 'role="alert"' not in _html(client.get(url))  # said once

    values = {
        "field-employment.flexible_type": "个体经营",
        "field-insurance.contribution_grade": "60%",
    }
    extra = {f"field-{key}": "" for key in missing if f"field-{key}" not in values}
    saved = client.post(url + "save/", {"version": version, **values, **extra})
    assert saved.status_code == 302 and saved["Location"] == url
    page = client.get(url)
    left = {f["key"] for f in page.context["missing"]}
    assert not left & {"employment.flexible_type", "insurance.contribution_grade"}
    rows = [row for _title, section in page.context["sections"] for row in section]
    grade = next(r for r in rows if r["key"] == "insurance.contribution_grade")
    assert grade["source"] == "typed" and grade["display"] == "60%（最低档）"

    client.cookies["django_language"] = "en"
    html = _html(client.get(url))
    assert "Contribution base grade" in html and "60% (lowest)" in html


def test_search_in_english_shows_english_names(client: Client) -> None:
    client.cookies["django_language"] = "en"
    html = _html(client.get("/search/", {"q": "失业登记"}))
    assert "Unemployment registration" in html
