"""Materials the resident must provide: the guide and the application say the same thing of
every material (one resolution, ``MaterialRequirement.need``), templates filled as far as
known, uploads checked by content and served only to those who may see the application."""

from __future__ import annotations

import hashlib
import importlib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdesk.applications.materials import STATUSES_BY_NEED, held_facts, resolve_materials
from govdesk.applications.models import Application, MaterialUpload
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent
from govdesk.catalog.models import MaterialNeed, Matter
from tests.conftest import pdf_text, staff_client
from tests.test_portal import LI, WANG, sign_in

DIBAO = "MCA-001"
DECLARATION = "家庭收入和财产申报"

pytestmark = pytest.mark.django_db


def _renders() -> bool:
    try:
        importlib.import_module("govdesk.documents.pdf")
    except Exception:
        return False
    return True


class _Materials(HTMLParser):
    """``data-need`` or ``data-status`` of each material item of a page, by material name."""

    def __init__(self, attribute: str) -> None:
        super().__init__()
        self.attribute = attribute
        self.found: dict[str, str] = {}
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and "p-material" in (a.get("class") or "").split():
            self._open, self._text = a.get(self.attribute) or "", []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._open is not None:
            words = "".join(self._text).split()
            name = re.split(r"[（(]", words[0])[0] if words else ""
            self.found[name] = self._open
            self._open = None


def materials_of(html: str, attribute: str) -> dict[str, str]:
    parser = _Materials(attribute)
    parser.feed(html)
    return parser.found


def start_online(client: Client, code: str) -> str:
    response = client.post(f"/matters/{code}/apply/")
    assert response.status_code == 302, response
    return str(response["Location"])


