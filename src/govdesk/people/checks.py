"""System checks of this app (``govdesk check``, and every ``runserver`` and ``migrate``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks

from govdesk.people import sources


@checks.register()
def registry_source(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``GOVDESK_REGISTRY`` names a source, and that source finds its configuration sound."""
    return [
        checks.Error(
            problem,
            hint="Set GOVDESK_REGISTRY (and GOVDESK_REGISTRY_*) in the environment or .env; "
            "see .env.example and docs/extending.md.",
            id="people.E001",
        )
        for problem in sources.check_config()
    ]
