"""/api/v1/people — the registry as staff see it.

A person is looked up by ``POST /lookup`` with the ID number in the body. There is no
``GET /{id_number}``: a number in a URL lands in every access log on the way."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from govdesk.api.auth import principal_of
from govdesk.api.errors import BODY_ERRORS, ErrorOut, ValidationErrorOut
from govdesk.api.params import IdNumber
from govdesk.people.selectors import person_card

router = Router(tags=["people"])


class Provenance(Schema):
    value: Any
    source: str = Field(description="Where the value comes from (population, licence_library …)")
    as_of: str = Field(description="When that source last changed it (ISO 8601)")


class MemberOut(Schema):
    name: str
    id_number: str
    relation: str
    relation_label: str
    sex: str
    age: int
    is_subject: bool


class HouseholdOut(Schema):
    number: str
    address: Provenance | None
    region: str | None
    region_code: str | None
    relation: str | None
    size: int | None
    members: list[MemberOut]


class LicenceOut(Schema):
    type: str
    type_label: str
    number: str
    issuer: str
    issued_on: str
    valid_until: str | None
    data: dict[str, Any]
    source: str
    as_of: str


class PersonOut(Schema):
    id_number: str = Field(description="Masked unless unmask was asked for by a role that may")
    masked: bool
    name: Provenance
    sex: str
    birth_date: str
    age: int
    ethnicity: str | None
    phone: str | None
    hukou_type: str | None
    education: str | None
    marital_status: str | None
    household: HouseholdOut | None
    licences: list[LicenceOut]
    employment: list[dict[str, Any]]
    employment_status: str | None
    facts: dict[str, Provenance | None]


class LookupIn(Schema):
    id_number: IdNumber = Field(description="The person's ID number (18 characters, or 15 old)")
    unmask: bool = Field(
        False, description="Show ID, phone and licence numbers in full (roles that may; audited)"
    )
    purpose: str = Field("", description="Why you look (recorded); or the X-Purpose header")


@router.post(
    "/lookup",
    response={
        200: PersonOut,
        **BODY_ERRORS,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
        503: ErrorOut,
    },
    summary="A person with household, members and e-licences (staff; audited)",
)
def lookup(request: HttpRequest, body: LookupIn) -> dict[str, Any]:
    """The ID number travels in the body, never in the URL (URLs end up in access logs).
    Masked by default; ``unmask`` shows ID, phone and licence numbers in full to roles that
    may, and is audited as such. ``purpose`` (or the ``X-Purpose`` header) is recorded."""
    principal = principal_of(request)
    purpose = body.purpose or request.headers.get("X-Purpose", "")
    return person_card(
        principal=principal, id_number=body.id_number, unmask=body.unmask, purpose=purpose
    )
