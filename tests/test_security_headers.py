"""Security headers and cookies: the Content-Security-Policy on every kind of page, and no page
that needs more than it allows (no inline script, event handler attribute or inline style);
HSTS only when TLS is declared; Secure cookies unless in debug mode."""

from __future__ import annotations

import json
import runpy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

import pytest
from django.test import Client
from django.utils import timezone

import govdesk.settings
from govdesk.accounts.models import User
from govdesk.applications.models import Application, Channel, Status
from govdesk.catalog.models import CertificateType, Matter
from govdesk.certificates.models import Certificate
from govdesk.organisations.models import Region
from govdesk.people.models import Person
from tests.conftest import staff_client
from tests.test_portal import CERT, WANG, sign_in
from tests.test_workbench import BUNDLE, LI, start_bundle

pytestmark = pytest.mark.django_db

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
PORTAL_PAGES = [
    "/",
    "/browse/",
    f"/matters/{CERT}/",
    f"/bundles/{BUNDLE}/",
    "/certificates/",
    "/search/?q=" + quote("水电 人口 证明"),
    "/ask/?q=" + quote("社区能开亲属关系证明吗"),
    "/settings/",
    "/signin/",
]


class InlineCode(HTMLParser):
    """What a page would need 'unsafe-inline' for: script elements with a body (a JSON data
    block is not run, so it may stay), on* attributes, javascript: URLs, style elements and
    style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            elif (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            self._script = dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        script = self._script
        if script is None or not data.strip() or script.get("type") == "application/json":
            return
        self.found.append(f"<script>{data.strip()[:60]}…</script>")


def policy(response: Any) -> dict[str, str]:
    """The Content-Security-Policy header as directive: sources (django-csp does not keep the
    order of the directives)."""
    directives = (d.strip().partition(" ") for d in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, _, sources in directives}


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_strict(response: Any, url: str) -> None:
    assert policy(response) == CSP, url
    assert not inline_code(response.content.decode()), (url, inline_code(response.content.decode()))


def test_the_checker_finds_what_the_policy_forbids() -> None:
    page = (
        '<form onsubmit="go()"><button style="color:red">x</button></form>'
        "<script>alert(1)</script><style>p{}</style><a href='javascript:go()'>y</a>"
        '<script src="/static/x.js"></script><script type="application/json">{"a": 1}</script>'
    )
    assert len(inline_code(page)) == 5


def test_portal_pages(client: Client, world: Any) -> None:
    for url in PORTAL_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)


def test_portal_signed_in_pages(client: Client, world: Any, settings: Any) -> None:
    settings.DEMO_SMS_ON_SCREEN = True
    client.post("/signin/", {"id_number": WANG})
    assert_strict(client.get("/signin/code/"), "/signin/code/")
    sign_in(client, WANG)
    ready = client.post(f"/matters/{CERT}/apply/")["Location"]  # nothing to type: submit form
    missing = client.post("/matters/HRSS-005/apply/")["Location"]  # fields to fill in
    for url in (ready, missing, "/me/", "/me/certificates/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)
    assert 'class="submit-form submit-sticky" data-once' in client.get(ready).content.decode()


def test_workbench_pages(world: Any) -> None:
    assert_strict(Client().get("/staff/login/"), "/staff/login/")
    clerk = staff_client("clerk.chunlei")
    bundle = start_bundle(clerk, "csp")
    application = Application.objects.filter(bundle_run_id=UUID(bundle.split("/")[3])).first()
    assert application is not None
    person = str(clerk.post("/staff/people/find/", {"id_number": LI})["Location"])
    problem = clerk.post("/staff/people/find/", {"id_number": "张"})  # not a number
    assert problem.status_code == 422
    assert_strict(problem, "/staff/people/find/")
    for url in (
        "/staff/",
        person,
        bundle,
        f"/staff/applications/{application.pk}/",
    ):
        response = clerk.get(url)
        assert response.status_code in (200, 422), url
        assert_strict(response, url)
    html = clerk.get(bundle).content.decode()
    assert "govdesk/workbench.js" in html and "<form method" in html and "data-once" in html


def test_verify_page(client: Client, world: Any) -> None:
    assert_strict(client.get("/verify/no-such-code"), "/verify/no-such-code")
    wang = Person.objects.get(id_number=WANG)
    kind = CertificateType.objects.first()
    assert kind is not None
    certificate = Certificate.objects.create(
        number="TEST-CSP-1",
        type=kind,
        application=Application.objects.create(
            number="GD-TEST-CSP-1",
            matter=Matter.objects.get(code=CERT),
            applicant=wang,
            region=Region.objects.get(code="320205005001"),
            channel=Channel.WINDOW,
            status=Status.APPROVED,
            created_by="test",
        ),
        holder=wang,
        issuer=Region.objects.get(code="320205005001"),
        issuer_name="春雷社区",
        issued_at=timezone.now(),
        valid_until=timezone.localdate(),
        token="test-csp-token",
        pdf=b"",
        pdf_sha256="",
    )
    response = client.get(f"/verify/{certificate.token}")
    assert response.status_code == 200
    assert_strict(response, "/verify/…")
    assert 'class="verify"' in response.content.decode()


def test_api_docs_and_admin(client: Client, world: Any) -> None:
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert_strict(docs, "/api/v1/docs")
    assert "ninja/swagger-ui-init.js" in docs.content.decode()  # static, not a CDN
    assert policy(client.get("/api/v1/openapi.json")) == CSP
    assert_strict(client.get("/admin/login/"), "/admin/login/")
    admin = User.objects.create_superuser("csp.admin", password="x-long-password-1")
    client.force_login(admin)
    region = Region.objects.get(code="320205005001")
    for url in (
        "/admin/",
        "/admin/organisations/region/",
        f"/admin/organisations/region/{region.pk}/change/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{admin.pk}/change/",
        "/admin/catalog/matter/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)


class References(HTMLParser):
    """Every address a page makes the browser fetch or follow (src, href, action)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [v for k, v in attrs if k in {"src", "href", "action"} and v]


