from __future__ import annotations

import json
import re
from typing import Any

import pytest

from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_verify, subject_ref
from govdesk.common.idnumbers import check_character
from govdesk.demo.loader import PERSONA_NUMBERS, SUN_JIZHEN

LI = "320205197405120027"
URL = "/api/v1/people/lookup"


def lookup(api: Any, number: str, token: str | None = None, **body: Any) -> Any:
    """The look-up as clients make it: the number in the body, never in the URL."""
    headers = body.pop("headers", {})
    return api.post(URL, token, {"id_number": number, **body}, **headers)


def body_text(response: Any) -> str:
    text: str = response.content.decode()
    return text


def test_clerk_reads_li_hongmei_masked_and_audited(api: Any, staff_token: Any) -> None:
    token = staff_token("clerk.chunlei")
    before = AuditEvent.objects.count()
    response = lookup(api, LI, token)
    assert response.status_code == 200
    data = response.json()
    assert data["name"]["value"] == "李红梅"
    assert data["name"]["source"] == "population"
    assert data["sex"] == "F" and data["age"] >= 52
    assert data["id_number"] == "320205********0027"
    members = {m["name"]: m for m in data["household"]["members"]}
    assert set(members) == {"李红梅", "张伟"}
    assert members["张伟"]["relation"] == "head"
    kinds = {lic["type"] for lic in data["licences"]}
    assert {"id_card", "household_register", "social_security_card"} <= kinds
    card = next(lic for lic in data["licences"] if lic["type"] == "social_security_card")
    assert card["data"]["bank"] == "江苏银行"
    assert "6214960012345678901" not in body_text(response)
    assert any(e["end_date"] == "2026-09-30" for e in data["employment"])
    # No full ID number of anyone anywhere in the body.
    text = body_text(response) + json.dumps(data, ensure_ascii=False)
    for number in PERSONA_NUMBERS:
        assert number not in text
    rows = list(AuditEvent.objects.filter(seq__gt=before, action=AuditAction.PERSON_READ))
    assert len(rows) == 1
    row = rows[0]
    assert (row.actor, row.actor_role, row.result) == ("clerk.chunlei", "clerk", "ok")
    assert row.subject_id == subject_ref(LI) and row.subject_label == "320205********0027"
    assert row.ip == "127.0.0.1"
    assert audit_verify().ok


def test_unmask_by_a_role_that_may(api: Any, staff_token: Any) -> None:
    token = staff_token("clerk.chunlei")
    response = lookup(api, LI, token, unmask=True, purpose="identity check")
    assert response.status_code == 200
    assert response.json()["id_number"] == LI
    row = AuditEvent.objects.filter(action=AuditAction.PERSON_READ).last()
    assert row is not None and row.detail["unmasked"] is True
    assert row.purpose == "identity check"


def test_without_token_401(api: Any, world: Any) -> None:
    response = lookup(api, LI)
    assert response.status_code == 401
    assert response.json()["detail"] and response.json()["code"] == "unauthenticated"


def test_bad_token_401(api: Any, world: Any) -> None:
    assert lookup(api, LI, "gd_not-a-token").status_code == 401


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("320205197405120028", "checksum"),
        ("32020519740512002", "length"),
        ("32020519740230002" + check_character("32020519740230002"), "birth_date"),
        ("9999991974051200", "length"),
        ("32020519740512002A", "format"),
    ],
)
def test_invalid_number_422_with_message(
    api: Any, staff_token: Any, number: str, code: str
) -> None:
    response = lookup(api, number, staff_token("clerk.chunlei"))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_fields" and response.json()["message"]
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["id_number"]
    assert detail[0]["type"] == code
    assert detail[0]["msg"]
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_READ, result="invalid").exists()


def test_invalid_number_message_is_translated(api: Any, staff_token: Any) -> None:
    response = lookup(
        api,
        "320205197405120028",
        staff_token("clerk.chunlei"),
        headers={"Accept-Language": "zh-hans"},
    )
    assert "校验" in response.json()["detail"][0]["msg"]


def test_unknown_person_404(api: Any, staff_token: Any) -> None:
    response = lookup(api, "110101199003070011", staff_token("clerk.chunlei"))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_READ, result="not_found").exists()


@pytest.mark.parametrize("username", ["operator.data", "auditor"])
def test_roles_that_may_not_read_people_403(api: Any, staff_token: Any, username: str) -> None:
    response = lookup(api, LI, staff_token(username))
    assert response.status_code == 403
    row = AuditEvent.objects.filter(action=AuditAction.PERSON_READ).last()
    assert row is not None and row.result == "denied" and row.actor == username


def test_other_communitys_clerk_403_and_audited(api: Any, staff_token: Any) -> None:
    response = lookup(api, LI, staff_token("clerk.dongting"))
    assert response.status_code == 403
    row = AuditEvent.objects.filter(action=AuditAction.PERSON_READ).last()
    assert row is not None
    assert (row.actor, row.result, row.detail["why"]) == (
        "clerk.dongting",
        "denied",
        "jurisdiction",
    )
    assert "李红梅" not in body_text(response)


