"""The public portal (residents, mobile first). Views read through selectors and act through
services; they hold no business rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govdesk.accounts.identity import (
    Challenge,
    SignInError,
    demo_code,
    guess_throttle,
    identity_provider,
    start_throttle,
)
from govdesk.applications import printing
from govdesk.applications import selectors as application_selectors
from govdesk.applications import services as application_services
from govdesk.applications import uploads as application_uploads
from govdesk.applications.errors import (
    InvalidFields,
    NotFound,
    StateConflict,
)
from govdesk.applications.holdings import holding_for
from govdesk.applications.materials import file_size
from govdesk.applications.models import Application, Channel
from govdesk.applications.readmodels import ApplicationDetail, Offer
from govdesk.catalog import selectors as catalog
from govdesk.catalog import services as catalog_services
from govdesk.catalog.i18n import language, text
from govdesk.catalog.models import Bundle, Matter
from govdesk.common.errors import DomainError, Invalid, Unavailable
from govdesk.common.http import client_ip
from govdesk.common.replica import stale_reads_ok
from govdesk.organisations.models import Department
from govdesk.people.models import Person
from govdesk.portal import certificates as resident_certificates
from govdesk.portal.forms import CodeForm, ModesForm, SignInForm
from govdesk.portal.session import (
    ACCESSIBLE_COOKIE,
    CHALLENGE_KEY,
    ELDER_COOKIE,
    NEXT_KEY,
    current_resident,
    modes,
    resident_principal,
    resident_sign_in,
    resident_sign_out,
    safe_next,
)
from govdesk.presentation.http import file_response, pdf_response
from govdesk.presentation.values import (
    MATERIAL_LABELS,
    awaited_text,
    choice_options,
    display_value,
    members,
    role_label,
    source_sentence,
    time_limits,
    timeline_rows,
)
from govdesk.ratings import selectors as rating_selectors
from govdesk.ratings import services as rating_services
from govdesk.ratings.models import RatingChannel

MODE_COOKIE_AGE = int(timedelta(days=365).total_seconds())
QUERY_MAX = 100


# --- helpers ------------------------------------------------------------------------------


def _entry(matter: Matter) -> dict[str, Any]:
    return {
        "code": matter.code,
        "name": text(matter.name, matter.en, "name"),
        "department": text(
            matter.department.short_name or matter.department.name,
            {"name": matter.department.name_en},
            "name",
        ),
        "online": matter.online,
        "promised_days": matter.promised_days,
        "promised": time_limits(
            promised_days=matter.promised_days, time_limit_days=matter.time_limit_days
        )[0],
        "summary": text(matter.summary, matter.en, "summary"),
    }


def _search_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("s", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _sign_in_url(next_url: str) -> str:
    return f"{reverse('portal:sign_in')}?{urlencode({'next': next_url})}"


View = Callable[..., HttpResponse]


def resident_view(view: Callable[..., HttpResponse]) -> View:
    """Pages of a signed-in resident: the view gets the ``Person`` after the request. Anyone
    else is sent to sign in and brought back. A domain error the view lets through is
    answered in one way: not found (or not theirs) is a 404 page; a registry or printer that
    cannot be reached, a 503 page; anything else (not allowed, changed meanwhile, invalid)
    goes back to where the resident came from, or to the page, with the message."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = current_resident(request)
        if person is None:
            # After signing in, back to the page (never to a URL that only takes a POST).
            back = request.get_full_path() if request.method == "GET" else _back(kwargs, "#apply")
            return HttpResponseRedirect(_sign_in_url(back))
        try:
            response: HttpResponse = view(request, person, *args, **kwargs)
            return response
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Unavailable as exc:
            return render(request, "portal/unavailable.html", {"message": exc.message}, status=503)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(_back(kwargs))

    return wrapper


def _back(kwargs: dict[str, Any], anchor: str = "") -> str:
    """The page a POST came from: its application, its matter's guide, or My applications."""
    if "application_id" in kwargs:
        return reverse("portal:application", args=[kwargs["application_id"]])
    if "code" in kwargs:
        return reverse("portal:guide", args=[kwargs["code"]]) + anchor
    return reverse("portal:me")


INPUT_TYPES = {"date": "date", "integer": "number", "number": "number", "phone": "tel"}
#: Values the applicant's side gave (not the registries'): correctable on a returned application.
DECLARED_SOURCES = frozenset({"typed", "captured", "default", None})


