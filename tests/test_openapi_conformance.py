"""The OpenAPI document matches the API: schemathesis generates requests for every operation of
/api/v1/ from the document (valid ones and, as often, invalid ones) and checks each answer with
all its checks: no server error, a documented status, content type, body schema and headers,
invalid input refused, valid input accepted, authentication not ignored, 405 for other methods.

In-process through the WSGI app (no network), bounded and derandomized. Each case is sent as a
clerk or as a resident (chosen from the case itself, so a run repeats), and half of the valid
identifiers it makes up are swapped for real ones (a published matter, a person, a draft
application), so that valid requests get past "not found" too. Each request runs in a savepoint
that is rolled back: every case meets the same database (the demo city of ``conftest``) and
nothing grows; the test's own transaction (pytest-django's ``db``) is rolled back as usual.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from hypothesis import settings as fuzz_settings

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.api.errors import NUL_CHARACTER, ApiErrorCode
from govdesk.applications.services import application_create
from govdesk.common.principal import Principal
from govdesk.people.models import Person

#: Generated cases per operation (and phase); the whole test stays well under two minutes.
CASES_PER_OPERATION = 25
LI = "320205197405120027"
STAFF = "clerk.chunlei"

#: Operations that are not fuzzed, and why. Each is called below with cases made by hand and
#: checked against the document with the same checks.
NOT_FUZZED = {
    "GET /api/v1/applications/{application_id}/form.pdf": (
        "renders a PDF with Typst (about a second each); a fuzzer's ids find no application, "
        "and the one that does would render the same form every time"
    ),
    "GET /api/v1/certificates/{number}.pdf": (
        "serves a signed PDF: issuing one needs the signing key and the renderer "
        "(test_certificates.py does); a fuzzer's numbers find nothing"
    ),
}

#: A placeholder the auth provider sets (schemathesis asks for auth while collecting, before any
#: database); each case swaps it for a token of this test. Cases that drop authentication on
#: purpose (to see a 401) never get it.
PLACEHOLDER = "Bearer <token>"


def _heads(value: Any) -> bool:
    """A coin that always falls the same way for the same value (unlike ``hash``)."""
    return zlib.crc32(repr(value).encode()) % 2 == 0


def _positive_requests_pass_request_validation(ctx: Any, response: Any, case: Any) -> None:
    """A request the document says is valid may still be refused with 422 by the domain (an ID
    number whose check character is wrong, a matter that is not published, a field value the
    form refuses: no schema can say so), but never by the request validation itself: that
    would mean the document allows what the API does not. The one exception is text with the
    NUL character, which the document refuses once, in its description, for every string."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code == 422:
        body = response.json()
        if body.get("code") != ApiErrorCode.INVALID_REQUEST:
            return
        assert all(e["type"] == NUL_CHARACTER for e in body["detail"]), (
            "a request valid by the document was refused by the request validation: "
            + response.content.decode()[:500]
        )


CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            # 422 from the domain is allowed (see above); from the request validation it is not.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            },
        },
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", WSGIHandler(), config=CONFIG
).exclude(func=lambda ctx: ctx.operation.label in NOT_FUZZED)


@schema.auth(refresh_interval=None)
class StaffToken:
    def get(self, case: Any, ctx: Any) -> str:
        return PLACEHOLDER

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


@pytest.fixture
def in_process(staff_token: Any, settings: Any) -> Iterator[dict[str, str]]:
    """Tokens of a clerk and of the resident 李红梅, her draft application and real codes; and
    requests that keep the test's connection (as Django's test client does: the WSGI app would
    close it after each request)."""
    settings.VERIFY_RATE_PER_MINUTE = 100_000  # a fuzzer is not a crowd of scanners
    principal = Principal(kind="staff", user=User.objects.get(username=STAFF))
    application = application_create(
        principal=principal, matter_code="HRSS-005", applicant=LI, channel="window"
    )
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {
            "staff": staff_token(STAFF),
            "resident": token_create(resident=Person.objects.get(id_number=LI)),
            "application_id": str(application.id),
            "id_number": LI,
            "applicant": LI,
            "matter": "HRSS-005",
            "code": "HRSS-001",
            "bundle": "BUNDLE-NEWBORN",
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _prepare(case: Any, known: dict[str, str]) -> None:
    """Put in a real token, and real identifiers into half of the valid cases."""
    if case.headers and case.headers.get("Authorization") == PLACEHOLDER:
        who = "staff" if _heads((case.path_parameters, case.query, case.body)) else "resident"
        case.headers["Authorization"] = f"Bearer {known[who]}"
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    in_path = "bundle" if case.operation.path.startswith("/api/v1/bundles/") else "code"
    for values, names in (
        (
            case.path_parameters,
            {"application_id": "application_id", "id_number": "id_number", "code": in_path},
        ),
        (case.body, {"matter": "matter", "applicant": "applicant"}),
    ):
        if not isinstance(values, dict):
            continue
        for name, known_as in names.items():
            if name in values and _heads(values[name]):
                values[name] = known[known_as]


def _call_and_validate(case: Any) -> None:
    savepoint = transaction.savepoint()
    try:
        case.call_and_validate(additional_checks=[_positive_requests_pass_request_validation])
    finally:
        transaction.savepoint_rollback(savepoint)


@schema.parametrize()
@fuzz_settings(
    max_examples=CASES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(case: Any, in_process: dict[str, str]) -> None:
    _prepare(case, in_process)
    _call_and_validate(case)


def test_the_pdf_operations_answer_as_documented(in_process: dict[str, str]) -> None:
    """The operations left out of the fuzzing, with cases made by hand."""
    whole = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)
    auth = {"Authorization": f"Bearer {in_process['staff']}"}
    form = whole["/api/v1/applications/{application_id}/form.pdf"]["GET"]
    certificate = whole["/api/v1/certificates/{number}.pdf"]["GET"]
    cases = [
        form.Case(path_parameters={"application_id": in_process["application_id"]}, headers=auth),
        form.Case(path_parameters={"application_id": str(UUID(int=1))}, headers=auth),
        form.Case(path_parameters={"application_id": "not-a-uuid"}, headers=auth),
        form.Case(path_parameters={"application_id": in_process["application_id"]}),
        certificate.Case(path_parameters={"number": "no-such-number"}, headers=auth),
        certificate.Case(path_parameters={"number": "no-such-number"}),
    ]
    statuses = []
    for case in cases:
        savepoint = transaction.savepoint()
        try:
            statuses.append(case.call_and_validate().status_code)
        finally:
            transaction.savepoint_rollback(savepoint)
    assert statuses == [200, 404, 422, 401, 404, 401]
    assert set(NOT_FUZZED) == {form.label, certificate.label}
