"""/api/v1/frictions — the friction log (错题本): report a stutter, read them, move a problem
through its loop."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from govdesk.api.applications import RESPONSES
from govdesk.api.auth import principal_of
from govdesk.api.errors import BODY_ERRORS
from govdesk.api.params import Code
from govdesk.frictions import selectors, services
from govdesk.frictions.models import Friction, Kind, ProblemStatus

router = Router(tags=["frictions"])


class FrictionIn(Schema):
    summary: str = Field(max_length=500, description="What happened, in a few words (may be empty)")
    application: UUID | None = Field(None, description="The application it concerns")
    field: Annotated[str, StringConstraints(max_length=64)] = Field(
        "", description="The form field (data element key) it concerns"
    )
    matter: Code | None = Field(None, description="The matter, when there is no application")
    material: Annotated[str, StringConstraints(max_length=200)] = ""
    screen: Annotated[str, StringConstraints(max_length=300)] = Field(
        "", description="The screen (path) it happened on"
    )


class ProblemActionIn(Schema):
    action: Literal["triage", "assign", "start", "rectify", "reject", "confirm", "reopen"]
    note: str = Field("", max_length=2000)
    department: Annotated[str, StringConstraints(max_length=32)] = Field(
        "", description="assign: the owner department's code (hrss, mca …)"
    )
    deadline: date | None = Field(None, description="assign: by when (15 working days if not)")
    change: dict[str, Any] | None = Field(
        None,
        description="rectify: a configuration change the platform applies, e.g. "
        '{"type": "synonym", "query": "…", "matter": "CODE"}, '
        '{"type": "field_default", "matter": "CODE", "field": "key", "default": "…"}, '
        '{"type": "field_element", "matter": "CODE", "field": "key", "element": "key"}, '
        '{"type": "material_licence", "matter": "CODE", "material": "name", '
        '"licence_type": "…"}',
    )
    version: int | None = None
    return_visit: str = Field(
        "",
        max_length=2000,
        description="rectify | reject of a poor rating: the return visit (回访) to the rater, "
        "which must be recorded before it closes",
    )


class FrictionOut(Schema):
    id: str
    number: str
    kind: str
    status: str
    summary: str
    context: dict[str, Any]
    problem: dict[str, Any]
    history: list[dict[str, Any]] = Field(default_factory=list)
    allowed_actions: list[str] = Field(default_factory=list)
    at: str


class FrictionListOut(Schema):
    count: int
    next: str | None = Field(description="The next page, or null on the last")
    results: list[FrictionOut]


class FrictionStatsOut(Schema):
    by_kind: dict[str, int]
    by_status: dict[str, int]
    by_department: dict[str, int]
    by_week: dict[str, int]
    minutes_lost: float


class FrictionListQuery(Schema):
    status: ProblemStatus | None = None
    kind: Kind | None = None
    matter: Code | None = None
    department: Annotated[str, StringConstraints(max_length=32)] | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="Where the page starts: from the previous page's next link"
    )


def _context(f: Friction) -> dict[str, Any]:
    return {
        "application": str(f.application_id) if f.application_id else None,
        "matter": f.matter.code if f.matter else None,
        "bundle": f.bundle or None,
        "step": f.step,
        "field": f.field or None,
        "material": f.material or None,
        "query": f.query or None,
        "screen": f.screen or None,
        "channel": f.channel or None,
        "language": f.language or None,
        "elder_mode": f.elder_mode,
        "community": f.region.name if f.region else None,
        "department": f.department.short_name if f.department else None,
        "reporter": f.reporter,
        "reporter_role": f.reporter_role,
    }


def friction_json(f: Friction, view: selectors.FrictionView | None = None) -> dict[str, Any]:
    p = view.problem if view is not None else f.problem
    return {
        "id": str(f.id),
        "number": f.number,
        "kind": f.kind,
        "status": p.status,
        "summary": f.summary,
        "context": _context(f),
        "problem": {
            "number": p.number,
            "title": p.title,
            "status": p.status,
            "occurrences": p.occurrences,
            "people": p.people,
            "minutes_lost": p.minutes_lost,
            "department": p.department.code if p.department else None,
            "deadline": p.deadline.isoformat() if p.deadline else None,
            "note": p.note,
            "change": p.change or None,
            "first_seen": p.first_seen.isoformat(),
            "last_seen": p.last_seen.isoformat(),
        },
        "history": [
            {
                "action": h.action,
                "from_": h.from_status,
                "to": h.to_status,
                "actor": h.actor,
                "role": h.role,
                "at": h.at.isoformat(),
                "note": h.note,
            }
            for h in (view.history if view is not None else [])
        ],
        "allowed_actions": [str(a) for a in (view.allowed_actions if view is not None else [])],
        "at": f.at.isoformat(),
    }


@router.post(
    "",
    response={201: FrictionOut, **RESPONSES, **BODY_ERRORS},
    summary="Report a stutter (the context is filled in by the server)",
)
def report_friction(request: HttpRequest, payload: FrictionIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    friction = services.friction_report(
        principal=principal,
        summary=payload.summary,
        context=services.Context(
            application=payload.application,
            matter=payload.matter or "",
            field=payload.field,
            material=payload.material,
            screen=payload.screen,
            channel="api",
            language=getattr(request, "LANGUAGE_CODE", ""),
        ),
    )
    view = selectors.friction_detail(principal=principal, friction_id=friction.id)
    return Status(201, friction_json(view.friction, view))


@router.get(
    "", response={200: FrictionListOut, **RESPONSES}, summary="Frictions I may read, newest first"
)
def list_frictions(request: HttpRequest, query: Query[FrictionListQuery]) -> dict[str, Any]:
    count, rows = selectors.friction_list(
        principal=principal_of(request),
        filters=selectors.FrictionFilters(
            status=query.status,
            kind=query.kind,
            matter=query.matter,
            department=query.department,
        ),
        limit=query.limit,
        cursor=query.cursor,
    )
    following = None
    if len(rows) == query.limit:
        params = request.GET.copy()
        params["cursor"] = selectors.next_cursor(rows[-1])
        following = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"count": count, "next": following, "results": [friction_json(f) for f in rows]}


@router.get(
    "/stats",
    response={200: FrictionStatsOut, **RESPONSES},
    summary="Counts by kind, status, department and week",
)
def friction_stats(request: HttpRequest) -> dict[str, Any]:
    found = selectors.friction_stats(principal=principal_of(request))
    return {
        "by_kind": found.by_kind,
        "by_status": found.by_status,
        "by_department": found.by_department,
        "by_week": found.by_week,
        "minutes_lost": found.minutes_lost,
    }


@router.get(
    "/{friction_id}",
    response={200: FrictionOut, **RESPONSES},
    summary="A friction with its problem and the problem's history",
)
def friction_detail(request: HttpRequest, friction_id: UUID) -> dict[str, Any]:
    view = selectors.friction_detail(principal=principal_of(request), friction_id=friction_id)
    return friction_json(view.friction, view)


@router.post(
    "/{friction_id}/actions",
    response={200: FrictionOut, **RESPONSES, **BODY_ERRORS},
    summary="triage | assign | start | rectify | reject | confirm | reopen (acts on its problem)",
)
def friction_act(
    request: HttpRequest, friction_id: UUID, payload: ProblemActionIn
) -> dict[str, Any]:
    principal = principal_of(request)
    view = selectors.friction_detail(principal=principal, friction_id=friction_id)
    services.problem_act(
        principal=principal,
        problem_id=view.problem.pk,
        action=payload.action,
        note=payload.note,
        department=payload.department,
        deadline=payload.deadline,
        change=payload.change,
        version=payload.version,
        return_visit=payload.return_visit,
    )
    again = selectors.friction_detail(principal=principal, friction_id=friction_id)
    return friction_json(again.friction, again)
