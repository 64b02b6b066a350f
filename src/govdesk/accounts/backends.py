"""Staff login: Django's model backend, audited. Lock-outs are django-axes' (see
``accounts.lockout``): its backend comes first and refuses a locked-out client before this one
checks any password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from govdesk.accounts import services
from govdesk.accounts.models import User
from govdesk.common.http import client_ip


class AuditedModelBackend(ModelBackend):
    """Writes ``login.succeeded`` or ``login.failed`` (unknown user names too) for every
    password it checks."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.login_failure_record(username=username, ip=client_ip(request))
            return None
        services.login_success_record(user=user, ip=client_ip(request))
        return user
