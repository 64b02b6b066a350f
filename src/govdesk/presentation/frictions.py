"""What the report-a-stutter pages of the workbench and the portal share: the context a
report carries, read from where the person was (never typed), and the names of kinds,
statuses and actions on screen."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from govdesk.frictions.lifecycle import BUTTON_LABELS, Action
from govdesk.frictions.models import Kind, ProblemStatus
from govdesk.frictions.services import Context

#: Pages that show one application: a report made there concerns it.
_APPLICATION_PAGE = re.compile(r"^/(?:staff/applications|me/applications)/([0-9a-f-]{36})/")


def safe_screen(raw: str) -> str:
    """The page the person came from, if it is one of ours (a path); else the home page."""
    if raw and raw.startswith("/") and url_has_allowed_host_and_scheme(raw, allowed_hosts=None):
        return raw[:300]
    return ""


def report_context(request: HttpRequest, *, channel: str, elder_mode: bool) -> Context:
    """The context of a report from the report page's query (or form): the screen it was
    made on, the application that screen shows (or the one named), the field, the matter."""
    data = request.POST if request.method == "POST" else request.GET
    screen = safe_screen(str(data.get("screen", "")))
    application = str(data.get("application", "")).strip()
    if not application:
        found = _APPLICATION_PAGE.match(screen)
        application = found.group(1) if found else ""
    return Context(
        application=application or None,
        matter=str(data.get("matter", ""))[:64],
        field=str(data.get("field", ""))[:64],
        material=str(data.get("material", ""))[:200],
        screen=screen,
        channel=channel,
        language=getattr(request, "LANGUAGE_CODE", "") or "",
        elder_mode=elder_mode,
    )


def kind_label(kind: str) -> str:
    return str(Kind(kind).label) if kind in Kind.values else kind


def status_label(status: str) -> str:
    return str(ProblemStatus(status).label) if status in ProblemStatus.values else status


def action_label(action: str) -> str:
    return str(Action(action).label) if action in Action.values else action


def button_label(action: Any) -> str:
    return (
        str(BUTTON_LABELS.get(Action(action), action)) if action in Action.values else str(action)
    )
