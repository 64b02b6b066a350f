"""Returned for correction (退回补正): the returner names what to correct; the resident sees
the reason and what to change first, edits and uploads, and submits again; the clerk sees what
changed since the return."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from govdesk.accounts.models import User
from govdesk.applications.errors import InvalidFields
from govdesk.applications.models import Application, ApplicationEvent
from govdesk.applications.services import application_act
from govdesk.common.principal import Principal
from tests.conftest import staff_client
from tests.test_materials import DECLARATION, DIBAO, PDF, resident_dibao, upload
from tests.test_portal import sign_in

pytestmark = pytest.mark.django_db

NOTE = "application.note"
REASON = "请上传签字的家庭收入和财产申报表，并在申请说明中写明家庭困难的原因。"


def returned_dibao(client: Client) -> tuple[str, Application]:
    """李红梅's 低保 application, submitted online, accepted at the window and returned by the
    subdistrict reviewer with the note and the declaration named."""
    url, application = resident_dibao(client)
    assert client.post(f"{url}submit/").status_code == 302
    clerk = staff_client("clerk.chunlei")
    response = clerk.post(
        f"/staff/applications/{application.pk}/actions/", {"action": "accept", "idem": "a"}
    )
    assert response.status_code == 302
    reviewer = staff_client("reviewer.yunlin")
    page = reviewer.get(f"/staff/applications/{application.pk}/").content.decode()
    assert 'name="return_fields"' in page and f'value="{NOTE}"' in page
    assert 'name="return_materials"' in page and f'value="{DECLARATION}"' in page
    response = reviewer.post(
        f"/staff/applications/{application.pk}/actions/",
        {
            "action": "return",
            "comment": REASON,
            "return_fields": [NOTE],
            "return_materials": [DECLARATION],
            "idem": "r",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    application.refresh_from_db()
    assert application.status == "returned"
    return url, application


def test_the_return_names_fields_and_materials_in_the_event(client: Client, demo_sms: None) -> None:
    _url, application = returned_dibao(client)
    event = ApplicationEvent.objects.get(application=application, action="return")
    assert event.comment == REASON
    assert event.detail["fields"] == [NOTE]
    assert event.detail["materials"] == [DECLARATION]
    assert event.detail["before"]["fields"]["person.name"] == "李红梅"
    assert event.detail["before"]["uploads"] == {} and event.detail["before"]["provided"] == []


def test_a_return_naming_what_the_application_has_not_is_refused(world: Any) -> None:
    clerk = Principal(kind="staff", user=User.objects.get(username="clerk.chunlei"))
    from govdesk.applications.services import application_create, application_submit

    application = application_create(
        principal=clerk, matter_code=DIBAO, applicant="320205197405120027", channel="window"
    )
    application_submit(principal=clerk, application_id=application.pk)
    with pytest.raises(InvalidFields) as caught:
        application_act(
            principal=clerk,
            application_id=application.pk,
            action="return",
            comment="补正",
            return_fields=["no.such.field"],
            return_materials=["没有这种材料"],
        )
    assert set(caught.value.errors) == {
        "return_fields.no.such.field",
        "return_materials.没有这种材料",
    }
    application.refresh_from_db()
    assert application.status == "submitted"


def test_the_resident_sees_the_reason_and_the_fields_to_change_first(
    client: Client, demo_sms: None
) -> None:
    url, application = returned_dibao(client)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    returned = html.index('id="returned"')
    edit = html.index('id="edit"')
    materials = html.index('id="materials"')
    submit = html.index("submit-form")
    fields = html.index('class="fields"')
    assert returned < edit < materials < submit < fields  # the reason and the inputs first
    assert REASON in html
    assert f'href="#field-{NOTE}"' in html and f'id="field-{NOTE}"' in html
    assert 'href="#material-' in html and "p-material-named" in html
    assert 'id="unchanged"' in html  # nothing changed yet: said, next to the button
    me = client.get("/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "See what to correct" in me and "Check and submit" not in me

    # She writes the note and uploads the declaration; the page no longer says nothing changed.
    response = client.post(
        f"{url}save/",
        {
            "version": application.version,
            f"field-{NOTE}": "家庭困难：本人失业，配偶收入低",
            f"was-{NOTE}": "",
        },
    )
    assert response.status_code == 302
    assert upload(client, url, DECLARATION, PDF, name="declaration.pdf").status_code == 302
    html = client.get(url).content.decode()
    assert 'id="unchanged"' not in html
    assert "家庭困难：本人失业，配偶收入低" in html
    # The same value sent back unchanged is not typed again.
    version = Application.objects.get(pk=application.pk).version
    client.post(
        f"{url}save/",
        {
            "version": version,
            f"field-{NOTE}": "家庭困难：本人失业，配偶收入低",
            f"was-{NOTE}": "家庭困难：本人失业，配偶收入低",
        },
    )
    assert Application.objects.get(pk=application.pk).version == version

    assert client.post(f"{url}submit/").status_code == 302
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.events.filter(action="resubmit").count() == 1
    html = client.get(url).content.decode()
    assert 'id="returned"' not in html  # answered


def test_the_clerk_sees_what_changed_since_the_return(client: Client, demo_sms: None) -> None:
    url, application = returned_dibao(client)
    clerk = staff_client("clerk.chunlei")
    page = clerk.get(f"/staff/applications/{application.pk}/").content.decode()
    assert 'id="since-return"' in page and REASON in page
    assert 'id="nothing-changed"' in page

    client.post(
        f"{url}save/",
        {"version": application.version, f"field-{NOTE}": "本人失业", f"was-{NOTE}": ""},
    )
    assert upload(client, url, DECLARATION, PDF).status_code == 302
    assert client.post(f"{url}submit/").status_code == 302

    page = clerk.get(f"/staff/applications/{application.pk}/").content.decode()
    assert 'id="nothing-changed"' not in page
    since = page[page.index('id="since-return"') :]
    since = since[: since.index("</section>")]
    assert "Note" in since and "本人失业" in since  # the note: — → typed
    assert DECLARATION in since and "Not provided" in since and "Uploaded by" in since

    api = Client()
    from govdesk.accounts.services import token_create

    token = token_create(user=User.objects.get(username="clerk.chunlei"))
    body = api.get(
        f"/api/v1/applications/{application.pk}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert body["last_return"]["fields"] == [NOTE]
    assert body["last_return"]["materials"] == [DECLARATION]
    assert [c["key"] for c in body["last_return"]["changes"]] == [NOTE]
    assert body["last_return"]["material_changes"] == [
        {"name": DECLARATION, "before": "", "after": "uploaded", "replaced": False}
    ]


def test_the_api_returns_with_the_points_named(
    client: Client, staff_token: Any, demo_sms: None
) -> None:
    resident = Client()
    sign_in(resident, "320205197405120027")
    url = resident.post(f"/matters/{DIBAO}/apply/")["Location"]
    resident.post(f"{url}submit/")
    application = Application.objects.get(matter__code=DIBAO)
    token = staff_token("clerk.chunlei")
    response = client.post(
        f"/api/v1/applications/{application.pk}/actions",
        {"action": "return", "comment": REASON, "return_materials": [DECLARATION]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "returned"
    assert body["last_return"]["materials"] == [DECLARATION]
    assert body["last_return"]["comment"] == REASON
