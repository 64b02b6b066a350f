"""The friction log in the workbench: report a stutter from any screen (one click, the context
attached), the feedback inbox, and a problem's page where its loop moves on."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govdesk.common.errors import DomainError, NotAllowed
from govdesk.common.idnumbers import redact_numbers
from govdesk.common.roles import Role
from govdesk.forms.schema import data_elements
from govdesk.frictions import selectors, services
from govdesk.frictions.models import Kind
from govdesk.organisations.models import Department
from govdesk.presentation import frictions as shown
from govdesk.ratings.selectors import rating_figures
from govdesk.workbench.views import principal_of, staff_view


@require_http_methods(["GET", "POST"])
@staff_view
def report(request: HttpRequest) -> HttpResponse:
    """GET: what the report will carry and a box for an optional comment. POST: reported, and
    back to the screen it was made on."""
    context = shown.report_context(request, channel="window", elder_mode=False)
    if request.method == "POST":
        friction = services.friction_report(
            principal=principal_of(request),
            summary=str(request.POST.get("summary", ""))[:500],
            context=context,
        )
        messages.success(
            request,
            _("Thank you: reported as %(number)s. The answer will be in your feedback.")
            % {"number": friction.number},
        )
        return redirect(context.screen or reverse("workbench:home"))
    element = data_elements().get(context.field)
    return render(
        request,
        "workbench/report.html",
        {
            "context": context,
            "field_label": (element.label if element else context.field),
            "back": context.screen or reverse("workbench:home"),
        },
    )


@require_GET
@staff_view
def inbox(request: HttpRequest) -> HttpResponse:
    """Frictions this member of staff may read, newest first: what they reported (with the
    answer), what concerns their department or area."""
    count, rows = selectors.friction_list(principal=principal_of(request), limit=100)
    return render(
        request,
        "workbench/frictions.html",
        {"count": count, "rows": [_row(f) for f in rows]},
    )


def _row(f: Any) -> dict[str, Any]:
    return {
        "friction": f,
        "kind": shown.kind_label(f.kind),
        "status": shown.status_label(f.problem.status),
        "status_code": f.problem.status,
    }


@require_GET
@staff_view
def detail(request: HttpRequest, friction_id: UUID) -> HttpResponse:
    view = selectors.friction_detail(principal=principal_of(request), friction_id=friction_id)
    elements = data_elements()
    return render(
        request,
        "workbench/friction.html",
        {
            "view": view,
            "f": view.friction,
            "problem": view.problem,
            "kind": shown.kind_label(view.friction.kind),
            "status": shown.status_label(view.problem.status),
            "field_label": elements[view.friction.field].label
            if view.friction.field in elements
            else view.friction.field,
            "history": [
                {
                    "item": h,
                    "action": shown.action_label(h.action),
                    "to": shown.status_label(h.to_status),
                }
                for h in view.history
            ],
            "actions": [
                {"code": str(a), "label": shown.button_label(a)} for a in view.allowed_actions
            ],
            "may_assign": "assign" in view.allowed_actions,
            "may_change": "rectify" in view.allowed_actions
            and principal_of(request).role == Role.OPERATOR,
            "departments": Department.objects.order_by("code"),
            "is_search": view.friction.kind in {Kind.SEARCH_NO_RESULT, Kind.SEARCH_ABANDONED},
        },
    )


@require_POST
@staff_view
def act(request: HttpRequest, friction_id: UUID) -> HttpResponse:
    """One step of the problem's loop; back to its page, which says what happened (or why
    not) once."""
    principal = principal_of(request)
    view = selectors.friction_detail(principal=principal, friction_id=friction_id)
    change = _change(request, view)
    deadline_raw = str(request.POST.get("deadline", ""))
    try:
        services.problem_act(
            principal=principal,
            problem_id=view.problem.pk,
            action=str(request.POST.get("action", "")),
            note=str(request.POST.get("note", "")),
            department=str(request.POST.get("department", "")),
            deadline=date.fromisoformat(deadline_raw) if deadline_raw else None,
            change=change,
        )
    except (DomainError, ValueError) as exc:
        if isinstance(exc, NotAllowed):
            raise
        message = exc.message if isinstance(exc, DomainError) else _("The date is not valid.")
        errors = getattr(exc, "errors", {}) or {}
        messages.error(request, " ".join([message, *[str(v) for v in errors.values()]]))
    else:
        messages.success(request, _("Done."))
    return redirect("workbench:friction", friction_id=friction_id)


def _change(request: HttpRequest, view: selectors.FrictionView) -> dict[str, Any] | None:
    """The configuration change the form names, completed from the friction's context."""
    kind = str(request.POST.get("change_type", ""))
    if not kind:
        return None
    f = view.friction
    matter = str(request.POST.get("change_matter", "")) or (f.matter.code if f.matter else "")
    change: dict[str, Any] = {"type": kind, "matter": matter}
    if kind == "synonym":
        change["query"] = str(request.POST.get("change_query", "")) or f.query
    elif kind in {"field_default", "field_element"}:
        change["field"] = str(request.POST.get("change_field", "")) or f.field
        if kind == "field_default":
            change["default"] = str(request.POST.get("change_value", ""))
        else:
            change["element"] = str(request.POST.get("change_value", ""))
    elif kind == "material_licence":
        change["material"] = str(request.POST.get("change_material", "")) or f.material
        change["licence_type"] = str(request.POST.get("change_value", ""))
    return change


