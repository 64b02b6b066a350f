"""/api/v1/applications and /api/v1/bundles/{code}/start — the once-only lifecycle."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, P, Query, QueryEx, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder
from pydantic import StringConstraints, field_validator

from govdesk.api.auth import principal_of
from govdesk.api.errors import BODY_ERRORS, ErrorOut, ValidationErrorOut
from govdesk.api.params import PDF_RESPONSE, TEMPLATE_PATTERN, UPLOAD_RESPONSE, Code, IdNumber
from govdesk.applications import lifecycle, printing, selectors, services, uploads
from govdesk.applications.materials import MaterialStatus
from govdesk.applications.models import Application
from govdesk.applications.printing import application_form_pdf
from govdesk.applications.readmodels import ApplicationDetail, ApplicationSummary, ReturnInfo
from govdesk.common.principal import Principal
from govdesk.presentation.http import file_response, pdf_response

router = Router(tags=["applications"])
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
bundles_router = Router(tags=["bundles"])


class ApplicationIn(Schema):
    matter: Code = Field(description="Matter code, e.g. HRSS-001")
    applicant: IdNumber = Field(description="The applicant's ID number")
    channel: Literal["window", "online"] = "window"
    repeat_reason: str = Field(
        "",
        max_length=500,
        description="Why a new application is needed although the person holds an approval "
        "in force or a valid certificate of this matter (409 already_held without it)",
    )


class ApplicationPatch(Schema):
    fields: dict[str, Any] = Field(default_factory=dict, description="key → typed value")
    version: int | None = Field(None, description="The version you edited; stale gives 409")
    materials_provided: list[str] | None = None


class ActionIn(Schema):
    action: str = Field(
        description="A decision of the lifecycle table",
        json_schema_extra={"enum": [str(a) for a in lifecycle.DECISIONS]},
    )
    comment: str = ""
    version: int | None = None
    return_fields: list[str] = Field(
        default_factory=list,
        description="With return: the form fields (keys) the applicant must correct or add",
    )
    return_materials: list[str] = Field(
        default_factory=list,
        description="With return: the materials (names) the applicant must provide again",
    )

    @field_validator("action")
    @classmethod
    def _a_decision(cls, value: str) -> str:
        if value not in lifecycle.DECISIONS:
            raise ValueError(
                _("Use one of: %(actions)s.")
                % {"actions": ", ".join(str(a) for a in lifecycle.DECISIONS)}
            )
        return value


class BundleStartIn(Schema):
    applicant: IdNumber
    channel: Literal["window", "online"] = "window"
    repeat_reason: str = Field(
        "", max_length=500, description="Why, if every step is already held (409 otherwise)"
    )


class FieldOut(Schema):
    key: str
    label: str
    type: str
    choices: list[list[str]]
    section: str
    value: Any
    source: str | None = Field(
        description="registry | licence | captured | typed | derived | default, or null"
    )
    origin: str
    as_of: str | None
    required: bool
    missing: bool
    derived: bool
    conflict: dict[str, Any] | None


class UploadOut(Schema):
    id: str
    content_type: str = Field(description="image/jpeg | image/png | application/pdf")
    size: int
    sha256: str
    uploaded_at: str
    url: str = Field(description="GET it (the applicant, or staff covering the application)")


class MaterialOut(Schema):
    name: str
    status: str = Field(description="licence | registry | required | provided | uploaded")
    evidence: str
    required: bool
    licence_type: str
    need: str = Field(description="What the guide says of it: generated | unless_held | resident")
    template: str = Field(description="Code of the form to complete and sign, or empty")
    template_url: str | None = Field(
        description="The form filled with what is known (PDF), where the material has one"
    )
    upload: UploadOut | None


class FieldChangeOut(Schema):
    key: str
    label: str
    before: Any
    after: Any


class MaterialChangeOut(Schema):
    name: str
    before: str = Field(description="provided | uploaded | empty (not provided)")
    after: str
    replaced: bool


class ReturnOut(Schema):
    at: str
    actor: str
    role: str
    comment: str
    fields: list[str] = Field(description="Form fields (keys) named to correct or add")
    materials: list[str] = Field(description="Materials (names) named to provide again")
    changes: list[FieldChangeOut] = Field(description="Values changed since the return")
    material_changes: list[MaterialChangeOut]


class EventOut(Schema):
    action: str
    from_: str = Field(description="The status before")
    to: str
    actor: str
    role: str
    at: str
    comment: str


class ApplicationOut(Schema):
    id: str
    number: str
    matter: dict[str, Any]
    applicant: dict[str, Any]
    channel: str
    status: str
    status_label: str
    version: int
    created_at: str
    submitted_at: str | None
    deadline: str | None
    time_limit_days: int
    bundle: dict[str, Any] | None
    form: dict[str, Any]
    fields: list[FieldOut]
    materials: list[MaterialOut]
    optional_materials: list[MaterialOut]
    timeline: list[EventOut]
    allowed_actions: list[str]
    certificate: dict[str, Any] | None
    outcome: dict[str, Any]
    last_return: ReturnOut | None = Field(
        description="The latest return for correction, with what changed since"
    )
    receipt_url: str | None = Field(description="The acceptance receipt (PDF), once accepted")


class ListQuery(Schema):
    status: lifecycle.Status | None = Field(None, description="Only applications in this status")
    matter: Code | None = Field(None, description="Only this matter (its code)")
    department: (
        Annotated[str, StringConstraints(max_length=32, pattern=r"^[a-z0-9_-]+$")] | None
    ) = Field(None, description="Only matters of this department (its code, e.g. hrss)")
    created_from: date | None = Field(None, description="Created on or after this local date")
    created_to: date | None = Field(None, description="Created on or before this local date")
    channel: Literal["window", "online"] | None = None
    overdue: bool | None = Field(
        None, description="true: past the statutory deadline and undecided; false: the others"
    )
    waiting: bool = Field(False, description="Staff: only what waits for me to act (my queue)")
    order: Literal["newest", "deadline"] = Field(
        "newest", description="newest first, or the nearest deadline first"
    )
    cursor: Annotated[str, StringConstraints(max_length=512)] | None = Field(
        None, description="Where the page starts: from the previous page's next link"
    )
    limit: int = Field(50, ge=1, le=selectors.MAX_PAGE, description="Rows per page")

    @field_validator("created_from", "created_to", mode="before")
    @classmethod
    def _a_calendar_date(cls, value: Any) -> Any:
        """A date as written (2026-12-08), never a number read as seconds since 1970."""
        if value is None or (isinstance(value, str) and ISO_DATE.fullmatch(value)):
            return value
        raise ValueError(_("Write the date as YYYY-MM-DD."))


class ApplicationRowOut(Schema):
    id: str
    number: str
    url: str = Field(description="The application in full")
    matter: dict[str, Any] = Field(description="code, name, department")
    applicant: dict[str, Any] = Field(description="name and masked ID number")
    channel: str
    status: str
    status_label: str
    holder: str = Field(description="Who acts next: resident, clerk, reviewer, approver or empty")
    created_at: str
    submitted_at: str | None
    accepted_at: str | None
    decided_at: str | None
    deadline: str | None
    overdue: bool


class ApplicationListOut(Schema):
    count: int = Field(description="How many the whole list holds (as of its first page)")
    next: str | None = Field(description="The next page, or null on the last")
    results: list[ApplicationRowOut]


class StepOut(Schema):
    order: int
    matter: str
    matter_name: str
    application: str | None
    condition: str


class BundleRunOut(Schema):
    id: str
    bundle: str
    steps: list[StepOut]


class ConflictOut(ErrorOut):
    your_version: int | None = None
    current_version: int | None = None
    status: str | None = None


RESPONSES: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ConflictOut,
    422: ValidationErrorOut,
}


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def application_json(detail: ApplicationDetail) -> dict[str, Any]:
    """The application as ``ApplicationOut`` says."""
    base = f"/api/v1/applications/{detail.id}"
    return {
        "id": str(detail.id),
        "number": detail.number,
        "matter": asdict(detail.matter),
        "applicant": {"name": detail.applicant_name, "id_number": detail.applicant_id_number},
        "channel": detail.channel,
        "status": str(detail.status),
        "status_label": detail.status_label,
        "version": detail.version,
        "created_at": _iso(detail.created_at),
        "submitted_at": _iso(detail.submitted_at),
        "deadline": _iso(detail.deadline),
        "time_limit_days": detail.time_limit_days,
        "bundle": {
            "id": str(detail.bundle.run_id),
            "code": detail.bundle.code,
            "name": detail.bundle.name,
            "step": detail.bundle.step,
        }
        if detail.bundle is not None
        else None,
        "form": {
            "code": detail.form_code,
            "title": detail.form_title,
            "pdf_url": f"/api/v1/applications/{detail.id}/form.pdf",
        },
        "fields": [asdict(f) for f in detail.fields],
        "materials": [_material_json(detail, m) for m in detail.materials],
        "optional_materials": [_material_json(detail, m) for m in detail.optional_materials],
        "timeline": [
            {
                "action": e.action,
                "from_": e.from_status,  # the field's name in the published schema
                "to": e.to_status,
                "actor": e.actor,
                "role": e.role,
                "at": _iso(e.at),
                "comment": e.comment,
            }
            for e in detail.timeline
        ],
        "allowed_actions": [str(a) for a in detail.allowed_actions],
        "certificate": detail.certificate,
        "outcome": detail.outcome,
        "last_return": _return_json(detail.last_return),
        "receipt_url": f"{base}/receipt.pdf" if detail.has_receipt else None,
    }


def summary_json(row: ApplicationSummary) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "number": row.number,
        "url": f"/api/v1/applications/{row.id}",
        "matter": {"code": row.matter_code, "name": row.matter_name, "department": row.department},
        "applicant": {"name": row.applicant_name, "id_number": row.applicant_id_number},
        "channel": row.channel,
        "status": str(row.status),
        "status_label": row.status_label,
        "holder": row.holder,
        "created_at": _iso(row.created_at),
        "submitted_at": _iso(row.submitted_at),
        "accepted_at": _iso(row.accepted_at),
        "decided_at": _iso(row.decided_at),
        "deadline": _iso(row.deadline),
        "overdue": row.overdue,
    }


def _material_json(detail: ApplicationDetail, m: MaterialStatus) -> dict[str, Any]:
    base = f"/api/v1/applications/{detail.id}"
    found = m.as_json()
    if m.upload is not None:
        found["upload"]["url"] = f"{base}/uploads/{m.upload.id}"
    found["template_url"] = f"{base}/templates/{m.template}.pdf" if m.template else None
    return found


def _return_json(info: ReturnInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "at": _iso(info.at),
        "actor": info.actor,
        "role": info.role,
        "comment": info.comment,
        "fields": info.fields,
        "materials": info.materials,
        "changes": [
            {"key": c.key, "label": c.label, "before": c.before, "after": c.after}
            for c in info.changes
        ],
        "material_changes": [asdict(c) for c in info.material_changes],
    }


def _json(
    principal: Principal, application: Application, *, audited: bool = True
) -> dict[str, Any]:
    return application_json(
        selectors.application_detail(principal=principal, application=application, audited=audited)
    )


def _changed_json(principal: Principal, application: Application) -> dict[str, Any]:
    """The answer to a change: the application as it is now, built from what the service
    holds; the change's own audit row already names the person it showed."""
    return _json(principal, application, audited=False)


