"""Errors the application services raise; the API maps each to its HTTP status."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(ApplicationError):
    status = 404


class NotAllowed(ApplicationError):
    status = 403


class StateConflict(ApplicationError):
    status = 409


class IdempotencyKeyReused(ApplicationError):
    """The same Idempotency-Key came with a different request body."""

    status = 422


class VersionConflict(ApplicationError):
    status = 409


class NotPrintable(ApplicationError):
    """The document cannot be generated from this data (e.g. a character no font has)."""

    status = 422


class PrintingUnavailable(ApplicationError):
    """The server cannot print documents right now (fonts or renderer missing)."""

    status = 503


class InvalidFields(ApplicationError):
    """Bad input, a message per field; nothing was saved."""

    status = 422

    def __init__(self, message: str, errors: dict[str, str]) -> None:
        super().__init__(message, errors=errors)
        self.errors = errors