@require_GET
@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """The log in figures: by kind, week and department (charts, with their tables), the
    problems that cost most, time to rectify and the share verified."""
    board = selectors.friction_dashboard(principal=principal_of(request))
    kinds = [(shown.kind_label(k), n) for k, n in sorted(board.stats.by_kind.items())]
    statuses = [(shown.status_label(k), n) for k, n in sorted(board.stats.by_status.items())]
    names = dict(Department.objects.values_list("code", "short_name"))
    departments = sorted((names.get(k, k), n) for k, n in board.stats.by_department.items())
    weeks = list(board.stats.by_week.items())
    charts = {
        "kinds": {"labels": [k for k, _ in kinds], "values": [n for _, n in kinds]},
        "weeks": {"labels": [k for k, _ in weeks], "values": [n for _, n in weeks]},
        "departments": {
            "labels": [k or "—" for k, _ in departments],
            "values": [n for _, n in departments],
        },
    }
    ratings = rating_figures(principal=principal_of(request))
    charts["ratings"] = {
        "labels": [label for label, _ in ratings.by_level],
        "values": [n for _, n in ratings.by_level],
    }
    charts["satisfaction"] = {
        "labels": [month for month, _, _ in ratings.by_month],
        "values": [round(mean, 2) for _, mean, _ in ratings.by_month],
    }
    return render(
        request,
        "workbench/dashboard.html",
        {
            "ratings": ratings,
            "board": board,
            "kinds": kinds,
            "statuses": statuses,
            "departments": departments,
            "weeks": weeks,
            "charts": charts,
            "top": [
                {"row": r, "kind": shown.kind_label(r.kind), "status": shown.status_label(r.status)}
                for r in board.top
            ],
        },
    )


@require_GET
@staff_view
def export_csv(request: HttpRequest) -> HttpResponse:
    """The frictions this member of staff may read, as CSV (no person's name or number)."""
    import csv

    _count, rows = selectors.friction_list(principal=principal_of(request), limit=200)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="frictions.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read it as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            "number",
            "at",
            "kind",
            "status",
            "problem",
            "matter",
            "field",
            "query",
            "department",
            "community",
            "channel",
            "minutes_lost",
        ]
    )
    for f in rows:
        writer.writerow(
            [
                f.number,
                f.at.isoformat(),
                f.kind,
                f.problem.status,
                f.problem.number,
                f.matter.code if f.matter else "",
                f.field,
                redact_numbers(f.query),
                f.department.code if f.department else "",
                f.region.name if f.region else "",
                f.channel,
                f"{f.minutes_lost:g}",
            ]
        )
    return response
