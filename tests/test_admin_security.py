"""The admin: security settings need the security permission; every save and delete is audited
with the fields changed, secrets and identity numbers never in clear."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from govdesk.accounts.models import User
from govdesk.audit.adminsite import AuditedModelAdmin
from govdesk.audit.models import AuditEvent
from govdesk.catalog.models import Bundle, LifeEvent, QAEntry
from govdesk.common.roles import SECURITY_PERMISSION
from govdesk.forms.models import DataElement, Sensitivity
from govdesk.organisations.models import Department, Region
from tests.conftest import staff_client

pytestmark = pytest.mark.usefixtures("world")

NEW_PASSWORD = {
    "password1": "N3w-passw0rd-x",
    "password2": "N3w-passw0rd-x",
    "set_usable_password": "true",
}


def _url(obj: Any, view: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def _changelist(model: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back, unchanged, from an admin change page: the main form,
    and each inline formset with its management form."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms:
        for field in form:
            if field.field.disabled:
                continue
            value = field.value()
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(item) for item in value]
            elif value is not None:
                data[field.html_name] = value
    return data


def _rows(action: str, since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, seq__gt=since).order_by("seq"))


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def _id_number_element() -> DataElement:
    return DataElement.objects.get(key="person.id_number")


def _helpdesk() -> User:
    """Staff who may edit accounts (names, passwords) but hold no security permission."""
    user = User.objects.create_user(
        "helpdesk", password="x-irrelevant-1", is_staff=True, role="", first_name="H"
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="accounts", codename__in=["view_user", "change_user"]
        )
    )
    return user


def test_every_admin_registration_is_audited() -> None:
    registry = admin.site._registry
    assert registry, "nothing registered"
    plain = [
        model
        for model, model_admin in registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
    ]
    assert plain == []
    assert Group in registry


def test_only_the_security_officer_holds_the_security_permission() -> None:
    assert User.objects.get(username="security.officer").has_perm(SECURITY_PERMISSION)
    for name in ("operator.data", "auditor", "clerk.chunlei", "reviewer.yunlin"):
        assert not User.objects.get(username=name).has_perm(SECURITY_PERMISSION), name


def test_operator_sees_sensitivity_read_only() -> None:
    element = _id_number_element()
    response = staff_client("operator.data").get(_url(element))
    assert response.status_code == 200
    assert "sensitivity" not in response.context["adminform"].form.fields
    assert "sensitivity" in response.context["adminform"].readonly_fields
    assert 'name="sensitivity"' not in response.content.decode()


def test_operator_cannot_smuggle_a_sensitivity_change() -> None:
    element = _id_number_element()
    before = element.sensitivity
    assert before == Sensitivity.SENSITIVE
    client = staff_client("operator.data")
    data = _form_data(client.get(_url(element)))
    data["sensitivity"] = Sensitivity.PUBLIC
    data["label"] = "changed on the way"
    since = _last_seq()
    response = client.post(_url(element), data)
    assert response.status_code == 403
    element.refresh_from_db()
    assert element.sensitivity == before and element.label != "changed on the way"
    [refused] = _rows("admin.refused", since)
    assert refused.result == "denied" and refused.actor == "operator.data"
    assert refused.subject_type == "govforms.dataelement"
    assert refused.subject_id == str(element.pk)
    assert refused.detail["changes"] == {"sensitivity": ["sensitive", "public"]}
    assert _rows("admin.changed", since) == []


def test_operator_still_edits_the_rest_of_a_data_element() -> None:
    element = _id_number_element()
    old = element.label_en
    client = staff_client("operator.data")
    data = _form_data(client.get(_url(element)))
    data["label_en"] = "Identity number (new)"
    since = _last_seq()
    response = client.post(_url(element), data)
    assert response.status_code == 302, response.content[:2000]
    element.refresh_from_db()
    assert element.label_en == "Identity number (new)"
    assert element.sensitivity == Sensitivity.SENSITIVE
    [changed] = _rows("admin.changed", since)
    assert changed.detail["model"] == "govforms.dataelement"
    assert changed.detail["changes"] == {"label_en": [old, "Identity number (new)"]}


def test_operator_cannot_lower_sensitivity_by_deleting_and_creating_again() -> None:
    element = _id_number_element()
    client = staff_client("operator.data")
    assert client.post(_url(element, "delete"), {"post": "yes"}).status_code == 302
    since = _last_seq()
    response = client.post(
        reverse("admin:govforms_dataelement_add"),
        {
            "key": "person.id_number",
            "type": "id_number",
            "label": "身份证号",
            "choices": "[]",
            "default": "null",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert _id_number_element().sensitivity == Sensitivity.SENSITIVE
    [created] = _rows("admin.created", since)
    assert created.detail["changes"]["sensitivity"] == [None, "sensitive"]


def test_security_officer_changes_sensitivity_audited_old_to_new() -> None:
    element = _id_number_element()
    client = staff_client("security.officer")
    page = client.get(_url(element))
    assert "sensitivity" in page.context["adminform"].form.fields
    data = _form_data(page)
    data["sensitivity"] = Sensitivity.PERSONAL
    since = _last_seq()
    response = client.post(_url(element), data)
    assert response.status_code == 302
    element.refresh_from_db()
    assert element.sensitivity == Sensitivity.PERSONAL
    [changed] = _rows("admin.changed", since)
    assert changed.actor == "security.officer" and changed.actor_role == "security"
    assert changed.detail == {
        "model": "govforms.dataelement",
        "object": str(element),
        "changes": {"sensitivity": ["sensitive", "personal"]},
    }


def test_a_change_with_inlines_and_many_to_many_writes_one_row() -> None:
    bundle = Bundle.objects.filter(steps__isnull=False).distinct().first()
    assert bundle is not None
    client = staff_client("operator.data")
    data = _form_data(client.get(_url(bundle)))
    data["name"] = bundle.name + "（新）"
    data["steps-0-order"] = "99"
    since = _last_seq()
    response = client.post(_url(bundle), data)
    assert response.status_code == 302, response.content[:3000]
    [changed] = _rows("admin.changed", since)
    assert changed.detail["changes"] == {"name": [bundle.name, bundle.name + "（新）"]}
    [step] = changed.detail["inlines"]
    assert step["model"] == "catalog.bundlestep" and step["action"] == "changed"
    assert step["changes"]["order"][1] == 99


def test_create_and_delete_one_are_audited() -> None:
    client = staff_client("operator.data")
    since = _last_seq()
    response = client.post(
        reverse("admin:catalog_lifeevent_add"),
        {"code": "test-event", "name": "测试", "name_en": "Test", "order": "7"},
    )
    assert response.status_code == 302, response.content[:2000]
    event = LifeEvent.objects.get(code="test-event")
    [created] = _rows("admin.created", since)
    assert created.subject_id == str(event.pk)
    assert created.detail["changes"]["code"] == [None, "test-event"]
    assert created.detail["changes"]["order"] == [None, 7]

    since = _last_seq()
    response = client.post(_url(event, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not LifeEvent.objects.filter(code="test-event").exists()
    [deleted] = _rows("admin.deleted", since)
    assert deleted.actor == "operator.data"
    assert deleted.subject_type == "catalog.lifeevent" and deleted.subject_id == str(event.pk)
    assert deleted.detail["changes"]["code"] == ["test-event", None]
    assert deleted.detail["changes"]["name"] == ["测试", None]


def test_bulk_delete_writes_one_row_per_object() -> None:
    entries = list(QAEntry.objects.order_by("pk")[:3])
    assert len(entries) == 3
    since = _last_seq()
    response = staff_client("operator.data").post(
        _changelist(QAEntry),
        {
            "action": "delete_selected",
            "_selected_action": [str(entry.pk) for entry in entries],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not QAEntry.objects.filter(pk__in=[entry.pk for entry in entries]).exists()
    rows = _rows("admin.deleted", since)
    assert sorted(row.subject_id for row in rows) == sorted(str(entry.pk) for entry in entries)
    for row in rows:
        assert row.detail["model"] == "catalog.qaentry"
        assert row.detail["changes"]["question"][1] is None


def test_deleting_reports_what_the_database_deleted_with_it() -> None:
    bundle = Bundle.objects.filter(steps__isnull=False).distinct().first()
    assert bundle is not None
    steps = bundle.steps.count()
    since = _last_seq()
    response = staff_client("operator.data").post(_url(bundle, "delete"), {"post": "yes"})
    assert response.status_code == 302
    [deleted] = _rows("admin.deleted", since)
    assert deleted.detail["cascade"] == {"catalog.bundlestep": steps}


def test_id_numbers_in_values_are_masked() -> None:
    number = "320205197405120027"
    since = _last_seq()
    response = staff_client("operator.data").post(
        reverse("admin:catalog_qaentry_add"),
        {"order": "1", "question": f"What about {number}?", "answer": "A", "keywords": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    [created] = _rows("admin.created", since)
    text = json.dumps(created.detail, ensure_ascii=False) + created.subject_label
    assert number not in text
    assert "320205********0027" in text


def test_password_changes_are_audited_without_the_hash() -> None:
    clerk = User.objects.get(username="clerk.dongting")
    old_hash = clerk.password
    client = staff_client("security.officer")
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    since = _last_seq()
    response = client.post(url, NEW_PASSWORD)
    assert response.status_code == 302, response.content[:2000]
    clerk.refresh_from_db()
    assert clerk.password != old_hash
    [changed] = _rows("admin.changed", since)
    assert changed.detail["changes"] == {"password": ["[redacted]", "[redacted]"]}
    text = json.dumps(changed.detail)
    assert old_hash not in text and clerk.password not in text


def _user_form(client: Client, user: User) -> tuple[dict[str, Any], Any]:
    page = client.get(_url(user))
    assert page.status_code == 200
    return _form_data(page), page


def test_operator_cannot_touch_accounts_or_groups() -> None:
    operator = User.objects.get(username="operator.data")
    client = staff_client("operator.data")
    assert client.get(_url(operator)).status_code == 403
    response = client.post(
        _url(operator),
        {"username": "operator.data", "role": "security", "is_superuser": "on"},
    )
    assert response.status_code == 403
    group = Group.objects.get(name="数据局 catalogue")
    response = client.post(
        _url(group),
        {
            "name": group.name,
            "permissions": [str(Permission.objects.get(codename="manage_security").pk)],
        },
    )
    assert response.status_code == 403
    operator.refresh_from_db()
    assert not operator.is_superuser and operator.role == "operator"
    assert not operator.has_perm(SECURITY_PERMISSION)


def test_an_account_editor_cannot_grant_themselves_security_rights() -> None:
    helpdesk = _helpdesk()
    client = staff_client(helpdesk.username)
    data, page = _user_form(client, helpdesk)
    form = page.context["adminform"].form
    for name in (
        "role",
        "jurisdiction",
        "department",
        "is_superuser",
        "is_staff",
        "groups",
        "user_permissions",
    ):
        assert name not in form.fields, name
    # Their name they may change.
    data["first_name"] = "Helga"
    assert client.post(_url(helpdesk), data).status_code == 302
    helpdesk.refresh_from_db()
    assert helpdesk.first_name == "Helga"

    security = Permission.objects.get(codename="manage_security")
    city = Region.objects.get(code="320200000000")
    for field, value in [
        ("is_superuser", "on"),
        ("user_permissions", [str(security.pk)]),
        ("groups", [str(Group.objects.get(name="数据局 security").pk)]),
        ("role", "security"),
        ("jurisdiction", str(city.pk)),
    ]:
        since = _last_seq()
        response = client.post(_url(helpdesk), {**data, field: value})
        assert response.status_code == 403, field
        [refused] = _rows("admin.refused", since)
        assert field in refused.detail["changes"]
    helpdesk = User.objects.get(pk=helpdesk.pk)
    assert not helpdesk.is_superuser and helpdesk.role == "" and helpdesk.jurisdiction is None
    assert not helpdesk.has_perm(SECURITY_PERMISSION)
    assert not helpdesk.groups.exists()


def test_an_account_editor_cannot_take_over_a_stronger_account() -> None:
    helpdesk = _helpdesk()
    client = staff_client(helpdesk.username)
    officer = User.objects.get(username="security.officer")
    page = client.get(_url(officer))
    assert page.status_code == 200 and "Change" not in page.context["title"]
    password = reverse("admin:auth_user_password_change", args=[officer.pk])
    response = client.post(password, NEW_PASSWORD)
    assert response.status_code == 403
    assert client.post(_url(officer, "delete"), {"post": "yes"}).status_code == 403


def test_security_officer_sets_roles_but_makes_no_superuser() -> None:
    clerk = User.objects.get(username="clerk.dongting")
    client = staff_client("security.officer")
    data, page = _user_form(client, clerk)
    assert "role" in page.context["adminform"].form.fields
    assert "is_superuser" not in page.context["adminform"].form.fields
    data["role"] = "reviewer"
    since = _last_seq()
    assert client.post(_url(clerk), data).status_code == 302
    clerk.refresh_from_db()
    assert clerk.role == "reviewer"
    [changed] = _rows("admin.changed", since)
    assert changed.detail["changes"] == {"role": ["clerk", "reviewer"]}
    assert client.post(_url(clerk), {**data, "is_superuser": "on"}).status_code == 403
    clerk.refresh_from_db()
    assert not clerk.is_superuser


def test_granted_groups_and_permissions_are_named_in_the_trail() -> None:
    clerk = User.objects.get(username="clerk.dongting")
    group = Group.objects.get(name="数据局 security")
    client = staff_client("security.officer")
    data, _page = _user_form(client, clerk)
    data["groups"] = [str(group.pk)]
    since = _last_seq()
    assert client.post(_url(clerk), data).status_code == 302
    assert clerk.has_perm(SECURITY_PERMISSION)
    [changed] = _rows("admin.changed", since)
    assert changed.detail["changes"] == {"groups": [[], [f"数据局 security (#{group.pk})"]]}


def test_an_admin_registered_without_the_mixin_is_audited_too() -> None:
    """The organisations' admin does not name AuditedModelAdmin; the site mixes it in."""
    User.objects.create_superuser("root", password="x-irrelevant-1")
    department = Department.objects.get(code="hrss")
    client = staff_client("root")
    data = _form_data(client.get(_url(department)))
    district = Region.objects.get(code="320213000000")
    data["region"] = str(district.pk)
    since = _last_seq()
    assert client.post(_url(department), data).status_code == 302
    [changed] = _rows("admin.changed", since)
    assert changed.actor_role == "superuser"
    old, new = changed.detail["changes"]["region"]
    assert old.startswith("锡山区 (#") and new == f"梁溪区 (#{district.pk})"