def _detail(request: HttpRequest, application_id: UUID | str) -> dict[str, Any]:
    principal = principal_of(request)
    application = selectors.get_application(principal=principal, application_id=application_id)
    return _json(principal, application)


def _rendered(request: HttpRequest, data: dict[str, Any], status: int = 200) -> HttpResponse:
    """``data`` as the API's JSON, without validating it against its schema once more on every
    request (the hottest reads): the schema is what the OpenAPI document states, and
    tests/test_openapi_conformance.py holds every answer to it."""
    return HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder),
        content_type="application/json; charset=utf-8",
        status=status,
    )


def _idempotency_key(request: HttpRequest) -> str | None:
    return request.headers.get("Idempotency-Key")


def _once(
    request: HttpRequest,
    scope: str,
    change: Callable[[Principal], Application],
    *,
    status: int = 200,
    body: dict[str, Any] | None = None,
) -> Status[dict[str, Any]]:
    """Run ``change`` once per Idempotency-Key (``scope`` is per user) and answer with the
    application it changed; a repeat gets the first answer."""
    principal = principal_of(request)

    def run() -> tuple[int, dict[str, Any]]:
        application = change(principal)
        return status, _changed_json(principal, application)

    return Status(
        *services.run_idempotent(
            scope=f"{principal.key}:{scope}",
            key=_idempotency_key(request),
            action=run,
            body=body,
            on_replay=lambda stored: selectors.replay_check(
                principal=principal, application_id=str(stored.get("id", ""))
            ),
        )
    )


