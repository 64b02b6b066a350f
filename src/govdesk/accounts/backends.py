"""Staff login with lock-out after repeated failures."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from govdesk.accounts import services
from govdesk.accounts.models import User
from govdesk.common.http import client_ip


class LockoutModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        ip = client_ip(request)
        if services.login_is_locked(username=username):
            services.login_failure_record(username=username, ip=ip, locked=True)
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.login_failure_record(username=username, ip=ip, locked=False)
            return None
        services.login_success_record(username=username, ip=ip)
        return user
