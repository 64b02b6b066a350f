"""Errors of certificate issuance: a domain error (``common.errors.Invalid``), so every
interface maps it like any other bad request, with ``code`` naming why."""

from __future__ import annotations

from typing import Any

from govdesk.common.errors import Invalid


class NotIssuable(Invalid):
    """The certificate cannot be issued as things stand; nothing was issued. ``code`` names
    why: uncovered_characters | missing_facts | no_layout | no_signing_key | not_approved."""

    def __init__(self, message: str, *, code: str, **extra: Any) -> None:
        super().__init__(message, code=code, **extra)