def test_the_guide_and_the_application_agree_on_the_income_declaration(
    client: Client, demo_sms: None
) -> None:
    """Before: the guide said 无需提交 and the application 需您提供. Now the guide says what
    the resident provides, and for what the system may hold, that it is needed only if the
    system does not hold it; the application resolves each within what the guide said."""
    guide = client.get(f"/matters/{DIBAO}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    needs = materials_of(guide, "data-need")
    assert needs[DECLARATION] == MaterialNeed.RESIDENT
    declaration = guide[guide.index(DECLARATION) :]
    declaration = declaration[: declaration.index("</li>")]
    assert "需您提供" in declaration and "无需提交" not in declaration
    assert needs["申请人居民身份证"] == MaterialNeed.UNLESS_HELD
    assert needs["最低生活保障申请书"] == MaterialNeed.RESIDENT

    sign_in(client, LI)
    url = start_online(client, DIBAO)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    statuses = materials_of(page, "data-status")
    assert statuses[DECLARATION] == "required"
    assert statuses["申请人居民身份证"] == "licence"  # she holds the e-licence
    assert set(statuses) <= set(needs)
    for name, status in statuses.items():
        assert status in STATUSES_BY_NEED[needs[name]], (name, needs[name], status)


def test_no_material_of_any_matter_contradicts_its_guide() -> None:
    """For two personas and every published matter, each material's status for that person
    is one the guide's word for it allows."""
    for id_number in (LI, WANG):
        for matter in Matter.objects.filter(published=True).prefetch_related("materials"):
            requirements = list(matter.materials.all())
            needed, optional = resolve_materials(
                requirements=requirements,
                held=held_facts(id_number=id_number, requirements=requirements),
                provided=[],
                produced_earlier={},
            )
            needs = {r.name: r.need for r in requirements}
            for status in [*needed, *optional]:
                allowed = STATUSES_BY_NEED[needs[status.name]]
                assert status.status in allowed, (matter.code, status.name, status.status)
                assert status.need == needs[status.name]


def test_the_api_guide_names_each_materials_need(client: Client) -> None:
    guide = client.get(f"/api/v1/matters/{DIBAO}").json()
    by_name = {m["name"]: m for m in guide["materials"]}
    assert by_name[DECLARATION]["need"] == "resident"
    assert by_name[DECLARATION]["template"] is True
    assert by_name["申请人居民身份证"]["need"] == "unless_held"
    assert DECLARATION in guide["materials_to_bring"]
    assert "申请人居民身份证" not in guide["materials_to_bring"]
    assert Application.objects.count() == 0


# --- templates: filled as far as known, to complete and sign ----------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TEMPLATE = "household_income_declaration"


def resident_dibao(client: Client) -> tuple[str, Application]:
    """李红梅 signed in, with an online 低保 application under way."""
    sign_in(client, LI)
    url = start_online(client, DIBAO)
    return url, Application.objects.get(applicant__id_number=LI, matter__code=DIBAO)


def upload(client: Client, url: str, material: str, content: bytes, name: str = "p.jpg") -> Any:
    version = Application.objects.get(pk=url.rstrip("/").rsplit("/", 1)[-1]).version
    return client.post(
        f"{url}upload/",
        {
            "material": material,
            "version": version,
            # The browser's word for the type is ignored: the content decides.
            "file": SimpleUploadedFile(name, content, content_type="application/octet-stream"),
        },
    )


def refused(client: Client, response: Any, url: str) -> str:
    """A refused upload goes back to the application page (redirect after POST), which says
    why once; returns that page."""
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == f"{url}#materials-title"
    page = client.get(url)
    assert page.status_code == 200
    html: str = page.content.decode()
    assert 'role="alert"' in html
    return html


@pytest.mark.skipif(not _renders(), reason="govdesk.documents.pdf cannot render here")
def test_the_declaration_template_is_filled_as_far_as_known(client: Client, demo_sms: None) -> None:
    url, application = resident_dibao(client)
    page = client.get(url).content.decode()
    link = f"{url}templates/{TEMPLATE}.pdf"
    assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    printed = pdf_text(response.content)
    assert "家庭收入和财产申报表" in printed and DECLARATION in printed
    assert "李红梅" in printed and "张伟" in printed  # herself and her household, from registry
    assert "320205********0027" in printed and LI not in printed  # masked on her download
    assert "承诺" in printed and "签字" in printed
    assert application.number in printed
    # A template the matter's materials do not name is nothing to print.
    assert client.get(f"{url}templates/no_such_template.pdf").status_code == 404

    clerk = staff_client("clerk.chunlei")
    staff_url = f"/staff/applications/{application.pk}/templates/{TEMPLATE}.pdf"
    assert clerk.get(staff_url).status_code == 200
    row = AuditEvent.objects.filter(action=AuditAction.APPLICATION_TEMPLATE_PDF).last()
    assert row is not None and row.actor == "clerk.chunlei"
    assert row.detail["material"] == DECLARATION and row.detail["unmasked"] is False
    assert staff_client("clerk.dongting").get(staff_url).status_code == 404


# --- uploads: checked by content, stored outside the database, served to those who may --------


def test_an_upload_is_checked_by_content_and_stored_outside_the_database(
    client: Client, demo_sms: None, settings: Any
) -> None:
    url, application = resident_dibao(client)
    # A JPEG named .pdf and declared as something else is a JPEG.
    response = upload(client, url, DECLARATION, JPEG, name="declaration.pdf")
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = MaterialUpload.objects.get(application=application)
    assert stored.content_type == "image/jpeg" and stored.size == len(JPEG)
    assert stored.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", stored.path)
    assert stored.path[:2] == stored.path[3:5]
    on_disk = Path(settings.DATA_DIR) / "uploads" / stored.path
    assert on_disk.read_bytes() == JPEG
    assert on_disk.stat().st_mode & 0o077 == 0  # the server's only
    assert stored.uploaded_by.startswith("resident:") and stored.uploaded_by_role == "resident"
    event = application.events.get(action="upload")
    assert event.detail["material"] == DECLARATION and event.detail["sha256"] == stored.sha256

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert materials_of(page, "data-status")[DECLARATION] == "uploaded"
    assert "已上传" in page
    assert f"{url}uploads/{stored.id}/" in page

    for content, why in ((b"", "empty"), (b"<html><script>", "html"), (b"GIF89a....", "gif")):
        refused(client, upload(client, url, DECLARATION, content, name="photo.jpg"), url)
        assert 'role="alert"' not in client.get(url).content.decode(), why  # said once
    settings.UPLOAD_MAX_BYTES = 100
    html = refused(client, upload(client, url, DECLARATION, PNG + b"\x00" * 100), url)
    assert "larger than" in html or "超过" in html
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    # What the system holds is not uploaded: her ID card is an e-licence.
    refused(client, upload(client, url, "申请人居民身份证", PNG), url)
    refused(client, upload(client, url, "没有这种材料", PNG), url)
    assert MaterialUpload.objects.filter(application=application).count() == 1
    files = [p for p in (Path(settings.DATA_DIR) / "uploads").rglob("*") if p.is_file()]
    assert files == [on_disk]  # what was refused was not kept


def test_an_upload_is_served_only_to_those_who_may_see_the_application_and_audited(
    client: Client, demo_sms: None, api: Any, staff_token: Any
) -> None:
    url, application = resident_dibao(client)
    assert upload(client, url, DECLARATION, PDF, name="scan.pdf").status_code == 302
    stored = MaterialUpload.objects.get(application=application)
    file_url = f"{url}uploads/{stored.id}/"

    response = client.get(file_url)
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert application.number in response["Content-Disposition"]
    reads = AuditEvent.objects.filter(action=AuditAction.APPLICATION_UPLOAD_READ)
    assert reads.count() == 1 and reads.get().detail["upload"] == str(stored.id)

    other = Client()
    sign_in(other, WANG)
    assert other.get(file_url).status_code == 404
    assert Client().get(file_url).status_code == 302  # to sign in, never the file
    staff_url = f"/staff/applications/{application.pk}/uploads/{stored.id}/"
    assert staff_client("clerk.dongting").get(staff_url).status_code == 404
    assert Client().get(staff_url).status_code == 302
    clerk = staff_client("clerk.chunlei")
    assert clerk.get(staff_url).content == PDF
    assert reads.count() == 2 and reads.last().actor == "clerk.chunlei"  # type: ignore[union-attr]
    api_url = f"/api/v1/applications/{application.pk}/uploads/{stored.id}"
    response = api.get(api_url, staff_token("clerk.chunlei"))
    assert response.status_code == 200 and response.content == PDF
    assert api.get(api_url, staff_token("clerk.dongting")).status_code == 404
    assert api.get(api_url).status_code == 401
    assert reads.count() == 3
    detail = api.get(f"/api/v1/applications/{application.pk}", staff_token("clerk.chunlei")).json()
    declaration = next(m for m in detail["materials"] if m["name"] == DECLARATION)
    assert declaration["status"] == "uploaded" and declaration["upload"]["url"] == api_url
    assert declaration["template_url"].endswith(f"/templates/{TEMPLATE}.pdf")


def test_an_upload_is_replaced_while_editable_and_no_longer_after(
    client: Client, demo_sms: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url, application = resident_dibao(client)
    assert upload(client, url, DECLARATION, JPEG).status_code == 302
    first = MaterialUpload.objects.get(application=application)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, url, DECLARATION, PNG, name="better.png").status_code == 302
    first.refresh_from_db()
    current = MaterialUpload.objects.get(application=application, replaced_at__isnull=True)
    assert first.replaced_at is not None and current.content_type == "image/png"
    root = Path(settings.DATA_DIR) / "uploads"
    assert not (root / first.path).exists() and (root / current.path).exists()
    assert client.get(f"{url}uploads/{first.id}/").status_code == 404
    assert application.events.filter(action="upload").last().detail["replaced"] == str(first.id)  # type: ignore[union-attr]

    assert client.post(f"{url}submit/").status_code == 302
    application.refresh_from_db()
    assert application.status == "submitted"
    response = upload(client, url, DECLARATION, JPEG)
    assert response.status_code == 302  # back to the page, with the message
    assert MaterialUpload.objects.filter(application=application).count() == 2
    page = client.get(url).content.decode()
    assert "upload-form" not in page


def test_the_clerk_uploads_at_the_window(world: Any) -> None:
    clerk = staff_client("clerk.chunlei")
    response = clerk.post("/staff/applications/start/", {"matter": DIBAO, "applicant": LI})
    url = str(response["Location"])
    application = Application.objects.get(pk=url.rstrip("/").rsplit("/", 1)[-1])
    page = clerk.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and f'value="{DECLARATION}"' in page
    assert f"/staff/applications/{application.pk}/templates/{TEMPLATE}.pdf" in page
    response = clerk.post(
        f"{url}uploads/",
        {
            "application": str(application.pk),
            "version": str(application.version),
            "material": DECLARATION,
            "file": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(
        f"#materials-{application.pk}"
    )
    stored = MaterialUpload.objects.get(application=application)
    assert stored.uploaded_by == "clerk.chunlei" and stored.content_type == "application/pdf"
    page = clerk.get(url).content.decode()
    assert "Uploaded by the applicant" in page and f"uploads/{stored.id}/" in page
    # A reviewer decides; they do not provide the applicant's materials.
    reviewer = staff_client("reviewer.yunlin")
    response = reviewer.post(
        f"{url}uploads/",
        {
            "application": str(application.pk),
            "material": DECLARATION,
            "file": SimpleUploadedFile("x.png", PNG),
        },
    )
    assert response.status_code == 403
    assert MaterialUpload.objects.filter(application=application).count() == 1
