"""The domain errors every app raises: what went wrong, never how to answer it over HTTP.

Each error carries a machine-readable ``code`` (an :class:`ErrorCode`, or a narrower reason
such as ``"uncovered_characters"`` that an app documents), a translated message
for people, and optional ``extra`` facts (the versions of a conflict, the status it met).
Interface layers map the five kinds to their own answers in one place each: the API in
``api/errors.py`` (404, 403, 409, 422, 503), the workbench in ``staff_view`` and the portal in
``resident_view``. Apps subclass these for their own cases (``people.PersonNotFound``,
``applications.VersionConflict`` …) so that callers may catch the narrow or the broad kind.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    CONFLICT = "conflict"
    STATE_CONFLICT = "state_conflict"
    VERSION_CONFLICT = "version_conflict"
    ALREADY_HELD = "already_held"
    INVALID = "invalid"
    INVALID_FIELDS = "invalid_fields"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    NOT_PRINTABLE = "not_printable"
    UNAVAILABLE = "unavailable"
    PRINTING_UNAVAILABLE = "printing_unavailable"
    REGISTRY_UNAVAILABLE = "registry_unavailable"


class DomainError(Exception):
    """Base of every error a domain service raises on purpose."""

    code: str = ErrorCode.INVALID

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.extra = extra

    @property
    def errors(self) -> dict[str, str]:
        """Messages per field (empty unless the error is about particular fields)."""
        return {}


class NotFound(DomainError):
    """No such object, or one this principal may not know exists."""

    code = ErrorCode.NOT_FOUND


class NotAllowed(DomainError):
    """The principal may not do this."""

    code = ErrorCode.NOT_ALLOWED


class Conflict(DomainError):
    """The object is not in a state that allows this, or changed meanwhile."""

    code = ErrorCode.CONFLICT


class Invalid(DomainError):
    """Bad input. ``errors`` names the fields at fault, each with its message; nothing changed."""

    code = ErrorCode.INVALID

    def __init__(
        self,
        message: str,
        errors: dict[str, str] | None = None,
        *,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message, code=code, **extra)
        self._errors = {key: str(value) for key, value in (errors or {}).items()}

    @property
    def errors(self) -> dict[str, str]:
        return self._errors


class Unavailable(DomainError):
    """Something the service depends on (a registry, the PDF renderer, a gateway) cannot be
    reached or used right now; trying again later may work."""

    code = ErrorCode.UNAVAILABLE
