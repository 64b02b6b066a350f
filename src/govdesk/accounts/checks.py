"""System checks of this app (``govdesk check``, and every ``runserver`` and ``migrate``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks

from govdesk.accounts import identity, sms

HINT = "Set {} in the environment or .env; see .env.example and docs/extending.md."


@checks.register()
def adapters(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``GOVDESK_SMS_GATEWAY`` and ``GOVDESK_IDENTITY_PROVIDER`` name adapters that exist, and
    those find their configuration sound."""
    return [
        checks.Error(problem, hint=HINT.format(setting), id=check_id)
        for setting, check_id, check_config in (
            ("GOVDESK_SMS_GATEWAY", "accounts.E001", sms.check_config),
            ("GOVDESK_IDENTITY_PROVIDER", "accounts.E002", identity.check_config),
        )
        for problem in check_config()
    ]
