"""One error shape for the API, the same for every answer and as the OpenAPI document says.

Every error has a machine-readable ``code``. Bad input (422) that is about particular fields
lists them: ``{"detail": [{"loc": [...], "msg": ..., "type": ...}], "message": ..., "code": ...}``
(``FieldErrorsOut``); every other error is ``{"detail": message, "code": ..., **facts}``
(``ErrorOut``), so a 422 is one of the two (``ValidationErrorOut``). Messages follow the caller's
language (Accept-Language): those that Django Ninja and pydantic write in English are given in the
caller's language too, and stay exactly theirs for English."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel

from govdesk.common.errors import DomainError, ErrorCode, Invalid
from govdesk.common.idnumbers import InvalidIdNumber
from govdesk.presentation.errors import http_status

#: Django Ninja's own messages (a body that is not JSON, nothing found, throttling).
NINJA_MESSAGES: dict[str, Promise] = {
    "Cannot parse request body": gettext_lazy("Cannot parse request body"),
    "Not Found": gettext_lazy("Not Found"),
    "Forbidden": gettext_lazy("Forbidden"),
    "Too many requests.": gettext_lazy("Too many requests."),
}
#: pydantic's messages for bad input, by error type; ``%(…)s`` are keys of the error's context.
PYDANTIC_MESSAGES: dict[str, Promise] = {
    "missing": gettext_lazy("Field required"),
    "extra_forbidden": gettext_lazy("Extra inputs are not permitted"),
    "string_type": gettext_lazy("Input should be a valid string"),
    "string_too_short": gettext_lazy("String should have at least %(min_length)s characters"),
    "string_too_long": gettext_lazy("String should have at most %(max_length)s characters"),
    "string_pattern_mismatch": gettext_lazy("String should match pattern '%(pattern)s'"),
    "int_type": gettext_lazy("Input should be a valid integer"),
    "int_parsing": gettext_lazy(
        "Input should be a valid integer, unable to parse string as an integer"
    ),
    "int_from_float": gettext_lazy(
        "Input should be a valid integer, got a number with a fractional part"
    ),
    "float_type": gettext_lazy("Input should be a valid number"),
    "float_parsing": gettext_lazy(
        "Input should be a valid number, unable to parse string as a number"
    ),
    "bool_type": gettext_lazy("Input should be a valid boolean"),
    "bool_parsing": gettext_lazy("Input should be a valid boolean, unable to interpret input"),
    "greater_than_equal": gettext_lazy("Input should be greater than or equal to %(ge)s"),
    "less_than_equal": gettext_lazy("Input should be less than or equal to %(le)s"),
    "uuid_type": gettext_lazy("UUID input should be a string, bytes or UUID object"),
    "uuid_parsing": gettext_lazy("Input should be a valid UUID"),
    "date_type": gettext_lazy("Input should be a valid date"),
    "date_parsing": gettext_lazy("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": gettext_lazy("Input should be a valid date or datetime"),
    "datetime_type": gettext_lazy("Input should be a valid datetime"),
    "datetime_parsing": gettext_lazy("Input should be a valid datetime"),
    "dict_type": gettext_lazy("Input should be a valid dictionary"),
    "list_type": gettext_lazy("Input should be a valid list"),
    "json_invalid": gettext_lazy("Invalid JSON"),
}


class ApiErrorCode(StrEnum):
    """The codes of the answers the API gives itself, before or around the domain services (whose
    codes are ``common.errors.ErrorCode``)."""

    BAD_REQUEST = "bad_request"  # a body that is not JSON
    UNAUTHENTICATED = "unauthenticated"  # no token, or one that is not (or no longer) valid
    NOT_FOUND = "not_found"
    INVALID_REQUEST = "invalid_request"  # the request does not match the OpenAPI document
    TOO_MANY_REQUESTS = "too_many_requests"


#: The code of an ``HttpError`` Django Ninja raises, by status.
HTTP_ERROR_CODES: dict[int, str] = {
    400: ApiErrorCode.BAD_REQUEST,
    401: ApiErrorCode.UNAUTHENTICATED,
    403: ErrorCode.NOT_ALLOWED,
    404: ApiErrorCode.NOT_FOUND,
    429: ApiErrorCode.TOO_MANY_REQUESTS,
}


def _english() -> bool:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0] == "en"


def ninja_message(message: str) -> str:
    """One of Django Ninja's messages in the caller's language (its own text for English)."""
    base = message.split(" (", 1)[0]  # with DEBUG, Ninja appends the parser's complaint
    known = NINJA_MESSAGES.get(base)
    if known is None or _english():
        return message
    return str(known) + message[len(base) :]


def pydantic_message(error: dict[str, Any]) -> str:
    """pydantic's message for one bad input in the caller's language (its own for English)."""
    message = str(error.get("msg", ""))
    template = PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    if template is None or _english():
        return message
    try:
        return str(template) % dict(error.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return message


def _field_loc(key: str) -> list[str | int]:
    if key.startswith("materials_provided"):
        return ["body", *key.split(".", 1)]
    return ["body", "fields", key]


def error_body(message: str, code: str, /, **facts: Any) -> dict[str, Any]:
    """An ``ErrorOut``: ``{"detail": message, "code": code, **facts}``."""
    return {"detail": message, "code": str(code), **facts}


def domain_error_body(exc: DomainError) -> dict[str, Any]:
    """``{"detail": message, "code": …, **extra}``; bad fields as ``{"detail": [{loc, msg,
    type}], "message": …, "code": …}`` like the validation errors of the request schema."""
    if isinstance(exc, Invalid) and exc.errors:
        return {
            "detail": [
                {"loc": _field_loc(key), "msg": msg, "type": "invalid"}
                for key, msg in exc.errors.items()
            ],
            "message": exc.message,
            "code": str(exc.code),
        }
    return error_body(exc.message, exc.code, **exc.extra)


class ErrorOut(Schema):
    """Any error but bad fields. Domain errors may add facts (a conflict's versions …)."""

    detail: str = Field(description="What went wrong, in the caller's language")
    code: str = Field(description="Machine-readable reason, e.g. not_found, invalid_fields")


class FieldError(Schema):
    loc: list[str | int] = Field(description='Where: e.g. ["query", "limit"], ["id_number"]')
    msg: str = Field(description="What is wrong with it, in the caller's language")
    type: str = Field(description="Machine-readable kind, e.g. missing, checksum, invalid")


class FieldErrorsOut(Schema):
    """Bad input, a message per field at fault; nothing changed."""

    detail: list[FieldError]
    message: str = Field(description="One message for all, in the caller's language")
    code: str = Field(
        description="invalid_request (the request does not match this document) "
        "or a domain code such as invalid_fields"
    )


#: The answer to bad input (422): a message per field, or one message (``ErrorOut``) for input
#: that is wrong as a whole (an idempotency key reused, a name no font can print …).
ValidationErrorOut = FieldErrorsOut | ErrorOut

#: What every operation that reads a JSON body may answer besides its own: 400 for a body that
#: is not JSON (bad JSON values are 422).
BODY_ERRORS: dict[int, Any] = {400: ErrorOut}


#: The ``type`` of the field error for text with the NUL character.
NUL_CHARACTER = "nul_character"


def nul_at(value: Any, loc: list[str | int]) -> list[str | int] | None:
    """Where in ``value`` (a parameter, or a body as its schema read it) a text holds the NUL
    character, or None."""
    if isinstance(value, str):
        return loc if "\x00" in value else None
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        for key, item in value.items():
            found = nul_at(key, [*loc, str(key)]) or nul_at(item, [*loc, str(key)])
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_at(item, [*loc, index])
            if found is not None:
                return found
    return None


def refuse_nul(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (422) text with the NUL character anywhere in an operation's input, once it is
    read and the caller known: no one types it, and PostgreSQL can neither store nor compare it
    (every query with one fails). The OpenAPI document states this once, in its description."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **values: Any) -> Any:
        in_path = request.resolver_match.kwargs if request.resolver_match else {}
        for name, value in values.items():
            source = "path" if name in in_path else "query" if name in request.GET else "body"
            where = nul_at(value, [source, name])
            if where is not None:
                message = _("Text may not contain the NUL character (U+0000).")
                raise NinjaValidationError([{"loc": where, "msg": message, "type": NUL_CHARACTER}])
        return view(request, *args, **values)

    return checked


def install(api: NinjaAPI) -> None:
    api.add_decorator(refuse_nul)

    @api.exception_handler(InvalidIdNumber)
    def invalid_id(request: HttpRequest, exc: InvalidIdNumber) -> HttpResponse:
        body = {
            "detail": [{"loc": ["id_number"], "msg": str(exc.message), "type": exc.code}],
            "message": _("The ID number is not valid."),
            "code": str(ErrorCode.INVALID_FIELDS),
        }
        return api.create_response(request, body, status=422)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, domain_error_body(exc), status=http_status(exc))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        response = api.create_response(
            request,
            error_body(
                _("Sign in first: send Authorization: Bearer <token>."),
                ApiErrorCode.UNAUTHENTICATED,
            ),
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: list[dict[str, Any]] = [
            {
                "loc": [str(p) for p in e.get("loc", [])],
                "msg": pydantic_message(e),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors
        ]
        body = {
            "detail": errors,
            "message": _("The request has values that are not valid: see detail."),
            "code": str(ApiErrorCode.INVALID_REQUEST),
        }
        return api.create_response(request, body, status=422)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = HTTP_ERROR_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return api.create_response(
            request, error_body(ninja_message(str(exc)), code), status=exc.status_code
        )

    @api.exception_handler(Http404)
    def http_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        message = "Not Found" + (f": {exc}" if settings.DEBUG else "")
        return api.create_response(
            request, error_body(ninja_message(message), ApiErrorCode.NOT_FOUND), status=404
        )
