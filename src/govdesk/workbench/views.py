"""The staff workbench. Views build a ``Principal`` from the request, call domain services and
selectors, and render templates; they hold no business rules."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govdesk.accounts import lockout
from govdesk.accounts.models import User
from govdesk.applications import lifecycle, selectors, services, uploads
from govdesk.applications.errors import AlreadyHeld, InvalidFields, NotFound, StateConflict
from govdesk.applications.lifecycle import Action
from govdesk.applications.models import Application, BundleRun, Channel
from govdesk.catalog.i18n import text
from govdesk.catalog.models import Matter
from govdesk.common.errors import DomainError, Unavailable
from govdesk.common.http import client_ip
from govdesk.common.idnumbers import InvalidIdNumber, normalise, parse
from govdesk.common.principal import Principal
from govdesk.people.models import Person
from govdesk.people.policies import may_unmask
from govdesk.people.selectors import AccessDenied, PersonNotFound, person_card
from govdesk.presentation.errors import http_status
from govdesk.presentation.http import file_response, pdf_response, same_origin_path
from govdesk.presentation.values import (
    actor_label,
    element_display,
    local_date,
    relation_label,
    separator,
    time_limits,
    timeline_rows,
)
from govdesk.ratings import selectors as rating_selectors
from govdesk.workbench import forms as wb
from govdesk.workbench import personrefs

View = Callable[..., HttpResponse]
logger = logging.getLogger(__name__)


def principal_of(request: HttpRequest) -> Principal:
    user = request.user
    if not isinstance(user, User):  # staff_view lets only signed-in staff through
        raise NotFound(_("Sign in first."))
    return Principal(kind="staff", user=user, ip=client_ip(request))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _problem(
    request: HttpRequest, status: int, message: str, errors: dict[str, str] | None = None
) -> HttpResponse:
    return render(
        request,
        "workbench/problem.html",
        {"status": status, "message": message, "errors": errors or {}},
        status=status,
    )


def _page_holding(path: str) -> str | None:
    """The workbench page (a GET) that holds the action at ``path``: its bundle, its
    application, the person page, else the workbench home; None outside the workbench."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace != "workbench" or match.url_name in {"login", "logout"}:
        return None
    found = match.kwargs
    if "run_id" in found:
        return reverse("workbench:bundle", kwargs={"run_id": found["run_id"]})
    if "application_id" in found:
        return reverse("workbench:application", kwargs={"application_id": found["application_id"]})
    if match.url_name == "person":
        return reverse("workbench:person", kwargs={"ref": found["ref"]})
    return reverse("workbench:home")


def _after_sign_in(request: HttpRequest) -> str:
    """Where signing in leads back to: the address asked for, if it was a page; for an action
    (a POST, an htmx request), the page that holds it, as the browser names it (htmx's
    current URL, the Referer) or as the action's address says, so that the member of staff
    sees the page again (the values saved before with it) and never lands on an address that
    only takes a POST ("405 Method Not Allowed")."""
    if request.method in {"GET", "HEAD"} and not _is_htmx(request):
        return request.get_full_path()
    for url in (request.headers.get("HX-Current-URL"), request.headers.get("Referer")):
        path = same_origin_path(request, url)
        page = _page_holding(path) if path else None
        if page:
            return page
    return _page_holding(request.path) or reverse("workbench:home")