@router.post(
    "",
    response={201: ApplicationOut, 200: ApplicationOut, **RESPONSES, **BODY_ERRORS},
    summary="Start an application (prefilled)",
)
def create(request: HttpRequest, payload: ApplicationIn) -> Status[dict[str, Any]]:
    return _once(
        request,
        "create",
        lambda principal: services.application_create(
            principal=principal,
            matter_code=payload.matter,
            applicant=payload.applicant,
            channel=payload.channel,
            repeat_reason=payload.repeat_reason,
        ),
        status=201,
        body=payload.model_dump(),
    )


@router.get(
    "",
    response={200: ApplicationListOut, **RESPONSES},
    summary="List applications, a page at a time (staff: within my reach; resident: mine)",
)
def list_applications(request: HttpRequest, query: Query[ListQuery]) -> HttpResponse:
    """Summary rows (no fields, no timeline), ``limit`` at a time. ``next`` is the link to the
    following page (null on the last): follow it as it is. Pages are stable while applications
    are created (a keyset, not an offset): none is shown twice and none is skipped. ``count`` is
    the number in the whole list when its first page was read. Staff reads are audited, one row
    per page naming the people shown."""
    principal = principal_of(request)
    page = selectors.application_page(
        principal=principal,
        filters=selectors.ApplicationFilters(
            status=query.status,
            matter=query.matter,
            department=query.department,
            created_from=query.created_from,
            created_to=query.created_to,
            channel=query.channel,
            overdue=query.overdue,
            waiting=query.waiting,
        ),
        order=selectors.ListOrder(query.order),
        cursor=query.cursor,
        limit=query.limit,
    )
    following = None
    if page.next_cursor is not None:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        following = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return _rendered(
        request,
        {
            "count": page.count,
            "next": following,
            "results": [summary_json(row) for row in page.results],
        },
    )


