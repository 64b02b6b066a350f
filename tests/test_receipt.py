"""The acceptance receipt (受理回执): issued at acceptance, a PDF with the number, the matter,
the applicant (masked ID), the accepting service point, the statutory time limit and the
expected date; printed at the window (audited), downloaded online, read through the API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from govdesk.applications import printing
from govdesk.applications.models import Application
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent
from tests.conftest import pdf_text, staff_client
from tests.test_materials import _renders, resident_dibao
from tests.test_portal import LI, WANG, sign_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not _renders(), reason="govdesk.documents.pdf cannot render here"),
]


def accepted_dibao(client: Client) -> tuple[str, Application]:
    url, application = resident_dibao(client)
    assert client.post(f"{url}submit/").status_code == 302
    response = staff_client("clerk.chunlei").post(
        f"/staff/applications/{application.pk}/actions/", {"action": "accept", "idem": "a"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    return url, application


def test_no_receipt_before_acceptance(client: Client, demo_sms: None, staff_token: Any) -> None:
    url, application = resident_dibao(client)
    assert "receipt.pdf" not in client.get(url).content.decode()
    clerk = staff_client("clerk.chunlei")
    assert clerk.get(f"/staff/applications/{application.pk}/receipt.pdf").status_code == 409
    response = client.get(
        f"/api/v1/applications/{application.pk}/receipt.pdf",
        headers={"Authorization": f"Bearer {staff_token('clerk.chunlei')}"},
    )
    assert response.status_code == 409 and response.json()["code"] == "state_conflict"
    assert client.get(f"{url}receipt.pdf").status_code == 302  # back to the page, said why


def test_the_window_prints_the_receipt_after_acceptance(client: Client, demo_sms: None) -> None:
    _url, application = accepted_dibao(client)
    clerk = staff_client("clerk.chunlei")
    page = clerk.get(f"/staff/applications/{application.pk}/").content.decode()
    link = f"/staff/applications/{application.pk}/receipt.pdf"
    assert f'href="{link}"' in page
    response = clerk.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    printed = pdf_text(response.content)
    assert "受理回执" in printed and application.number in printed
    assert "最低生活保障申请" in printed and "锡山区民政局" in printed
    assert "李红梅" in printed and "320205********0027" in printed and LI not in printed
    assert "春雷社区" in printed  # the accepting service point
    assert "30个工作日" in printed  # the statutory time limit
    deadline = application.deadline
    assert deadline is not None
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in printed
    row = AuditEvent.objects.filter(action=AuditAction.APPLICATION_RECEIPT_PDF).last()
    assert row is not None and row.actor == "clerk.chunlei"
    assert row.detail["application"] == str(application.pk)
    assert staff_client("clerk.dongting").get(link).status_code == 404


def test_the_resident_downloads_the_receipt_online(
    client: Client, demo_sms: None, staff_token: Any
) -> None:
    url, application = accepted_dibao(client)
    link = f"{url}receipt.pdf"
    assert f'href="{link}"' in client.get(url).content.decode()
    assert f'href="{link}"' in client.get("/me/").content.decode()  # and in My applications
    response = client.get(link)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert not AuditEvent.objects.filter(action=AuditAction.APPLICATION_RECEIPT_PDF).exists()
    other = Client()
    sign_in(other, WANG)
    assert other.get(link).status_code == 404

    api = f"/api/v1/applications/{application.pk}"
    token = staff_token("clerk.chunlei")
    body = client.get(api, headers={"Authorization": f"Bearer {token}"}).json()
    assert body["receipt_url"] == f"{api}/receipt.pdf"
    response = client.get(f"{api}/receipt.pdf", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert re.search(r'filename="GD\d+-receipt\.pdf"', response["Content-Disposition"])


def test_a_returned_application_has_no_receipt_until_accepted_again(
    client: Client, demo_sms: None
) -> None:
    url, application = accepted_dibao(client)
    reviewer = staff_client("reviewer.yunlin")
    reviewer.post(
        f"/staff/applications/{application.pk}/actions/",
        {"action": "return", "comment": "请补充材料", "idem": "r"},
    )
    assert "receipt.pdf" not in client.get(url).content.decode()
    link = f"/staff/applications/{application.pk}/receipt.pdf"
    assert staff_client("clerk.chunlei").get(link).status_code == 409


def test_a_character_no_font_has_stops_the_receipt(
    client: Client, demo_sms: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _url, application = accepted_dibao(client)
    real = printing.receipt_data

    def with_private_use(found: Application) -> dict[str, Any]:
        data = real(found)
        data["applicant"] = "李\ue000梅"
        return data

    monkeypatch.setattr(printing, "receipt_data", with_private_use)
    response = staff_client("clerk.chunlei").get(
        f"/staff/applications/{application.pk}/receipt.pdf"
    )
    assert response.status_code == 422
    assert "U+E000" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.APPLICATION_RECEIPT_PDF).exists()
