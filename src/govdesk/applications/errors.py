"""The errors of the application services: the domain errors of ``common.errors`` and the
narrower kinds this app raises. None knows its HTTP status; the interface layers map them."""

from __future__ import annotations

from govdesk.common.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    Invalid,
    NotAllowed,
    NotFound,
    Unavailable,
)

__all__ = [
    "AlreadyHeld",
    "DomainError",
    "IdempotencyKeyReused",
    "InvalidFields",
    "NotAllowed",
    "NotFound",
    "NotPrintable",
    "PrintingUnavailable",
    "StateConflict",
    "VersionConflict",
]


class StateConflict(Conflict):
    """The application's status does not allow this (already submitted, say)."""

    code = ErrorCode.STATE_CONFLICT


class VersionConflict(Conflict):
    """Someone changed the application since the caller read it (``your_version`` and
    ``current_version`` say which)."""

    code = ErrorCode.VERSION_CONFLICT


class AlreadyHeld(Conflict):
    """The person already holds what the matter gives (an approval in force, a valid
    certificate): a new application needs a reason. ``held`` says what and where."""

    code = ErrorCode.ALREADY_HELD


class IdempotencyKeyReused(Invalid):
    """The same Idempotency-Key came with a different request body."""

    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class NotPrintable(Invalid):
    """The document cannot be generated from this data (e.g. a character no font has)."""

    code = ErrorCode.NOT_PRINTABLE


class PrintingUnavailable(Unavailable):
    """The server cannot print documents right now (fonts or renderer missing)."""

    code = ErrorCode.PRINTING_UNAVAILABLE


class InvalidFields(Invalid):
    """Bad input, a message per field; nothing was saved."""

    code = ErrorCode.INVALID_FIELDS
