"""The friction log on the resident's side: report a stutter from any page (one click, the
page attached), and 我的反馈 (My feedback): what they reported and the answer, where they may
confirm the fix or say it is not fixed."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govdesk.common.errors import Invalid
from govdesk.frictions import selectors, services
from govdesk.people.models import Person
from govdesk.portal.session import modes, resident_principal
from govdesk.portal.views import resident_view
from govdesk.presentation import frictions as shown


@require_http_methods(["GET", "POST"])
@resident_view
def report(request: HttpRequest, person: Person) -> HttpResponse:
    context = shown.report_context(request, channel="online", elder_mode=modes(request)["elder"])
    if request.method == "POST":
        friction = services.friction_report(
            principal=resident_principal(request, person),
            summary=str(request.POST.get("summary", ""))[:500],
            context=context,
        )
        messages.success(
            request,
            _("Thank you: reported as %(number)s. You will find the answer under My feedback.")
            % {"number": friction.number},
        )
        return redirect(context.screen or reverse("portal:feedback"))
    return render(
        request,
        "portal/report.html",
        {"context": context, "back": context.screen or reverse("portal:home")},
    )


@require_GET
@resident_view
def feedback(request: HttpRequest, person: Person) -> HttpResponse:
    _count, rows = selectors.friction_list(principal=resident_principal(request, person))
    return render(
        request,
        "portal/feedback.html",
        {
            "rows": [
                {
                    "friction": f,
                    "status": shown.status_label(f.problem.status),
                    "status_code": f.problem.status,
                }
                for f in rows
            ]
        },
    )


@require_GET
@resident_view
def feedback_item(request: HttpRequest, person: Person, friction_id: UUID) -> HttpResponse:
    view = selectors.friction_detail(
        principal=resident_principal(request, person), friction_id=friction_id
    )
    return render(
        request,
        "portal/feedback_item.html",
        {
            "f": view.friction,
            "problem": view.problem,
            "status": shown.status_label(view.problem.status),
            "actions": [
                {"code": str(a), "label": shown.button_label(a)} for a in view.allowed_actions
            ],
        },
    )


@require_POST
@resident_view
def feedback_act(request: HttpRequest, person: Person, friction_id: UUID) -> HttpResponse:
    principal = resident_principal(request, person)
    view = selectors.friction_detail(principal=principal, friction_id=friction_id)
    try:
        services.problem_act(
            principal=principal,
            problem_id=view.problem.pk,
            action=str(request.POST.get("action", "")),
            note=str(request.POST.get("note", "")),
        )
    except Invalid as exc:
        messages.error(request, " ".join([exc.message, *exc.errors.values()]))
    else:
        messages.success(request, _("Thank you."))
    return redirect("portal:feedback_item", friction_id=friction_id)


@require_GET
def rectified(request: HttpRequest) -> HttpResponse:
    """你说我改 / You said, we did: what residents and staff reported and what was changed,
    with monthly figures; public, no person named."""
    return render(
        request,
        "portal/rectified.html",
        {
            "rows": selectors.public_rectified(),
            "months": selectors.public_monthly(),
        },
    )