@pytest.mark.parametrize("username", ["reviewer.yunlin", "approver.hrss"])
def test_higher_levels_read_within_jurisdiction(api: Any, staff_token: Any, username: str) -> None:
    assert lookup(api, LI, staff_token(username)).status_code == 200


def test_resident_token_may_not_read_registry(api: Any, world: Any) -> None:
    from govdesk.accounts.services import token_create
    from govdesk.people.models import Person

    token = token_create(resident=Person.objects.get(id_number=LI))
    assert lookup(api, LI, token).status_code == 403


def test_extension_b_name_round_trips(api: Any, staff_token: Any) -> None:
    from govdesk.people.models import Person

    assert Person.objects.get(id_number=SUN_JIZHEN).name == "孙\U00020bb7珍"
    response = lookup(api, SUN_JIZHEN, staff_token("clerk.chunlei"))
    assert response.json()["name"]["value"] == "孙\U00020bb7珍"
    assert "孙\U00020bb7珍".encode() in response.content or "\\ud842\\udfb7" in body_text(response)


def test_wang_jianguo_household_of_six(api: Any, staff_token: Any) -> None:
    data = lookup(api, "320205196803090017", staff_token("clerk.chunlei")).json()
    assert data["household"]["size"] == 6
    relations = sorted(m["relation"] for m in data["household"]["members"])
    assert relations == sorted(["head", "spouse", "son", "daughter_in_law", "grandson", "mother"])


def test_person_read_query_count_is_constant(
    api: Any, staff_token: Any, django_assert_max_num_queries: Any
) -> None:
    token = staff_token("clerk.chunlei")
    with django_assert_max_num_queries(14):
        assert lookup(api, "320205196803090017", token).status_code == 200


def test_openapi_document(client: Any, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert "post" in doc["paths"]["/api/v1/people/lookup"]
    assert client.get("/api/v1/docs").status_code == 200


# No ID number in a URL (hardening issue, item 8) ------------------------------------------


def test_no_people_path_takes_an_id_number(client: Any, db: None) -> None:
    """URLs land in access logs: no path of the API is made of a person's number."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if "id_number" in p]
    assert "/api/v1/people/{id_number}" not in paths


def test_the_old_get_with_the_number_in_the_path_is_gone(api: Any, staff_token: Any) -> None:
    before = AuditEvent.objects.count()
    response = api.get(f"/api/v1/people/{LI}", staff_token("clerk.chunlei"))
    assert response.status_code in (404, 405)
    assert "李红梅" not in body_text(response)
    assert AuditEvent.objects.filter(seq__gt=before, action=AuditAction.PERSON_READ).count() == 0


def test_the_lookup_takes_the_purpose_from_the_header(api: Any, staff_token: Any) -> None:
    token = staff_token("clerk.chunlei")
    response = lookup(api, LI, token, headers={"X-Purpose": "window"})
    assert response.status_code == 200
    row = AuditEvent.objects.filter(action=AuditAction.PERSON_READ).last()
    assert row is not None and row.purpose == "window" and row.detail["unmasked"] is False


def test_the_lookup_without_a_number_is_422(api: Any, staff_token: Any) -> None:
    response = api.post(URL, staff_token("clerk.chunlei"), {})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "id_number"


def test_openapi_document_states_what_the_api_answers(client: Any, db: None) -> None:
    """The shapes the conformance test (test_openapi_conformance.py) relies on, stated."""
    doc = client.get("/api/v1/openapi.json").json()
    person = doc["paths"]["/api/v1/people/lookup"]["post"]
    body = person["requestBody"]["content"]["application/json"]["schema"]
    lookup_in = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    id_number = lookup_in["properties"]["id_number"]
    assert (id_number["minLength"], id_number["maxLength"]) == (15, 18)
    assert re.fullmatch(id_number["pattern"], LI) and not re.fullmatch(id_number["pattern"], "0")
    invalid = person["responses"]["422"]["content"]["application/json"]["schema"]["anyOf"]
    assert {s["$ref"].rsplit("/", 1)[1] for s in invalid} == {"FieldErrorsOut", "ErrorOut"}
    schemas = doc["components"]["schemas"]
    assert set(schemas["ErrorOut"]["required"]) == {"detail", "code"}
    assert set(schemas["FieldErrorsOut"]["required"]) == {"detail", "message", "code"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:  # a body that is not JSON is a 400
                assert "400" in operation["responses"], (method, path)
            parameters = operation.get("parameters", [])
            if "requestBody" in operation or any(map(_may_be_refused, parameters)):
                assert "422" in operation["responses"], (method, path)


def _may_be_refused(parameter: dict[str, Any]) -> bool:
    """Whether some value of the parameter (or its absence) is bad input: anything but a string
    without constraints that is in the path or may be left out."""
    schema = parameter["schema"]
    missing = bool(parameter.get("required")) and parameter["in"] != "path"
    constrained = {"pattern", "minLength", "maxLength", "enum"} & set(schema)
    return missing or schema.get("type") != "string" or bool(constrained)