def staff_view(view: View) -> View:
    """Signed-in staff with a role only. Any domain error the view lets through becomes one
    page with its status (404, 403, 409, 422, or 503 for a registry or printer that cannot
    be reached): views catch only what they answer differently."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            sign_in = redirect_to_login(_after_sign_in(request))
            if _is_htmx(request):  # a whole sign-in page must not land inside a panel
                response = HttpResponse(status=401)
                response["HX-Redirect"] = sign_in["Location"]
                return response
            return sign_in
        if not isinstance(request.user, User) or not request.user.role:
            return _problem(request, 403, _("The workbench is for staff with a role."))
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if isinstance(exc, Unavailable):
                logger.warning("workbench %s: %s", request.path, exc.code)
            return _problem(request, http_status(exc), exc.message, exc.errors)

    return wrapper


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The staff sign-in page for a client django-axes locked out (``AXES_LOCKOUT_CALLABLE``),
    HTTP 429: until when, in local time. The same for any user name, known or not."""
    state = lockout.lockout(request, credentials)
    username = request.POST.get("username", "")[:150]
    response = render(
        request,
        "workbench/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_until": state.until if state else None,
            "next": request.POST.get("next", "")[:500],
        },
        status=429,
    )
    if state is not None:
        seconds = int((state.until - timezone.now()).total_seconds()) + 1
        response["Retry-After"] = str(max(1, seconds))
    return response


def _idempotency_key() -> str:
    return uuid.uuid4().hex


# Home and the person page -------------------------------------------------------------