def test_api_docs_work_offline(client: Client, world: Any) -> None:
    """The API docs (Swagger UI) come from this site's static files: no CDN, no other host,
    not even the online validator Swagger UI would ask by default."""
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    parser = References()
    parser.feed(html)
    assert parser.found, html
    for address in parser.found:
        parts = urlsplit(address)
        assert not parts.scheme and not parts.netloc, address  # a path on this site
        assert address.startswith("/static/"), address
        served = client.get(address)
        assert served.status_code == 200, address
        served.close()
    assert "//" not in html.replace("<!DOCTYPE html>", "")
    settings_json = html.split('id="swagger-settings">', 1)[1].split("</script>", 1)[0]
    swagger = json.loads(settings_json)
    assert swagger["url"] == "/api/v1/openapi.json"
    assert swagger["validatorUrl"] is None


# --- HTTPS: HSTS only when TLS is declared; Secure cookies unless in debug mode ------------------

SETTINGS_FILE = Path(govdesk.settings.__file__)
SECURITY_VARIABLES = (
    "GOVDESK_DEBUG",
    "GOVDESK_TLS",
    "GOVDESK_HSTS_SECONDS",
    "GOVDESK_HSTS_INCLUDE_SUBDOMAINS",
    "GOVDESK_SSL_REDIRECT",
    "GOVDESK_BEHIND_TLS_PROXY",
    "GOVDESK_SECURE_COOKIES",
)
HTTPS_SETTINGS = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
)


def settings_from(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The HTTPS settings as settings.py computes them from these variables (and no others)."""
    for name in SECURITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    computed = runpy.run_path(str(SETTINGS_FILE))
    return {name: computed[name] for name in HTTPS_SETTINGS}


def test_cookies_are_secure_unless_debugging(monkeypatch: pytest.MonkeyPatch) -> None:
    cookies = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE")
    production = settings_from(monkeypatch)
    assert all(production[name] is True for name in cookies), production
    debugging = settings_from(monkeypatch, GOVDESK_DEBUG="true")
    assert all(debugging[name] is False for name in cookies), debugging
    debugging_over_tls = settings_from(monkeypatch, GOVDESK_DEBUG="true", GOVDESK_TLS="true")
    assert all(debugging_over_tls[name] is True for name in cookies)
    demo = settings_from(monkeypatch, GOVDESK_SECURE_COOKIES="false")  # make demo, over HTTP
    assert all(demo[name] is False for name in cookies)


def test_hsts_only_with_tls_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = settings_from(monkeypatch, GOVDESK_SSL_REDIRECT="true", GOVDESK_HSTS_SECONDS="600")
    assert plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_PROXY_SSL_HEADER"] is None
    tls = settings_from(monkeypatch, GOVDESK_TLS="true")
    assert tls["SECURE_HSTS_SECONDS"] == 31_536_000
    assert tls["SECURE_SSL_REDIRECT"] is False and tls["SECURE_PROXY_SSL_HEADER"] is None
    proxied = settings_from(
        monkeypatch,
        GOVDESK_TLS="true",
        GOVDESK_SSL_REDIRECT="true",
        GOVDESK_BEHIND_TLS_PROXY="true",
    )
    assert proxied["SECURE_SSL_REDIRECT"] is True
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def client_with(settings: Any, computed: dict[str, Any]) -> Client:
    """A client of a server configured so (a new one: SecurityMiddleware reads its settings
    when it is created)."""
    for name, value in computed.items():
        setattr(settings, name, value)
    return Client()


def test_hsts_header(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = client_with(settings, settings_from(monkeypatch))
    assert "Strict-Transport-Security" not in plain.get("/", secure=True)
    tls = client_with(
        settings,
        settings_from(monkeypatch, GOVDESK_TLS="true", GOVDESK_BEHIND_TLS_PROXY="true"),
    )
    assert tls.get("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in tls.get("/")  # plain HTTP: never
    forwarded = tls.get("/", headers={"X-Forwarded-Proto": "https"})
    assert forwarded["Strict-Transport-Security"] == "max-age=31536000"


def test_session_csrf_and_mode_cookies_are_secure(
    world: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_with(settings, settings_from(monkeypatch))
    settings.DEMO_SMS_ON_SCREEN = True
    assert client.get("/signin/").cookies["csrftoken"]["secure"] is True
    response = sign_in(client, WANG)
    assert response.cookies["sessionid"]["secure"] is True
    response = client.post("/settings/", {"elder": "1", "next": "/"})
    assert response.cookies["govdesk_elder"]["secure"] is True
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.cookies["django_language"]["secure"] is True
