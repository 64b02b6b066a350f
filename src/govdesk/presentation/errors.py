"""The HTTP status of each kind of domain error, for every interface layer alike."""

from __future__ import annotations

from govdesk.common.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, Unavailable

#: The first kind that matches gives the status.
HTTP_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (NotAllowed, 403),
    (Conflict, 409),
    (Invalid, 422),
    (Unavailable, 503),
)


def http_status(exc: DomainError) -> int:
    """404, 403, 409, 422 or 503 (400 for a domain error of no known kind)."""
    for kind, status in HTTP_STATUS:
        if isinstance(exc, kind):
            return status
    return 400