@require_GET
@staff_view
def home(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    queue = selectors.application_list(principal=principal, limit=100)
    overdue = selectors.outcomes_overdue_list(principal=principal, limit=50)
    return render(
        request,
        "workbench/home.html",
        {"queue": queue, "overdue": overdue, "overdue_minutes": settings.OUTCOME_OVERDUE_MINUTES},
    )


@require_http_methods(["GET", "POST"])
@staff_view
def find(request: HttpRequest) -> HttpResponse:
    """The ID box posts a typed or scanned number; a valid one goes to the person page under
    an opaque reference (``personrefs``), so that the number is never part of a URL. A number
    that is not valid is answered here, with the reason. A GET (a sign-in's way back) reads
    no number and goes home."""
    if request.method != "POST":
        return redirect("workbench:home")
    raw = request.POST.get("id_number", "")
    try:
        value = parse(normalise(raw).replace(" ", "")).value
    except InvalidIdNumber:
        return _person_page(request, raw)
    return redirect("workbench:person", ref=personrefs.issue(request.session, value))


@require_GET
@staff_view
def person(request: HttpRequest, ref: str) -> HttpResponse:
    id_number = personrefs.resolve(request.session, ref)
    if id_number is None:
        return _person_problem(
            request,
            "",
            404,
            _(
                "Links to a resident's page last a few hours, in the session that opened "
                "them. Enter the ID number again."
            ),
            expired=True,
        )
    return _person_page(request, id_number)


def _person_page(request: HttpRequest, id_number: str) -> HttpResponse:
    principal = principal_of(request)
    try:
        card = person_card(principal=principal, id_number=id_number, purpose="workbench")
    except InvalidIdNumber as exc:
        return _person_problem(request, id_number, 422, str(exc.message))
    except AccessDenied as exc:
        return _person_problem(request, id_number, 403, str(exc))
    except PersonNotFound as exc:
        return _person_problem(request, id_number, 404, str(exc))
    value = parse(id_number).value
    person_id = Person.objects.filter(id_number=value).values_list("pk", flat=True).first()
    open_apps = (
        list(selectors.open_applications(person_id=person_id)) if person_id is not None else []
    )
    matters = Matter.objects.filter(published=True).select_related("department")
    departments: dict[str, list[Matter]] = {}
    for matter in matters.order_by("department__name", "code"):
        departments.setdefault(matter.department.name, []).append(matter)
    return render(
        request,
        "workbench/person.html",
        {
            "card": card,
            # The forms of the page name the person by reference too, never by number.
            "person_ref": personrefs.issue(request.session, value),
            "sex_label": _("Female") if card["sex"] == "F" else _("Male"),
            "employment_label": element_display("employment.status", card.get("employment_status")),
            "as_of": local_date(card["name"]["as_of"]) if card.get("name") else "",
            "members": _members(card),
            "open_applications": open_apps,
            "offers": selectors.offers_for(id_number=value),
            "departments": departments,
            "idem": _idempotency_key(),
        },
    )


def _members(card: dict[str, Any]) -> list[dict[str, Any]]:
    household = card.get("household") or {}
    return [
        {
            **m,
            "relation_text": relation_label(m["relation"]),
            "sex_label": _("Female") if m["sex"] == "F" else _("Male"),
        }
        for m in household.get("members", [])
    ]


def _person_problem(
    request: HttpRequest, raw: str, status: int, message: str, *, expired: bool = False
) -> HttpResponse:
    return render(
        request,
        "workbench/person_problem.html",
        # The number typed is given back to correct a typo, never for a person refused.
        {
            "status": status,
            "message": message,
            "expired": expired,
            "entered": "" if status == 403 else normalise(raw)[:40],
        },
        status=status,
    )


def _applicant(request: HttpRequest) -> str:
    """The applicant's ID number: the person page's reference to them (``person``), or a
    number posted as it is (``applicant``)."""
    ref = request.POST.get("person", "")
    if not ref:
        return request.POST.get("applicant", "")
    id_number = personrefs.resolve(request.session, ref)
    if id_number is None:
        raise NotFound(_("This link to a resident has expired. Find the resident again."))
    return id_number


def _start(
    request: HttpRequest,
    scope: str,
    start: Callable[[str, str], str],
    page: str,
) -> HttpResponse:
    """Start something for the applicant of the form, once per idempotency key, and go to
    its page; what the person already holds is shown, with the same start again and a reason.
    ``start(applicant, reason)`` returns the id of what it started."""
    principal = principal_of(request)
    applicant = _applicant(request)
    reason = request.POST.get("repeat_reason", "")

    def act() -> tuple[int, dict[str, Any]]:
        return 201, {"id": start(applicant, reason)}

    try:
        _status, body = services.run_idempotent(
            scope=f"{principal.key}:{scope}", key=request.POST.get("idem"), action=act
        )
    except AlreadyHeld as exc:
        return _already_held(request, exc)
    # (responses kept from before this shape named the id by kind)
    return redirect(page, body.get("id") or body.get("run") or body.get("application"))


@require_POST
@staff_view
def bundle_start(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    code = request.POST.get("bundle", "")

    def start(applicant: str, reason: str) -> str:
        run = services.bundle_start(
            principal=principal,
            bundle_code=code,
            applicant=applicant,
            channel=Channel.WINDOW,
            repeat_reason=reason,
        )
        return str(run.pk)

    return _start(request, f"bundle:{code}", start, "workbench:bundle")


@require_POST
@staff_view
def application_start(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    matter = request.POST.get("matter", "")
    if not matter:
        raise InvalidFields(_("Choose a matter."), {"matter": _("Choose a matter.")})

    def start(applicant: str, reason: str) -> str:
        application = services.application_create(
            principal=principal,
            matter_code=matter,
            applicant=applicant,
            channel=Channel.WINDOW,
            repeat_reason=reason,
        )
        return str(application.pk)

    return _start(request, "create", start, "workbench:application")


def _already_held(request: HttpRequest, exc: AlreadyHeld) -> HttpResponse:
    """What the person already holds, and the same start again with a reason (409)."""
    held = exc.extra.get("held") or {}
    application = held.get("application")
    return render(
        request,
        "workbench/already_held.html",
        {
            "message": exc.message,
            "held": held,
            "held_url": reverse("workbench:application", args=[application]) if application else "",
            "action": request.path,
            "again": [
                (k, v)
                for k, v in request.POST.items()
                if k not in {"csrfmiddlewaretoken", "repeat_reason", "idem"}
            ],
            "idem": _idempotency_key(),
        },
        status=409,
    )


# The once-only workspace: a bundle's steps, or one application ------------------------


@dataclass
class Scope:
    """The applications one screen edits together, in step order."""

    applications: list[Application]
    run: BundleRun | None = None

    @property
    def page_url(self) -> str:
        if self.run is not None:
            return reverse("workbench:bundle", kwargs={"run_id": self.run.pk})
        return reverse("workbench:application", kwargs={"application_id": self.applications[0].pk})

    @property
    def template(self) -> str:
        return "workbench/bundle.html" if self.run is not None else "workbench/application.html"

    def url(self, what: str) -> str:
        if self.run is not None:
            return reverse(f"workbench:bundle_{what}", kwargs={"run_id": self.run.pk})
        return reverse(
            f"workbench:application_{what}", kwargs={"application_id": self.applications[0].pk}
        )

    def find(self, application_id: str) -> Application:
        for application in self.applications:
            if str(application.pk) == application_id:
                return application
        raise NotFound(_("No such application."))


def _bundle_scope(principal: Principal, run_id: UUID) -> Scope:
    run = BundleRun.objects.select_related("bundle").filter(pk=run_id).first()
    if run is None:
        raise NotFound(_("No such bundle."))
    ids = list(run.applications.order_by("step").values_list("pk", flat=True))
    if not ids:
        raise NotFound(_("No such bundle."))
    # Every step is checked (and a refusal audited) by the selector.
    return Scope(
        [selectors.get_application(principal=principal, application_id=i) for i in ids], run
    )


def _reload(principal: Principal, scope: Scope) -> None:
    """Read the applications again after a change (their version and status moved on)."""
    scope.applications = [
        selectors.get_application(principal=principal, application_id=a.pk)
        for a in scope.applications
    ]


def _application_scope(principal: Principal, application_id: UUID) -> Scope:
    return Scope([selectors.get_application(principal=principal, application_id=application_id)])


def _workspace(
    request: HttpRequest,
    principal: Principal,
    scope: Scope,
    *,
    posted: Any = None,
    saved: str = "",
    errors: dict[str, str] | None = None,
    problem: str = "",
    problem_status: int = 200,
) -> dict[str, Any]:
    details = [
        selectors.application_detail(principal=principal, application=a) for a in scope.applications
    ]
    facts = wb.facts_build(details, posted=posted, saved=saved, errors=errors)
    steps = [wb.step_summary(d) for d in details]
    skipped: list[dict[str, Any]] = []
    if scope.run is not None and scope.run.skipped:
        run = selectors.bundle_run_detail(scope.run)
        skipped = [s for s in run["steps"] if s["application"] is None]
    return {
        "scope": scope,
        "run": scope.run,
        "started_by": actor_label(scope.run.created_by) if scope.run is not None else "",
        "details": details,
        "facts": facts,
        "steps": steps,
        "skipped": skipped,
        "any_editable": any(s["editable"] for s in steps),
        "all_done": all(not s["editable"] for s in steps),
        "save_url": scope.url("fields"),
        "materials_url": scope.url("materials"),
        "uploads_url": scope.url("uploads"),
        "submit_url": scope.url("submit"),
        "page_url": scope.page_url,
        "problem": problem,
        "problem_status": problem_status,
        "may_print_for_signature": may_unmask(principal),
    }


def _page_context(
    request: HttpRequest, principal: Principal, scope: Scope, **extra: Any
) -> dict[str, Any]:
    if scope.run is not None:
        return _workspace(request, principal, scope, **extra)
    return _application_context(request, principal, scope, **extra)


def _workspace_response(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    if _is_htmx(request):
        context["htmx"] = True
        return render(request, "workbench/_workspace.html", context, status=status)
    return render(request, template, context, status=status)


#: Where a workspace POST that went wrong leaves what the page needs to show it again, once,
#: after the redirect: the values typed, the errors, the problem (POST, redirect, GET).
AFTER_POST = "workbench:after-post"
#: The names of the posted fields a failed POST carries to the page again.
CARRIED = (wb.PREFIX, wb.SHOWN)


def _version(request: HttpRequest, application_id: object) -> int | None:
    """The version of an application that the page was built on (one per editable step)."""
    raw = request.POST.get(f"version:{application_id}", "")
    return int(raw) if raw.isdigit() else None


def _after_post(
    request: HttpRequest, scope: Scope, state: dict[str, Any], anchor: str = ""
) -> HttpResponse:
    """Redirect a POST that went wrong back to the page, which shows ``state`` once: the
    values typed are kept, the errors said, and a reload never posts again."""
    state["posted"] = {
        name: request.POST.getlist(name) for name in request.POST if name.startswith(CARRIED)
    }
    request.session[AFTER_POST] = {"page": scope.page_url, **state}
    return redirect(scope.page_url + anchor)


def _after_post_state(request: HttpRequest, scope: Scope) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a failed POST left for this page (taken: shown once): what ``_workspace`` takes,
    and what the page's context gets besides (the steps that failed and those submitted)."""
    state = request.session.get(AFTER_POST)
    if not isinstance(state, dict) or state.get("page") != scope.page_url:
        return {}, {}
    del request.session[AFTER_POST]
    posted = QueryDict(mutable=True)
    for name, values in (state.get("posted") or {}).items():
        posted.setlist(name, [str(v) for v in values])
    workspace = {
        "posted": posted,
        "errors": state.get("errors") or {},
        "problem": str(state.get("problem") or ""),
        "problem_status": int(state.get("problem_status") or 200),
    }
    extra = {
        "failures": state.get("failures") or [],
        "submitted_now": str(state.get("submitted_now") or ""),
        # A decision refused: why, per field, and the comment typed.
        "action_errors": state.get("action_errors") or {},
        "comment": str(state.get("comment") or ""),
    }
    return workspace, extra


def _page(request: HttpRequest, principal: Principal, scope: Scope) -> HttpResponse:
    """A workspace page (a bundle or one application), with what a failed POST left for it."""
    workspace, extra = _after_post_state(request, scope)
    context = _page_context(request, principal, scope, **workspace)
    context.update(extra)
    return render(request, scope.template, context)


@require_GET
@staff_view
def bundle(request: HttpRequest, run_id: UUID) -> HttpResponse:
    principal = principal_of(request)
    return _page(request, principal, _bundle_scope(principal, run_id))


def _failed(
    request: HttpRequest,
    principal: Principal,
    scope: Scope,
    state: dict[str, Any],
    anchor: str,
) -> HttpResponse:
    """A workspace POST that went wrong. htmx gets the workspace again with ``state`` (the
    values typed, errors, problem; ``failures`` and ``submitted_now`` of a submit); a page is
    redirected to, and shows ``state`` once (``_after_post``)."""
    if not _is_htmx(request):
        return _after_post(request, scope, state, anchor)
    _reload(principal, scope)
    extra: dict[str, Any] = {k: state.pop(k) for k in ("failures", "submitted_now") if k in state}
    context = _page_context(request, principal, scope, posted=request.POST, **state)
    context.update(extra)
    return _workspace_response(request, scope.template, context, state["problem_status"])


def _save_field(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Save one row (the Save button pressed names it); the other rows' values the form
    carries are shown again as typed, not saved."""
    principal = principal_of(request)
    key = request.POST.get("field", "")
    target = scope.find(request.POST.get(f"target:{key}", ""))
    kind = request.POST.get(f"type:{key}", "")
    anchor = f"#fact-{wb.slug(key)}"
    try:
        services.application_update(
            principal=principal,
            application_id=target.pk,
            fields={key: wb.posted_value(request.POST, key, kind)},
            version=_version(request, target.pk),
        )
    except DomainError as exc:
        errors = dict(exc.errors) if isinstance(exc, InvalidFields) else {key: exc.message}
        state = {"errors": errors, "problem": exc.message, "problem_status": http_status(exc)}
        return _failed(request, principal, scope, state, anchor)
    _reload(principal, scope)
    context = _page_context(request, principal, scope, posted=request.POST, saved=key)
    row = context["facts"].rows.get(key)
    context["flash"] = _("Saved: %(field)s") % {"field": row.label if row else key}
    if not _is_htmx(request):
        messages.success(request, context["flash"])
        return redirect(scope.page_url + anchor)
    return _workspace_response(request, scope.template, context)


def _mark_material(request: HttpRequest, scope: Scope) -> HttpResponse:
    principal = principal_of(request)
    application = scope.find(request.POST.get("application", ""))
    name = request.POST.get("material", "")
    version = request.POST.get("version", "")
    anchor = f"#materials-{application.pk}"
    provided = set(application.materials_provided)
    if request.POST.get("provided") == "1":
        provided.add(name)
    else:
        provided.discard(name)
    try:
        services.application_update(
            principal=principal,
            application_id=application.pk,
            fields={},
            version=int(version) if version.isdigit() else None,
            materials_provided=sorted(provided),
        )
    except DomainError as exc:
        state = {"problem": exc.message, "problem_status": http_status(exc)}
        return _failed(request, principal, scope, state, anchor)
    if not _is_htmx(request):
        return redirect(scope.page_url + anchor)
    _reload(principal, scope)
    context = _page_context(request, principal, scope)
    context["flash"] = _("Materials checklist updated.")
    return _workspace_response(request, scope.template, context)


def _matter_name(matter: Matter) -> str:
    return str(text(matter.name, matter.en, "name"))


def _upload_material(request: HttpRequest, scope: Scope) -> HttpResponse:
    """A photo or PDF of a material the applicant brought (or sent), uploaded at the window."""
    principal = principal_of(request)
    application = scope.find(request.POST.get("application", ""))
    version = request.POST.get("version", "")
    file = request.FILES.get("file")
    name = request.POST.get("material", "")
    try:
        uploads.material_upload(
            principal=principal,
            application_id=application.pk,
            material=name,
            file=file,
            version=int(version) if version.isdigit() else None,
        )
    except DomainError as exc:
        _reload(principal, scope)
        message = exc.errors.get("file") or exc.errors.get("material") or exc.message
        context = _page_context(
            request, principal, scope, problem=message, problem_status=http_status(exc)
        )
        return render(request, scope.template, context, status=http_status(exc))
    messages.success(request, _("Uploaded: %(material)s.") % {"material": name})
    return redirect(f"{scope.page_url}#materials-{application.pk}")


def _submit_all(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Save the values the page carries, then submit every step still in draft (or returned).

    The submit button belongs to the form of the rows, so a value chosen and not saved row by
    row is saved here first: on the step that asks for it, all-or-nothing per step (a step
    whose values cannot be saved is not submitted). A repeated click finds the steps
    submitted: the service's state check makes it a no-op, never a second submission. What
    went wrong is said by field label, on the page again after a redirect, with the values
    typed."""
    principal = principal_of(request)
    details = [
        selectors.application_detail(principal=principal, application=a) for a in scope.applications
    ]
    facts = wb.facts_build(details)
    changes = wb.posted_changes(facts, request.POST)
    submitted: list[str] = []
    failures: list[dict[str, Any]] = []
    errors: dict[str, str] = {}

    def failed(application: Application, exc: DomainError) -> None:
        found = dict(exc.errors) if isinstance(exc, InvalidFields) else {}
        for key, message in found.items():
            errors.setdefault(key, str(message))
        failures.append(
            {
                "number": application.number,
                "matter": _matter_name(application.matter),
                "message": str(exc.message),
                "errors": [
                    {"label": wb.field_label(k, facts), "anchor": wb.slug(k), "text": str(m)}
                    for k, m in found.items()
                ],
            }
        )

    for application in scope.applications:
        typed = changes.get(str(application.pk))
        try:
            if typed:
                services.application_update(
                    principal=principal,
                    application_id=application.pk,
                    fields=typed,
                    version=_version(request, application.pk),
                )
            done = services.application_submit(principal=principal, application_id=application.pk)
        except StateConflict:
            continue  # already submitted, by this click's twin or by a colleague
        except DomainError as exc:
            failed(application, exc)
            continue
        submitted.append(_matter_name(done.matter))
    if not failures:
        if submitted:
            messages.success(
                request,
                _("Submitted: %(matters)s.") % {"matters": separator().join(submitted)},
            )
        else:
            messages.info(request, _("Nothing left to submit: every step was submitted already."))
        return redirect(scope.page_url)
    state = {
        "errors": errors,
        "problem": _("Some steps could not be submitted; see below."),
        "problem_status": 422,
        "failures": failures,
        "submitted_now": separator().join(submitted),
    }
    return _failed(request, principal, scope, state, "#workspace")


def _scoped(handler: Callable[[HttpRequest, Scope], HttpResponse], scope_of: Any) -> View:
    """A POST view of the workspace: the same handler for a bundle's steps and for one
    application; only how the scope is found differs."""

    @require_POST
    @staff_view
    def view(request: HttpRequest, **kwargs: UUID) -> HttpResponse:
        (object_id,) = kwargs.values()
        return handler(request, scope_of(principal_of(request), object_id))

    view.__name__ = handler.__name__.lstrip("_")
    return view


bundle_fields = _scoped(_save_field, _bundle_scope)


bundle_materials = _scoped(_mark_material, _bundle_scope)


bundle_submit = _scoped(_submit_all, _bundle_scope)


bundle_uploads = _scoped(_upload_material, _bundle_scope)


# One application ------------------------------------------------------------------------


def _application_context(
    request: HttpRequest, principal: Principal, scope: Scope, **extra: Any
) -> dict[str, Any]:
    context = _workspace(request, principal, scope, **extra)
    detail = context["details"][0]
    context.update(
        {
            "application": detail,
            "overdue_minutes": settings.OUTCOME_OVERDUE_MINUTES,
            "step": context["steps"][0],
            "timeline": timeline_rows(detail.timeline),
            "time_limits": time_limits(
                promised_days=detail.promised_days,
                time_limit_days=detail.time_limit_days,
                deadline=detail.deadline,
            ),
            "actions": [
                {
                    "name": a,
                    "label": lifecycle.button_label(a),
                    "needs_reason": lifecycle.needs_reason(a),
                }
                for a in detail.decisions
            ],
            "may_return": Action.RETURN in detail.decisions,
            "return_materials": [m.name for m in [*detail.materials, *detail.optional_materials]],
            "last_return": detail.last_return,
            "changes": wb.return_changes(detail.last_return),
            "idem": _idempotency_key(),
            "rating_qr": rating_selectors.window_qr(scope.applications[0]),
        }
    )
    return context


def _application_problem(
    request: HttpRequest,
    principal: Principal,
    application_id: UUID,
    exc: DomainError,
    **extra: Any,
) -> HttpResponse:
    """Back to the application page (read afresh after the redirect), which says once what
    went wrong above the actions. An application this member of staff may not read is not
    found, as a page (its refusal was audited once, by the service: reading it again here
    would audit a second refusal)."""
    if isinstance(exc, NotFound):
        raise exc
    scope = _application_scope(principal, application_id)
    state = {"problem": exc.message, "problem_status": http_status(exc), **extra}
    return _after_post(request, scope, state, "#actions-h" if "comment" in extra else "")


@require_GET
@staff_view
def application(request: HttpRequest, application_id: UUID) -> HttpResponse:
    principal = principal_of(request)
    return _page(request, principal, _application_scope(principal, application_id))


application_fields = _scoped(_save_field, _application_scope)


application_materials = _scoped(_mark_material, _application_scope)


application_submit = _scoped(_submit_all, _application_scope)


application_uploads = _scoped(_upload_material, _application_scope)


@require_POST
@staff_view
def application_act(request: HttpRequest, application_id: UUID) -> HttpResponse:
    principal = principal_of(request)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    version = request.POST.get("version", "")

    def run() -> tuple[int, dict[str, Any]]:
        done = services.application_act(
            principal=principal,
            application_id=application_id,
            action=action,
            comment=comment,
            version=int(version) if version.isdigit() else None,
            return_fields=request.POST.getlist("return_fields"),
            return_materials=request.POST.getlist("return_materials"),
        )
        return 200, {"status": done.get_status_display()}

    try:
        _status, body = services.run_idempotent(
            scope=f"{principal.key}:act:{application_id}:{action}",
            key=request.POST.get("idem"),
            action=run,
        )
    except DomainError as exc:
        return _application_problem(
            request, principal, application_id, exc, action_errors=dict(exc.errors), comment=comment
        )
    messages.success(
        request,
        _("%(action)s: done. The application is now %(status)s.")
        % {"action": lifecycle.button_label(action), "status": body["status"]},
    )
    return redirect("workbench:application", application_id=application_id)


@require_GET
@staff_view
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The signed certificate as issued (access checked and audited by the certificates app)."""
    from govdesk.certificates import selectors as certificates

    certificate, pdf = certificates.certificate_pdf(principal=principal_of(request), number=number)
    return pdf_response(pdf, certificate.number)


@require_POST
@staff_view
def application_retry(request: HttpRequest, application_id: UUID) -> HttpResponse:
    """Try again what should have followed the approval (a certificate whose issuance failed)."""
    principal = principal_of(request)
    try:
        services.application_outcomes_retry(principal=principal, application_id=application_id)
    except DomainError as exc:
        return _application_problem(request, principal, application_id, exc)
    messages.success(request, _("Tried again. The result is shown below."))
    return redirect("workbench:application", application_id=application_id)


@require_GET
@staff_view
def application_pdf(request: HttpRequest, application_id: UUID) -> HttpResponse:
    """The form, numbers masked; ``?for=signature`` (the "Print for signature" button) prints
    them in full for the applicant to sign, for roles that may see them, and is audited so."""
    principal = principal_of(request)
    found = selectors.get_application(principal=principal, application_id=application_id)
    try:
        from govdesk.applications.printing import application_form_pdf

        pdf = application_form_pdf(
            principal=principal,
            application=found,
            for_signature=request.GET.get("for") == "signature",
        )
    except DomainError:
        raise
    except Exception as exc:  # the PDF renderer is optional equipment: say so, never a 500
        logger.exception("form PDF for %s failed", found.number)
        return _problem(
            request,
            503,
            _("The form cannot be printed right now (%(reason)s). Try again later.")
            % {"reason": type(exc).__name__},
        )
    return pdf_response(pdf, found.number)


@require_GET
@staff_view
def upload_file(request: HttpRequest, application_id: UUID, upload_id: UUID) -> HttpResponse:
    """A material uploaded for an application this member of staff may read (audited)."""
    upload, content = uploads.upload_read(
        principal=principal_of(request), application_id=application_id, upload_id=upload_id
    )
    return file_response(
        content, upload.content_type, uploads.download_name(upload.application, upload)
    )


@require_GET
@staff_view
def template_pdf(request: HttpRequest, application_id: UUID, code: str) -> HttpResponse:
    """A material's template filled with what is known, for the applicant to complete and
    sign (``?for=signature``: numbers in full, as the form's "Print for signature")."""
    from govdesk.applications.printing import material_template_pdf

    principal = principal_of(request)
    found = selectors.get_application(principal=principal, application_id=application_id)
    pdf = material_template_pdf(
        principal=principal,
        application=found,
        code=code,
        for_signature=request.GET.get("for") == "signature",
    )
    return pdf_response(pdf, f"{found.number}-{code}")


@require_GET
@staff_view
def receipt_pdf(request: HttpRequest, application_id: UUID) -> HttpResponse:
    """The acceptance receipt (受理回执), printed at the window after acceptance (audited)."""
    from govdesk.applications.printing import receipt_pdf as render_receipt

    principal = principal_of(request)
    found = selectors.get_application(principal=principal, application_id=application_id)
    return pdf_response(
        render_receipt(principal=principal, application=found), f"{found.number}-receipt"
    )