def _field_rows(detail: ApplicationDetail) -> list[dict[str, Any]]:
    """The fields as the confirm page shows them (the application's detail already labels them
    in the reader's language; the values are the registry's, as held). What the registries
    do not hold may be typed; on a returned application, also what the applicant gave before
    and what the returner named (a registry's value named stays: it is corrected at source)."""
    returned = detail.returned
    named = set(returned.fields) if returned is not None else set()
    rows = []
    for field in detail.fields:
        typeable = not field.derived and field.type != "list"
        correctable = returned is not None and (
            field.key in named or field.source in DECLARED_SOURCES
        )
        rows.append(
            {
                **asdict(field),
                "section": text(field.section) if field.section else "",
                "display": display_value(field.type, field.value, field.choices)
                or awaited_text(field.source, field.origin),
                "options": choice_options(field.choices),
                "members": members(field.value),
                "badge": source_sentence(field.source, field.origin, field.as_of),
                "input_type": INPUT_TYPES.get(field.type, "text"),
                "named": field.key in named,
                "editable": typeable
                and (field.missing or correctable)
                and field.source not in REGISTRY_SOURCES,
                "current": "" if field.value in (None, "", []) else str(field.value),
            }
        )
    return rows


REGISTRY_SOURCES = frozenset({"registry", "licence", "produced"})