@router.get(
    "/{application_id}",
    response={200: ApplicationOut, **RESPONSES},
    summary="The application: status, fields with sources, materials, timeline",
)
def detail(request: HttpRequest, application_id: UUID) -> HttpResponse:
    return _rendered(request, _detail(request, application_id))


@router.patch(
    "/{application_id}",
    response={200: ApplicationOut, **RESPONSES, **BODY_ERRORS},
    summary="Type values (each becomes a fact reused everywhere)",
)
def update(request: HttpRequest, application_id: UUID, payload: ApplicationPatch) -> dict[str, Any]:
    principal = principal_of(request)
    version = payload.version
    if version is None and request.headers.get("If-Match", "").strip('"W/').isdigit():
        version = int(request.headers["If-Match"].strip('"W/'))
    application = services.application_update(
        principal=principal,
        application_id=application_id,
        fields=payload.fields,
        version=version,
        materials_provided=payload.materials_provided,
    )
    return _changed_json(principal, application)


@router.post(
    "/{application_id}/submit",
    response={200: ApplicationOut, **RESPONSES},
    summary="Submit (idempotent with Idempotency-Key)",
)
def submit(request: HttpRequest, application_id: UUID) -> Status[dict[str, Any]]:
    return _once(
        request,
        f"submit:{application_id}",
        lambda principal: services.application_submit(
            principal=principal, application_id=application_id
        ),
    )


@router.post(
    "/{application_id}/actions",
    response={200: ApplicationOut, **RESPONSES, **BODY_ERRORS},
    summary="accept | return | approve | refuse | complete",
)
def act(request: HttpRequest, application_id: UUID, payload: ActionIn) -> Status[dict[str, Any]]:
    return _once(
        request,
        f"act:{application_id}:{payload.action}",
        lambda principal: services.application_act(
            principal=principal,
            application_id=application_id,
            action=payload.action,
            comment=payload.comment,
            version=payload.version,
            return_fields=payload.return_fields,
            return_materials=payload.return_materials,
        ),
        body=payload.model_dump(),
    )


@router.post(
    "/{application_id}/outcomes/retry",
    response={200: ApplicationOut, **RESPONSES},
    summary="Retry what failed after approval (e.g. the certificate), once the cause is fixed",
)
def retry_outcomes(request: HttpRequest, application_id: UUID) -> Status[dict[str, Any]]:
    """Issues the certificate an approved application is still missing (its issuance failed:
    a character no font has, a missing signing key …). Staff who may read the application;
    idempotent: what succeeded is kept, a repeat changes nothing. The result is in
    ``certificate`` (or ``outcome``): the certificate, or the error again."""
    return _once(
        request,
        f"retry:{application_id}",
        lambda principal: services.application_outcomes_retry(
            principal=principal, application_id=application_id
        ),
    )


