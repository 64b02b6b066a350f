"""Bearer-token authentication for /api/v1/."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from govdesk.accounts.services import token_lookup
from govdesk.common.http import client_ip
from govdesk.common.principal import Principal


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = token_lookup(token=token)
        if found is None:
            return None
        ip = client_ip(request)
        if found.user is not None:
            if not found.user.is_active:
                return None
            return Principal(kind="staff", user=found.user, ip=ip)
        return Principal(kind="resident", person=found.resident, ip=ip)


def principal_of(request: HttpRequest) -> Principal:
    principal = getattr(request, "auth", None)
    if not isinstance(principal, Principal):
        raise TypeError("the endpoint is not authenticated")
    return principal
