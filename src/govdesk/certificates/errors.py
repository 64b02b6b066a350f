"""Errors of certificate issuance. They subclass the application errors, so the API maps them
to their HTTP status and ``{"detail": message, "code": …}`` like every other error."""

from __future__ import annotations

from typing import Any

from govdesk.applications.errors import ApplicationError


class NotIssuable(ApplicationError):
    """The certificate cannot be issued as things stand; nothing was issued. ``code`` names
    why: uncovered_characters | missing_facts | no_layout | no_signing_key | not_approved."""

    status = 422

    def __init__(self, message: str, *, code: str, **extra: Any) -> None:
        super().__init__(message, code=code, **extra)
        self.code = code