@router.get(
    "/{application_id}/form.pdf",
    response={200: None, **RESPONSES, 503: ErrorOut},
    openapi_extra=PDF_RESPONSE,
    summary="The printable application form, filled from facts",
)
def form_pdf(
    request: HttpRequest,
    application_id: UUID,
    for_: QueryEx[
        Literal["signature"] | None,
        P(alias="for", description="signature: numbers in full, for the applicant to sign"),
    ] = None,
) -> HttpResponse:
    """ID, phone and bank account numbers are masked; ``for=signature`` prints them in full
    for the applicant to sign, to roles that may see them, audited with that purpose."""
    principal = principal_of(request)
    application = selectors.get_application(principal=principal, application_id=application_id)
    pdf = application_form_pdf(
        principal=principal, application=application, for_signature=for_ == "signature"
    )
    return pdf_response(pdf, application.number)


@router.get(
    "/{application_id}/receipt.pdf",
    response={200: None, **RESPONSES, 503: ErrorOut},
    openapi_extra=PDF_RESPONSE,
    summary="The acceptance receipt (受理回执), once the application is accepted",
)
def receipt_pdf(request: HttpRequest, application_id: UUID) -> HttpResponse:
    """Number, matter, applicant (ID number masked), the accepting service point, the
    statutory time limit and the expected date. 409 before acceptance, or while the
    application is back with the applicant or waiting to be accepted again. Staff prints are
    audited."""
    principal = principal_of(request)
    application = selectors.get_application(principal=principal, application_id=application_id)
    pdf = printing.receipt_pdf(principal=principal, application=application)
    return pdf_response(pdf, f"{application.number}-receipt")


@router.get(
    "/{application_id}/templates/{template}.pdf",
    response={200: None, **RESPONSES, 503: ErrorOut},
    openapi_extra=PDF_RESPONSE,
    summary="A material's form to complete and sign, filled with what is known",
)
def template_pdf(
    request: HttpRequest,
    application_id: UUID,
    template: Annotated[str, StringConstraints(pattern=TEMPLATE_PATTERN, max_length=64)],
) -> HttpResponse:
    """``template`` is a material's ``template`` code (see ``materials``). Numbers are masked,
    as on the application form."""
    principal = principal_of(request)
    application = selectors.get_application(principal=principal, application_id=application_id)
    pdf = printing.material_template_pdf(
        principal=principal, application=application, code=template
    )
    return pdf_response(pdf, f"{application.number}-{template}")


@router.get(
    "/{application_id}/uploads/{upload_id}",
    response={200: None, **RESPONSES, 503: ErrorOut},
    openapi_extra=UPLOAD_RESPONSE,
    summary="A material uploaded for the application (the file as stored)",
)
def upload_file(request: HttpRequest, application_id: UUID, upload_id: UUID) -> HttpResponse:
    """For the applicant and staff covering the application; every read is audited."""
    upload, content = uploads.upload_read(
        principal=principal_of(request), application_id=application_id, upload_id=upload_id
    )
    return file_response(
        content, upload.content_type, uploads.download_name(upload.application, upload)
    )


@bundles_router.post(
    "/{code}/start",
    response={201: BundleRunOut, 200: BundleRunOut, **RESPONSES, **BODY_ERRORS},
    summary="Start a bundle: one prefilled application per step",
)
def start_bundle(
    request: HttpRequest, code: Code, payload: BundleStartIn
) -> Status[dict[str, Any]]:
    principal = principal_of(request)

    def run() -> tuple[int, dict[str, Any]]:
        bundle_run = services.bundle_start(
            principal=principal,
            bundle_code=code,
            applicant=payload.applicant,
            channel=payload.channel,
            repeat_reason=payload.repeat_reason,
        )
        return 201, selectors.bundle_run_detail(bundle_run)

    return Status(
        *services.run_idempotent(
            scope=f"{principal.key}:bundle:{code}",
            key=_idempotency_key(request),
            action=run,
            body=payload.model_dump(),
        )
    )
