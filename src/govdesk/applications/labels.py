"""What people read for each event of an application's timeline (staff and residents alike)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

EVENT_LABELS: dict[str, Promise] = {
    "create": gettext_lazy("Started"),
    "edit": gettext_lazy("Edited"),
    "submit": gettext_lazy("Submitted"),
    "resubmit": gettext_lazy("Resubmitted"),
    "accept": gettext_lazy("Accepted"),
    "return": gettext_lazy("Returned for correction"),
    "approve": gettext_lazy("Approved"),
    "refuse": gettext_lazy("Refused"),
    "complete": gettext_lazy("Completed"),
    "retry": gettext_lazy("Issuance tried again"),
}


def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))
