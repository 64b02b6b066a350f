"""People-facing values, one way for every screen: choice labels, display values, the names
of sources, local dates and times, roles and timelines.

The workbench and the portal both format the typed values of the selectors with these; they
differ only where their readers do (a clerk's badge names the source; a resident reads a
sentence about it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from govdesk.applications.lifecycle import event_label
from govdesk.applications.readmodels import TimelineEvent
from govdesk.catalog.i18n import language, text
from govdesk.common.idnumbers import mask_value
from govdesk.common.roles import RESIDENT, SYSTEM, Role
from govdesk.forms.models import DataElement
from govdesk.people.models import Relation, Source

#: What each kind of source is called on a clerk's badge (registry values name the registry).
SOURCE_KIND_LABELS: dict[str, Promise] = {
    "registry": gettext_lazy("Registry"),
    "licence": gettext_lazy("E-licence"),
    "captured": gettext_lazy("Captured earlier"),
    "typed": gettext_lazy("Typed in this application"),
    "derived": gettext_lazy("Computed"),
    "default": gettext_lazy("Default"),
    "produced": gettext_lazy("Issued by an earlier step"),
}
#: What the materials checklist says of each material's status.
MATERIAL_LABELS: dict[str, Promise] = {
    "licence": gettext_lazy("E-licence verified"),
    "registry": gettext_lazy("From system data"),
    "provided": gettext_lazy("Checked at the window"),
    "required": gettext_lazy("Needed from the applicant"),
    "uploaded": gettext_lazy("Uploaded by the applicant's side"),
}


def is_english() -> bool:
    return language() == "en"


def separator() -> str:
    return ", " if is_english() else "、"


def choice_label(choice: Sequence[Any]) -> str:
    """A choice is ``[value, Chinese label, English label]``; the label in the reader's
    language (Traditional converted from the Chinese label)."""
    if is_english() and len(choice) > 2 and choice[2]:
        return str(choice[2])
    label = str(choice[1]) if len(choice) > 1 else str(choice[0])
    return str(text(label))


def choice_options(choices: Sequence[Sequence[Any]]) -> list[tuple[str, str]]:
    return [(str(c[0]), choice_label(c)) for c in choices if c]


def relation_label(relation: str) -> str:
    return str(Relation(relation).label) if relation in Relation.values else relation


def member_label(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    return f"{item.get('name', '')} ({relation_label(str(item.get('relation', '')))})"


def awaited_text(source: str | None, origin: str) -> str:
    """What an empty value that an earlier step will issue says instead of "unknown"."""
    if source == "produced" and origin:
        return _("Issued when step %(step)s is approved") % {"step": origin}
    return ""


def display_value(kind: str, value: Any, choices: Sequence[Sequence[Any]] = ()) -> str:
    """A value as a person reads it: choice labels, yes/no, members with their relation, a
    licence or account by its number."""
    if value is None or value == "" or value == []:
        return ""
    labels = dict(choice_options(choices))
    if isinstance(value, list):
        if kind == "list" or (value and isinstance(value[0], dict)):
            return separator().join(member_label(item) for item in value)
        return separator().join(labels.get(str(v), str(v)) for v in value)
    if labels:
        return labels.get(str(value), str(value))
    if isinstance(value, bool) or kind == "bool":
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        named = value.get("number") or value.get("name")
        if named:
            return str(named)
        return separator().join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def element_display(key: str, value: Any) -> str:
    """A registry value of the data element ``key`` as people read it (a choice's label from
    the dictionary of data elements: ``never_employed`` reads 未就业), for screens that show a
    value outside a form."""
    element = DataElement.objects.filter(key=key).values_list("type", "choices").first()
    if element is None:
        return display_value("text", value)
    return display_value(element[0], value, element[1] or ())


def masked_display(kind: str, value: Any, choices: Sequence[Sequence[Any]] = ()) -> str:
    """``display_value`` of the masked value (for values a screen must never show in full,
    such as the two sides of a conflict)."""
    return display_value(kind, mask_value(kind, value), choices)


def members(value: Any) -> list[dict[str, str]] | None:
    """A list of people (household members) as rows, or None if ``value`` is not one."""
    if not (isinstance(value, list) and value and isinstance(value[0], dict)):
        return None
    return [
        {
            "name": str(m.get("name", "")),
            "relation": relation_label(str(m.get("relation", ""))),
            "id_number": str(m.get("id_number", "")),
            "birth_date": str(m.get("birth_date", "")),
        }
        for m in value
    ]


def source_name(source: str | None, origin: str) -> str:
    """The name of where a value came from: the registry's own name for registry and licence
    values, else the kind of source."""
    if source in {"registry", "licence"} and origin in Source.values:
        return str(Source(origin).label)
    if source is None:
        return _("Not known")
    return str(SOURCE_KIND_LABELS.get(source, source))


def source_sentence(source: str | None, origin: str, as_of: str | None) -> str:
    """The same for a resident, as a phrase: "from Population registry, 2026-03-01"."""
    when = local_date(as_of)
    if source in {"registry", "licence"}:
        name = source_name(source, origin)
        if when:
            return _("from %(source)s, %(date)s") % {"source": name, "date": when}
        return _("from %(source)s") % {"source": name}
    if source == "captured":
        return _("given earlier, %(date)s") % {"date": when}
    if source == "typed":
        return _("typed in this application")
    if source == "derived":
        return _("worked out from the facts above")
    if source == "default":
        return _("standard wording")
    if source == "produced":
        return _("issued by an earlier step of this bundle")
    return ""


def _parsed(moment: str) -> datetime | date | None:
    """An ISO timestamp or date, or None for a string that is neither."""
    try:
        return parse_datetime(moment) or parse_date(moment)
    except ValueError:  # well formed but no such moment (2026-02-30)
        return None


def local_time(moment: datetime | str | None) -> datetime | None:
    """A moment in the deployment's time zone (``GOVDESK_TIME_ZONE``; ISO strings are
    parsed). Screens, forms and certificates show moments only through this (or Django's
    template filters, which do the same), never a UTC string cut short."""
    if moment is None or moment == "":
        return None
    parsed = _parsed(moment) if isinstance(moment, str) else moment
    if not isinstance(parsed, datetime):
        return None
    return timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed


def local_date(moment: date | datetime | str | None) -> str:
    """``2026-03-01``: the local date of a moment (``local_time``), a date, or an ISO date or
    timestamp. A timestamp's date is the date where the deployment is, not in UTC: at 00:30
    in Shanghai it is already the next day. Text that is no date is given back whole."""
    if moment is None or moment == "":
        return ""
    parsed = _parsed(moment) if isinstance(moment, str) else moment
    if parsed is None:
        return str(moment)
    if isinstance(parsed, datetime):
        return (local_time(parsed) or parsed).strftime("%Y-%m-%d")
    return parsed.isoformat()


@dataclass(frozen=True)
class TimeLimit:
    label: str
    text: str


def working_days(days: int) -> str:
    """``5 working days``; none at all is done on the spot (即办)."""
    if days <= 0:
        return _("on the spot")
    return ngettext("%(days)d working day", "%(days)d working days", days) % {"days": days}


def time_limits(
    *, promised_days: int, time_limit_days: int, deadline: date | None = None
) -> list[TimeLimit]:
    """How long a matter takes, in the same words on the guide, the resident's application
    and the workbench: the promised time (承诺时限), the statutory time limit (法定时限), and,
    once the application is accepted, its deadline (counted from acceptance by the statutory
    limit, a local date)."""
    rows = [
        TimeLimit(_("Promised time limit"), working_days(promised_days)),
        TimeLimit(_("Statutory time limit"), working_days(time_limit_days)),
    ]
    if deadline is not None:
        rows.append(TimeLimit(_("Deadline"), local_date(deadline)))
    return rows


def actor_label(actor: str) -> str:
    """Who did something, as staff read it: a member of staff by user name; a resident (who
    acts only on their own records) as the applicant, never by their reference or number."""
    if actor.startswith(f"{RESIDENT}:"):
        return _("The applicant")
    return actor


def role_label(role: str) -> str:
    """A staff role's name, "Resident" for what a resident did, "The platform" for what it
    did by itself."""
    if role == SYSTEM:
        return _("The platform")
    if role == RESIDENT:
        return _("Resident")
    return str(Role(role).label) if role in Role.values else role


def timeline_rows(
    events: Sequence[TimelineEvent], *, for_resident: bool = False
) -> list[dict[str, Any]]:
    """The timeline as people read it. A resident sees "You" for their own steps and the role
    (never the name) of staff, and no editing events."""
    rows = []
    for e in events:
        if for_resident and e.action == "edit":
            continue
        who = actor_label(e.actor)
        if for_resident:  # a resident reads roles, never the names of staff
            who = _("You") if e.role == RESIDENT else role_label(e.role)
        rows.append(
            {
                "action": event_label(e.action),
                "who": who,
                "actor": actor_label(e.actor),
                "role": role_label(e.role),
                "at": local_time(e.at),
                "comment": e.comment,
                "to": e.to_status,
            }
        )
    return rows