def _sections(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        sections.setdefault(row["section"] or "", []).append(row)
    return list(sections.items())


# --- public pages -------------------------------------------------------------------------


@stale_reads_ok
def home(request: HttpRequest) -> HttpResponse:
    pinned, entries = catalog.home_entries()
    return render(
        request,
        "portal/home.html",
        {
            "offers": _offers(request),
            "pinned": _entry(pinned) if pinned is not None else None,
            "entries": [_entry(m) for m in entries],
        },
    )


def _offers(request: HttpRequest) -> list[Offer] | None:
    """What a signed-in resident qualifies for now, by their facts (★): nothing for a visitor;
    None when the registry cannot say right now (the home page still works)."""
    resident = current_resident(request)
    if resident is None:
        return []
    try:
        return application_selectors.offers_for(id_number=resident.id_number)
    except Unavailable:
        return None


@stale_reads_ok
def browse(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/browse.html", {"catalogue": catalog.browse()})


@stale_reads_ok
def guide(request: HttpRequest, code: str) -> HttpResponse:
    matter = catalog.matter_by_code(code)
    if matter is None:
        raise Http404(_("No such matter."))
    search_id = _search_id(request)
    if search_id is not None:
        catalog_services.search_opened(search_id=search_id, key=f"matter:{matter.code}")
    certificate = getattr(matter, "certificate_type", None)
    resident = current_resident(request)
    current = (
        application_selectors.current_application(person_id=resident.pk, matter_code=matter.code)
        if resident is not None
        else None
    )
    held = holding_for(resident, matter) if resident is not None and current is None else None
    return render(
        request,
        "portal/guide.html",
        {
            "guide": catalog.matter_guide(matter),
            "time_limits": time_limits(
                promised_days=matter.promised_days, time_limit_days=matter.time_limit_days
            ),
            "certificate": (
                {
                    "purpose": text(certificate.purpose, certificate.en, "purpose"),
                    "validity_days": certificate.validity_days,
                }
                if certificate is not None
                else None
            ),
            "current": current,
            "held": held,
        },
    )


@stale_reads_ok
def bundle(request: HttpRequest, code: str) -> HttpResponse:
    found = Bundle.objects.filter(code=code, published=True).first()
    if found is None:
        raise Http404(_("No such bundle."))
    search_id = _search_id(request)
    if search_id is not None:
        catalog_services.search_opened(search_id=search_id, key=f"bundle:{found.code}")
    return render(request, "portal/bundle.html", {"bundle": catalog.bundle_json(found)})


@stale_reads_ok
def certificates(request: HttpRequest) -> HttpResponse:
    search_id = _search_id(request)
    opened = request.GET.get("f", "")[:40]
    if search_id is not None and opened:
        catalog_services.search_opened(search_id=search_id, key=f"forbidden:{opened}")
    lists = catalog.certificate_lists()
    departments = {
        d.code: text(d.short_name or d.name, {"name": d.name_en}, "name")
        for d in Department.objects.filter(
            code__in={f["instead_department"] for f in lists["forbidden"]}
        )
    }
    for item in lists["forbidden"]:
        item["instead_department_name"] = departments.get(item["instead_department"], "")
    return render(request, "portal/certificates.html", {"lists": lists})


def _hit_url(hit: Any, search_id: int) -> str:
    kind, code = hit.doc.kind, hit.doc.code
    if kind == "bundle":
        return f"{reverse('portal:bundle', args=[code])}?s={search_id}"
    if kind == "forbidden":
        return f"{reverse('portal:certificates')}?s={search_id}&f={code}#{code}"
    return f"{reverse('portal:guide', args=[code])}?s={search_id}"


def _english_names(results: list[dict[str, Any]]) -> None:
    """Search hits carry the standard (Chinese) name; in English, use the catalogue's English
    name where it has one."""
    if language() != "en" or not results:
        return
    codes = {r["code"] for r in results}
    names: dict[str, str] = {}
    for m in Matter.objects.filter(code__in=codes):
        names[m.code] = str(text(m.name, m.en, "name", "en"))
    for b in Bundle.objects.filter(code__in=codes):
        names[b.code] = str(text(b.name, b.en, "name", "en"))
    if any(r["kind"] == "forbidden" for r in results):
        names.update((f["code"], f["name"]) for f in catalog.certificate_lists()["forbidden"])
    for r in results:
        r["name"] = names.get(r["code"], r["name"])


@stale_reads_ok
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:QUERY_MAX]
    results: list[dict[str, Any]] = []
    if q:
        hits = catalog.search(q, limit=10)
        search_id = catalog_services.search_record(
            query=q, results=len(hits), top=hits[0].doc.key if hits else ""
        )
        results = [{**catalog.hit_json(h), "url": _hit_url(h, search_id)} for h in hits]
        _english_names(results)
    return render(request, "portal/search.html", {"q": q, "results": results})


@stale_reads_ok
def ask(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    answer = catalog.ask(q) if q else None
    cites = (answer or {}).get("cites") or []
    return render(
        request,
        "portal/ask.html",
        {
            "q": q,
            "answer": answer,
            "cites": [c for c in cites if not str(c["code"]).startswith("FORBIDDEN-")],
            "instead": [c for c in cites if str(c["code"]).startswith("FORBIDDEN-")],
        },
    )


@require_http_methods(["GET", "POST"])
def display_settings(request: HttpRequest) -> HttpResponse:
    """Elder mode (长者版) and accessible mode, kept in cookies."""
    if request.method == "GET":
        return render(request, "portal/settings.html", {"next": request.GET.get("next", "")})
    form = ModesForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    response = redirect(safe_next(request, data.get("next"), reverse("portal:settings")))
    current = modes(request)
    for field, cookie in (("elder", ELDER_COOKIE), ("accessible", ACCESSIBLE_COOKIE)):
        value = data.get(field) or ""
        if value not in {"0", "1"}:
            continue
        if value == "1":
            response.set_cookie(
                cookie,
                "1",
                max_age=MODE_COOKIE_AGE,
                samesite="Lax",
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
            )
        elif current[field]:
            response.delete_cookie(cookie, samesite="Lax")
    return response


# --- signing in ---------------------------------------------------------------------------


def _demo_sms_on_screen() -> bool:
    """Only when the demo flag is set explicitly: debug mode does not imply it."""
    return bool(getattr(settings, "DEMO_SMS_ON_SCREEN", False))


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a code. Any well-formed ID number goes on to the code page, registered or not
    (the answer must not tell); too many sign-ins from one address or for one number are
    refused, alike for every number."""
    candidate = request.POST.get("next") or request.GET.get("next") or request.session.get(NEXT_KEY)
    next_url = safe_next(request, candidate, "/me/")
    form = SignInForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            ip = client_ip(request)
            try:
                start_throttle(ip=ip)
                challenge = identity_provider(ip=ip).start(form.cleaned_data["id_number"])
            except SignInError as exc:
                error = exc.message
                status = 429 if exc.kind == "throttled" else 422
            else:
                request.session[CHALLENGE_KEY] = challenge.id
                request.session[NEXT_KEY] = next_url
                return redirect("portal:sign_in_code")
    return render(
        request,
        "portal/sign_in.html",
        {"form": form, "error": error, "next": next_url},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Enter the code. The page reads the same whether a code was sent or not."""
    challenge_id = request.session.get(CHALLENGE_KEY)
    ip = client_ip(request)
    provider = identity_provider(ip=ip)
    challenge = provider.status(challenge_id) if isinstance(challenge_id, str) else None
    if challenge is None or not isinstance(challenge_id, str):
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and challenge.state == "open":
            try:
                guess_throttle(ip=ip)
            except SignInError as exc:
                error, status = exc.message, 429
            else:
                person = provider.verify(challenge_id, form.cleaned_data["code"])
                if person is not None:
                    next_url = safe_next(request, request.session.get(NEXT_KEY), "/me/")
                    resident_sign_in(request, person)
                    request.session.pop(NEXT_KEY, None)
                    messages.success(request, _("You are signed in."))
                    return redirect(next_url)
                challenge = provider.status(challenge_id) or challenge
        if not error:
            error = _code_error(challenge, form)
    demo = demo_code(challenge_id) if _demo_sms_on_screen() and challenge.state == "open" else None
    return render(
        request,
        "portal/sign_in_code.html",
        {"form": form, "challenge": challenge, "error": error, "demo_code": demo},
        status=status,
    )


def _code_error(challenge: Challenge, form: CodeForm) -> str:
    if challenge.state == "locked":
        return _("Too many wrong codes. Ask for a new code.")
    if challenge.state in {"expired", "used"}:
        return _("This code has expired. Ask for a new code.")
    if form.is_valid():
        return _("Wrong code. %(n)d attempts left.") % {"n": challenge.attempts_left}
    return ""


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    resident_sign_out(request)
    messages.info(request, _("You are signed out."))
    return redirect("portal:home")


# --- applying online ----------------------------------------------------------------------


@require_POST
@resident_view
def apply(request: HttpRequest, person: Person, code: str) -> HttpResponse:
    """Start an online application for the signed-in resident, or open the one under way
    (one per resident and matter, even for a double click: the service decides)."""
    matter = catalog.matter_by_code(code)
    if matter is None:
        raise Http404(_("No such matter."))
    application = application_services.application_start_or_resume(
        principal=resident_principal(request, person),
        matter_code=matter.code,
        applicant=person.id_number,
        channel=Channel.ONLINE,
        repeat_reason=request.POST.get("repeat_reason", "")[:500],
    )
    return redirect("portal:application", application_id=application.pk)


def _application_for(request: HttpRequest, person: Person, application_id: str) -> Application:
    return application_selectors.get_application(
        principal=resident_principal(request, person), application_id=application_id
    )


def _application_page(
    request: HttpRequest,
    person: Person,
    application: Application,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    upload_error: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    principal = resident_principal(request, person)
    detail = application_selectors.application_detail(principal=principal, application=application)
    rows = _field_rows(detail)
    for row in rows:
        row["error"] = (errors or {}).get(row["key"], "")
        row["typed"] = (typed or {}).get(row["key"], row["current"])
    returned = detail.returned
    return render(
        request,
        "portal/application.html",
        {
            "application": detail,
            "matter_name": text(application.matter.name, application.matter.en, "name"),
            "sections": _sections(rows),
            "missing": [r for r in rows if r["missing"]],
            "edit_rows": [r for r in rows if r["editable"]] if detail.editable else [],
            "returned": returned,
            "returned_by": role_label(returned.role) if returned is not None else "",
            "named_fields": [r for r in rows if r["named"]],
            "materials": _material_rows(detail, upload_error),
            "upload_limit": file_size(settings.UPLOAD_MAX_BYTES),
            "upload_error": upload_error,
            "timeline": timeline_rows(detail.timeline, for_resident=True),
            "time_limits": time_limits(
                promised_days=detail.promised_days,
                time_limit_days=detail.time_limit_days,
                deadline=detail.deadline,
            ),
            "editable": detail.editable,
            "errors": errors or {},
            "certificates": resident_certificates.for_application(principal, application),
            "rating_open": _rating_open(application),
        },
        status=status,
    )


def _rating_open(application: Application) -> bool:
    stage = rating_selectors.open_stage(application)
    return stage is not None and not stage.rated


def _material_rows(
    detail: ApplicationDetail, upload_error: tuple[str, str] | None
) -> list[dict[str, Any]]:
    """The materials, with what the resident may do: download the template filled as far as
    known, upload (or replace) a photo or PDF while the application may change."""
    named = set(detail.returned.materials) if detail.returned is not None else set()
    return [
        {
            "material": m,
            "anchor": f"material-{index}",
            "label": MATERIAL_LABELS.get(m.status, m.status),
            "named": m.name in named,
            "may_upload": detail.editable and m.from_applicant,
            "error": upload_error[1] if upload_error and upload_error[0] == m.name else "",
        }
        for index, m in enumerate(detail.materials, start=1)
    ]


#: What a save or an upload that went wrong leaves for the application page to show once, after
#: the redirect (POST, redirect, GET): the errors and the values typed.
AFTER_POST = "portal:after-post"


def _after_post(
    request: HttpRequest, application: Application, state: dict[str, Any], anchor: str
) -> HttpResponse:
    """Back to the application page, which says what went wrong and keeps what was typed; a
    reload or the back button never posts again."""
    request.session[AFTER_POST] = {"application": str(application.pk), **state}
    return redirect(reverse("portal:application", args=[application.pk]) + anchor)


@resident_view
def application(request: HttpRequest, person: Person, application_id: str) -> HttpResponse:
    found = _application_for(request, person, application_id)
    state = request.session.get(AFTER_POST)
    if isinstance(state, dict) and state.get("application") == str(found.pk):
        del request.session[AFTER_POST]
        upload_error = state.get("upload_error")
        return _application_page(
            request,
            person,
            found,
            errors={str(k): str(v) for k, v in (state.get("errors") or {}).items()},
            typed={str(k): str(v) for k, v in (state.get("typed") or {}).items()},
            upload_error=(str(upload_error[0]), str(upload_error[1])) if upload_error else None,
        )
    return _application_page(request, person, found)


@require_POST
@resident_view
def application_save(request: HttpRequest, person: Person, application_id: str) -> HttpResponse:
    """Save what the registries could not supply (missing fields only)."""
    found = _application_for(request, person, application_id)
    prefix = "field-"
    typed = {
        key[len(prefix) :]: value.strip()
        for key in request.POST
        if key.startswith(prefix) and (value := request.POST.get(key, "")).strip()
    }
    # A value shown as it was (``was-<key>``) and sent back unchanged is not typed again.
    changed = {k: v for k, v in typed.items() if request.POST.get(f"was-{k}") != v}
    if typed and not changed:
        messages.info(request, _("Nothing was changed."))
        return redirect("portal:application", application_id=found.pk)
    version_raw = request.POST.get("version", "")
    try:
        application_services.application_update(
            principal=resident_principal(request, person),
            application_id=found.pk,
            fields=changed,
            version=int(version_raw) if version_raw.isdigit() else None,
        )
    except InvalidFields as exc:
        return _after_post(request, found, {"errors": exc.errors, "typed": typed}, "#edit")
    messages.success(request, _("Saved."))
    return redirect("portal:application", application_id=found.pk)


@require_POST
@resident_view
def application_upload(request: HttpRequest, person: Person, application_id: str) -> HttpResponse:
    """Upload (or replace) a photo or PDF of a material the system does not hold."""
    found = _application_for(request, person, application_id)
    material = request.POST.get("material", "")
    version_raw = request.POST.get("version", "")
    file = request.FILES.get("file")
    try:
        application_uploads.material_upload(
            principal=resident_principal(request, person),
            application_id=found.pk,
            material=material,
            file=file,
            version=int(version_raw) if version_raw.isdigit() else None,
        )
    except InvalidFields as exc:
        message = exc.errors.get("file") or exc.errors.get("material") or exc.message
        return _after_post(
            request, found, {"upload_error": [material, message]}, "#materials-title"
        )
    messages.success(request, _("Uploaded: %(material)s.") % {"material": material})
    return redirect(reverse("portal:application", args=[found.pk]) + "#materials-title")


@resident_view
def upload_file(
    request: HttpRequest, person: Person, application_id: str, upload_id: str
) -> HttpResponse:
    """A file uploaded for one of the resident's own applications (every read audited)."""
    upload, content = application_uploads.upload_read(
        principal=resident_principal(request, person),
        application_id=application_id,
        upload_id=upload_id,
    )
    name = application_uploads.download_name(upload.application, upload)
    return file_response(content, upload.content_type, name)


@resident_view
def template_pdf(
    request: HttpRequest, person: Person, application_id: str, code: str
) -> HttpResponse:
    """A material's template, filled with what the platform knows, to complete and sign."""
    principal = resident_principal(request, person)
    found = _application_for(request, person, application_id)
    pdf = printing.material_template_pdf(principal=principal, application=found, code=code)
    return pdf_response(pdf, f"{found.number}-{code}", download=True)


@resident_view
def receipt_pdf(request: HttpRequest, person: Person, application_id: str) -> HttpResponse:
    """The acceptance receipt (受理回执) of the resident's own accepted application."""
    principal = resident_principal(request, person)
    found = _application_for(request, person, application_id)
    pdf = printing.receipt_pdf(principal=principal, application=found)
    return pdf_response(pdf, f"{found.number}-receipt", download=True)


@require_POST
@resident_view
def application_submit(request: HttpRequest, person: Person, application_id: str) -> HttpResponse:
    found = _application_for(request, person, application_id)
    try:
        application_services.application_submit(
            principal=resident_principal(request, person), application_id=found.pk
        )
    except StateConflict:
        # A double click or a retried request: the first submit counted, nothing more happens.
        messages.info(request, _("This application was already submitted."))
        return redirect("portal:me")
    messages.success(
        request,
        _("Submitted. The community will check it; you are told by text message."),
    )
    return redirect("portal:me")


@require_http_methods(["GET", "POST"])
@resident_view
def rating(request: HttpRequest, person: Person, application_id: str) -> HttpResponse:
    """好差评: the five levels and the channel's national indicators, on one page (online, or
    reached by the QR code on the clerk's screen: ``?channel=window``)."""
    found = _application_for(request, person, application_id)
    wanted = request.POST.get("channel") or request.GET.get("channel") or ""
    channel = wanted if wanted in RatingChannel.values else str(RatingChannel.ONLINE)
    errors: dict[str, str] = {}
    chosen: dict[str, str] = {}
    if request.method == "POST":
        chosen = {k: request.POST.get(k, "") for k in request.POST if k != "csrfmiddlewaretoken"}
        raw = request.POST.get("level", "")
        indicators = {
            key: int(value)
            for key, _label in rating_selectors.indicator_choices(channel)
            if (value := request.POST.get(f"indicator-{key}", "")).isdigit()
        }
        try:
            given = rating_services.rating_submit(
                principal=resident_principal(request, person),
                application_id=found.pk,
                data=rating_services.RatingInput(
                    level=int(raw) if raw.isdigit() else 0,
                    channel=channel,
                    indicators=indicators,
                    comment=request.POST.get("comment", ""),
                ),
            )
        except Invalid as exc:
            errors = exc.errors or {"level": exc.message}
        else:
            messages.success(request, _("Thank you: your rating was recorded."))
            if given.poor:
                messages.info(
                    request,
                    _(
                        "The department that handled it will call you back and answer within "
                        "15 working days. You may rate again after it is put right."
                    ),
                )
            return redirect("portal:application", application_id=found.pk)
    stage = rating_selectors.open_stage(found)
    return render(
        request,
        "portal/rating.html",
        {
            "application": found,
            "matter_name": text(found.matter.name, found.matter.en, "name"),
            "stage": stage,
            "channel": channel,
            "levels": rating_selectors.level_choices(),
            "indicators": rating_selectors.indicator_choices(channel),
            "errors": errors,
            "chosen": chosen,
        },
        status=422 if errors else 200,
    )


@resident_view
def me(request: HttpRequest, person: Person) -> HttpResponse:
    """My applications: status and timeline of each (a fixed number of queries)."""
    principal = resident_principal(request, person)
    certificates = resident_certificates.by_application(principal)
    items = [
        {
            "summary": summary,
            "matter": summary.matter_name,
            "timeline": timeline_rows(summary.timeline, for_resident=True),
            "certificates": certificates.get(str(summary.id), []),
        }
        for summary in application_selectors.application_list(
            principal=principal, limit=50, with_timeline=True
        )
    ]
    return render(
        request,
        "portal/me.html",
        {
            "items": items,
            "certificates_available": resident_certificates.available(),
        },
    )


@resident_view
def my_certificates(request: HttpRequest, person: Person) -> HttpResponse:
    principal = resident_principal(request, person)
    return render(
        request,
        "portal/my_certificates.html",
        {
            "available": resident_certificates.available(),
            "certificates": resident_certificates.for_resident(principal),
        },
    )


@resident_view
def certificate_download(request: HttpRequest, person: Person, number: str) -> HttpResponse:
    response = resident_certificates.download(resident_principal(request, person), number)
    if response is None:
        raise Http404(_("No such certificate."))
    return response
