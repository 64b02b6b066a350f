"""The pages a person sees when a request goes wrong: 400, 403, 404, 500, and a form refused by
the CSRF check (``CSRF_FAILURE_VIEW``). The site's own page, on a phone as on a desk, in the
reader's language (LocaleMiddleware has chosen it: the language cookie, then the browser's),
saying what happened in plain words, with a way home (and back to the workbench from a staff
page) and a way to report the problem.

They are rendered without the request: no context processor runs, so nothing reads the
session or the database and no CSRF token is needed. The 500 page above all must show when
the database is what failed: it records a ``server_error`` friction for the friction log, but
only on a best-effort basis, and shows the same page whether the record succeeded or not."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    title: Promise
    lead: Promise
    advice: Promise


PROBLEMS: dict[int, Problem] = {
    400: Problem(
        _("The request could not be read"),
        _("What your browser sent is not something this site understands."),
        _("Check the address, or go back and try again."),
    ),
    403: Problem(
        _("You cannot open this page"),
        _("This page is not open to you, or not in the way it was asked for."),
        _(
            "If you were signed in, your sign-in may have ended: sign in again. Otherwise "
            "start again from the home page."
        ),
    ),
    404: Problem(
        _("Page not found"),
        _("There is no page at this address. It may have moved, or the address is mistyped."),
        _(
            "Check the address: a link copied from a message may have lost its end. Or find "
            "what you need from the home page."
        ),
    ),
    500: Problem(
        _("Something went wrong on our side"),
        _("This is not your fault. What you did last may not have been saved."),
        _("Try again in a few minutes."),
    ),
}
#: A form the CSRF check refused: almost always a page left open too long.
FORM_REFUSED = Problem(
    _("The form could not be sent"),
    _(
        "For your safety, a form is only accepted from a page of this site that is still "
        "current. This page was open for a long time, or you signed in or out in another tab."
    ),
    _(
        "Go back to the page, reload it, and try again. What you typed there may have to be "
        "entered again."
    ),
)
NO_COOKIE = _(
    "Your browser did not send this site's cookie. Allow cookies for this site, then try again."
)


def _links() -> tuple[str, str]:
    """The portal's home and the workbench's (fixed addresses if the URLs cannot be read)."""
    try:
        return reverse("portal:home"), reverse("workbench:home")
    except NoReverseMatch:
        return "/", "/staff/"


def problem_page(
    request: HttpRequest, status: int, problem: Problem, extra: Promise | None = None
) -> HttpResponse:
    home, workbench = _links()
    staff = request.path.startswith((workbench, "/admin/"))
    context = {
        "status": status,
        "problem": problem,
        "extra": extra,
        "home_url": home,
        "workbench_url": workbench if staff else "",
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    response = HttpResponse(loader.render_to_string("errors/page.html", context), status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return problem_page(request, 400, PROBLEMS[400])


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return problem_page(request, 403, PROBLEMS[403])


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return problem_page(request, 404, PROBLEMS[404])


def server_error(request: HttpRequest) -> HttpResponse:
    _record_server_error(request)
    return problem_page(request, 500, PROBLEMS[500])


def _record_server_error(request: HttpRequest) -> None:
    """The friction log learns that a person reached this page (a ``server_error`` friction:
    the screen, the language, the person where one is signed in). Never in the way of the
    page: whatever fails here (the database may be what failed) is logged and forgotten."""
    try:
        from govdesk.frictions.models import Kind
        from govdesk.frictions.services import Context, friction_record

        user = getattr(request, "user", None)
        staff = user if getattr(user, "is_authenticated", False) else None
        friction_record(
            kind=Kind.SERVER_ERROR,
            source_ref=f"error:{uuid.uuid4()}",
            summary=f"{request.method} {request.path}"[:500],
            context=Context(
                screen=request.path[:300],
                channel="online",
                language=getattr(request, "LANGUAGE_CODE", "") or "",
            ),
            region=getattr(staff, "jurisdiction", None),
            department=getattr(staff, "department", None),
        )
    except Exception:  # the error page must show whatever happens here
        logger.warning("the error page could not record its friction", exc_info=True)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``. Django's own page speaks of tokens and carries an inline style
    that the Content-Security-Policy refuses."""
    return problem_page(
        request, 403, FORM_REFUSED, NO_COOKIE if reason == REASON_NO_CSRF_COOKIE else None
    )
