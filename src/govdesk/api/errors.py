"""One error shape for the API: ``{"detail": message}`` or, for bad input (422), a message per
field: ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``. Messages follow the caller's
language (Accept-Language)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from govdesk.applications.errors import ApplicationError, InvalidFields
from govdesk.common.idnumbers import InvalidIdNumber
from govdesk.people.selectors import AccessDenied, PersonNotFound


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldError]


def install(api: NinjaAPI) -> None:
    @api.exception_handler(InvalidIdNumber)
    def invalid_id(request: HttpRequest, exc: InvalidIdNumber) -> HttpResponse:
        body = {"detail": [{"loc": ["id_number"], "msg": str(exc.message), "type": exc.code}]}
        return api.create_response(request, body, status=422)

    @api.exception_handler(AccessDenied)
    def denied(request: HttpRequest, exc: AccessDenied) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=403)

    @api.exception_handler(PersonNotFound)
    def not_found(request: HttpRequest, exc: PersonNotFound) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=404)

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        if isinstance(exc, InvalidFields):
            body: dict[str, Any] = {
                "detail": [
                    {
                        "loc": ["body", *key.split(".", 1)]
                        if key.startswith("materials_provided")
                        else ["body", "fields", key],
                        "msg": msg,
                        "type": "invalid",
                    }
                    for key, msg in exc.errors.items()
                ],
                "message": exc.message,
            }
        else:
            body = {"detail": exc.message, **exc.extra}
        return api.create_response(request, body, status=exc.status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        response = api.create_response(
            request,
            {"detail": _("Sign in first: send Authorization: Bearer <token>.")},
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: list[dict[str, Any]] = [
            {
                "loc": [str(p) for p in e.get("loc", [])],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors
        ]
        return api.create_response(request, {"detail": errors}, status=422)
