"""Template context for every page: display modes (elder, accessible) and the signed-in
resident."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from govdesk.portal.session import RESIDENT_KEY, current_resident, modes


def portal(request: HttpRequest) -> dict[str, Any]:
    ui = modes(request)
    classes = [name for name, on in ui.items() if on]
    resident = None
    if hasattr(request, "session") and request.session.get(RESIDENT_KEY) is not None:
        resident = current_resident(request)
    return {"ui_modes": ui, "ui_body_class": " ".join(classes), "portal_resident": resident}
