"""Reads of applications: the full application as screens and the API show it, queues,
open applications and the offers a person qualifies for (★). Staff reads are audited."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications import lifecycle, policies
from govdesk.applications.errors import InvalidFields, NotFound
from govdesk.applications.lifecycle import OPEN_STATUSES, Status
from govdesk.applications.materials import (
    Held,
    UploadRef,
    held_from,
    material_keys,
    material_specs,
    resolve_materials,
)
from govdesk.applications.models import (
    Application,
    ApplicationEvent,
    OutcomeIntent,
)
from govdesk.applications.rawreads import application_by_id, current_uploads_of, events_of
from govdesk.applications.readmodels import (
    ApplicationDetail,
    ApplicationPage,
    ApplicationSummary,
    BundleStepRef,
    FieldValue,
    MatterRef,
    Offer,
    TimelineEvent,
)
from govdesk.applications.returns import last_return, shown
from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_list_read, audit_record, person_subject
from govdesk.catalog.i18n import language, text
from govdesk.catalog.models import Bundle, Matter, OfferRule
from govdesk.catalog.offers import OfferRuleError, Rule
from govdesk.common.idnumbers import mask
from govdesk.common.principal import Principal
from govdesk.common.roles import Role
from govdesk.forms.models import FormDefinition
from govdesk.forms.prefill import Resolved, prefill
from govdesk.forms.schema import (
    FieldSpec,
    FormSpec,
    data_elements,
    form_for,
    matter_materials,
    matters_by_id,
)
from govdesk.organisations.selectors import service_point_name, subtree_ids
from govdesk.people.sources import registry

logger = logging.getLogger(__name__)


def get_application(*, principal: Principal, application_id: UUID | str) -> Application:
    try:
        pk = application_id if isinstance(application_id, UUID) else UUID(str(application_id))
    except ValueError as exc:
        raise NotFound(_("No such application.")) from exc
    application = application_by_id(pk)
    if application is None:
        raise NotFound(_("No such application."))
    ensure_readable(principal, application)
    return application


def replay_check(*, principal: Principal, application_id: str) -> None:
    """Before a stored response about an application is given again (an Idempotency-Key
    replay): the caller must still be allowed to read it, and a staff read is audited."""
    application = get_application(principal=principal, application_id=application_id)
    if principal.kind == "staff":
        audit_record(
            actor=principal.actor(),
            action=AuditAction.APPLICATION_READ,
            subject=person_subject(application.applicant.id_number),
            detail={"application": str(application.id), "replay": True},
        )


def ensure_readable(principal: Principal, application: Application) -> None:
    """Refuse (as not found, audited) an application this principal may not read."""
    if not policies.may_read(principal, application):
        audit_record(
            actor=principal.actor(),
            action=AuditAction.APPLICATION_READ,
            result="denied",
            subject=person_subject(application.applicant.id_number),
            detail={"application": str(application.id)},
        )
        raise NotFound(_("No such application."))


EMPTY: tuple[Any, ...] = (None, "", [])


@dataclass(frozen=True)
class Resolution:
    """An application's fields (value, source, required …) and what the system holds for its
    materials, from one look-up of the registries (a draft) or from what was frozen when it
    was submitted (no look-up)."""

    fields: dict[str, Resolved]
    held: dict[str, Held]
    produced: dict[str, str]


def resolve(
    application: Application, form: FormSpec, produced: dict[str, str] | None = None
) -> Resolution:
    """Live values while the application can still change; the submitted values after.

    A submitted application is read from its snapshot and the facts frozen with it; only what
    they lack is looked up (a field added to the form since, or an e-licence that an earlier
    step of the same bundle issues on its approval: ``produced``, from ``_produced_earlier``,
    reaches this step whenever it exists, even after this step was submitted without it; until
    then the field says which step will issue it, source ``produced``, never "unknown")."""
    if produced is None:
        produced = _produced_earlier(application)
    awaited = {f"licence.{kind}": step for kind, step in produced.items()}
    requirements = matter_materials(application.matter)
    keys = material_keys(requirements)
    frozen = application.snapshot is not None and (
        application.status not in lifecycle.EDITABLE_STATUSES
    )
    snapshot: dict[str, Any] = (application.snapshot or {}) if frozen else {}
    values = {key: item.get("value") for key, item in snapshot.items()}
    fields = {
        spec.key: _frozen(spec, snapshot[spec.key], values)
        for spec in form.fields
        if spec.key in snapshot
    }
    held = (
        {k: Held.from_json(v) for k, v in application.held.items()}
        if frozen and application.held is not None
        else None
    )
    for_fields = [
        spec
        for spec in form.fields
        if spec.key not in fields or (spec.key in awaited and fields[spec.key].value in EMPTY)
    ]
    for_materials = material_specs(requirements) if held is None else []
    if for_fields or for_materials:
        live = prefill(
            id_number=application.applicant.id_number,
            specs=_unique([*for_fields, *for_materials]),
            application_ref=str(application.id),
        )
        for spec in for_fields:
            if spec.key not in fields or live[spec.key].value not in EMPTY:
                fields[spec.key] = live[spec.key]
        if held is None:
            held = held_from(live, keys)
    fields = {spec.key: fields[spec.key] for spec in form.fields if spec.key in fields}
    for key, step in awaited.items():
        resolved = fields.get(key)
        if resolved is not None and resolved.value in EMPTY:
            resolved.source, resolved.origin = "produced", step
            resolved.required = False  # not missing: it comes with the earlier step's approval
    return Resolution(fields=fields, held=held or {}, produced=produced)


def _unique(specs: list[FieldSpec]) -> list[FieldSpec]:
    seen: dict[str, FieldSpec] = {}
    for spec in specs:
        seen.setdefault(spec.key, spec)
    return list(seen.values())


def _frozen(spec: FieldSpec, frozen: dict[str, Any], values: dict[str, Any]) -> Resolved:
    """A field as it was submitted (``Application.snapshot``; ``values``: every value in it)."""
    resolved = Resolved.of(spec, values)
    resolved.value = frozen.get("value")
    resolved.source = frozen.get("source")
    resolved.origin = frozen.get("origin") or ""
    resolved.as_of = frozen.get("as_of")
    resolved.conflict = frozen.get("conflict")
    return resolved


def resolved_fields(
    application: Application, form: FormSpec, produced: dict[str, str] | None = None
) -> dict[str, Resolved]:
    """The application's fields (``resolve``)."""
    return resolve(application, form, produced).fields


def _produced_earlier(application: Application, *, localise: bool = True) -> dict[str, str]:
    """E-licence type → the earlier step of the bundle that issues it ("1. 失业登记"), the
    matter named in the reader's language (in Chinese for printed forms: ``localise=False``)."""
    if application.bundle_run_id is None or application.step is None:
        return {}
    earlier = (
        Application.objects.filter(
            bundle_run_id=application.bundle_run_id, step__lt=application.step
        )
        .exclude(status=Status.REFUSED)
        .select_related("matter")
    )
    forms = {
        f.matter_id: f.produces
        for f in FormDefinition.objects.filter(matter__in=[a.matter_id for a in earlier])
        if f.produces
    }
    return {
        forms[a.matter_id]: f"{a.step}. "
        + (str(text(a.matter.name, a.matter.en, "name")) if localise else a.matter.name)
        for a in earlier
        if a.matter_id in forms
    }


def application_detail(
    *,
    principal: Principal,
    application: Application,
    unmask: bool = False,
    audited: bool = True,
) -> ApplicationDetail:
    """The application with every field (value, source, required, missing), the materials
    checklist, the timeline and the actions this principal may take. A staff read is audited
    (``audited=False`` only where the caller's own change was just audited with the same
    subject: the answer to a write)."""
    form = form_for(application.matter)
    resolution = resolve(application, form)
    fields = resolution.fields
    show_full = unmask and (
        principal.kind == "resident" or principal.role in {Role.CLERK, Role.REVIEWER, Role.APPROVER}
    )
    uploads = current_uploads(application)
    materials, optional = resolve_materials(
        requirements=matter_materials(application.matter),
        held=resolution.held,
        provided=application.materials_provided,
        produced_earlier=resolution.produced,
        uploads=uploads,
    )
    if principal.kind == "staff" and audited:
        audit_record(
            actor=principal.actor(),
            action=AuditAction.APPLICATION_READ,
            subject=person_subject(application.applicant.id_number),
            detail={"application": str(application.id), "unmasked": show_full},
        )
    sections = {spec.key: spec.section for spec in form.fields}
    lang = language()
    elements = data_elements()
    label_of = {
        key: (elements[key].label_en if lang == "en" and key in elements else "")
        or text(r.label, lang=lang)
        for key, r in fields.items()
    }
    matter = application.matter
    run = application.bundle_run if application.bundle_run_id else None
    events = (
        list(application.events.all())
        if _prefetched(application, "events")
        else events_of(application)
    )
    waiting_since = (
        OutcomeIntent.objects.filter(application=application, done_at__isnull=True)
        .values_list("created_at", flat=True)
        .first()
        if application.status in lifecycle.OUTCOME_STATUSES
        else None
    )
    return ApplicationDetail(
        id=application.id,
        number=application.number,
        matter=MatterRef(
            code=matter.code,
            name=matter.name,
            name_en=matter.en.get("name", ""),
            department=matter.department.short_name,
            decided_at=matter.decided_at,
        ),
        applicant_name=application.applicant.name,
        applicant_id_number=application.applicant.id_number
        if show_full
        else mask(application.applicant.id_number),
        channel=application.channel,
        status=Status(application.status),
        status_label=application.get_status_display(),
        version=application.version,
        created_at=application.created_at,
        submitted_at=application.submitted_at,
        deadline=application.deadline,
        time_limit_days=matter.time_limit_days,
        promised_days=matter.promised_days,
        bundle=BundleStepRef(run.id, run.bundle.code, run.bundle.name, application.step)
        if run is not None
        else None,
        form_code=form.code,
        form_title=form.title,
        fields=[
            FieldValue(
                key=r.key,
                label=label_of[r.key],
                type=r.type,
                choices=r.choices,
                section=sections.get(r.key, ""),
                value=shown(r, r.value, show_full=show_full),
                source=r.source,
                origin=r.origin,
                as_of=r.as_of,
                required=r.required,
                missing=r.missing,
                derived=r.derived,
                conflict=r.conflict,
            )
            for r in fields.values()
        ],
        materials=materials,
        optional_materials=optional,
        timeline=[_event(e) for e in events],
        allowed_actions=policies.allowed_actions(principal, application),
        certificate=application.outcome.get("certificate"),
        outcome={k: v for k, v in application.outcome.items() if k != "certificate"},
        outcomes_waiting_since=waiting_since,
        outcomes_overdue=waiting_since is not None
        and timezone.now() - waiting_since >= timedelta(minutes=settings.OUTCOME_OVERDUE_MINUTES),
        last_return=last_return(
            application,
            fields,
            label_of,
            show_full=show_full,
            events=events,
            uploads={name: u.sha256 for name, u in uploads.items()},
        ),
        accepted_at=application.accepted_at,
        service_point=service_point_name(application.service_point_id)
        if application.service_point_id
        else "",
    )


def current_uploads(application: Application) -> dict[str, UploadRef]:
    """The current upload of each material of the application, by material name (one query)."""
    return {
        u.material: UploadRef(
            id=u.id,
            content_type=u.content_type,
            size=u.size,
            sha256=u.sha256,
            uploaded_by=u.uploaded_by,
            uploaded_by_role=u.uploaded_by_role,
            uploaded_at=u.uploaded_at,
        )
        for u in (
            [u for u in application.uploads.all() if u.replaced_at is None]
            if _prefetched(application, "uploads")
            else current_uploads_of(application)
        )
    }


def _prefetched(application: Application, relation: str) -> bool:
    return relation in getattr(application, "_prefetched_objects_cache", {})


def _event(e: ApplicationEvent) -> TimelineEvent:
    return TimelineEvent(
        action=e.action,
        from_status=e.from_status,
        to_status=e.to_status,
        actor=e.actor,
        role=e.actor_role,
        at=e.at,
        comment=e.comment,
    )


class ListOrder(StrEnum):
    """The orders a list of applications pages in (each a stable keyset)."""

    #: Newest first (by creation, then id): the API's default and the resident's list.
    NEWEST = "newest"
    #: The nearest statutory deadline first, those without one last, then oldest first: what a
    #: queue of work shows.
    DEADLINE = "deadline"


@dataclass(frozen=True)
class ApplicationFilters:
    """What a list may be narrowed to. Staff see what lies within their reach (jurisdiction and
    department) and residents their own, whatever the filters say."""

    status: str | None = None
    matter: str | None = None  # a matter code
    department: str | None = None  # a department code
    created_from: date | None = None  # local dates, both ends included
    created_to: date | None = None
    channel: str | None = None
    overdue: bool | None = None  # past the statutory deadline and not decided (or the contrary)
    #: Only what waits for this member of staff to act (their queue); ignored with ``status``.
    waiting: bool = False

    def signature(self) -> str:
        """A short digest of the filters, which a cursor carries so that it is not used with
        another list."""
        text = json.dumps(asdict(self), default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


#: The largest page anyone may ask for.
MAX_PAGE = 200
#: What a summary row reads (not the snapshot, the facts held, the uploads …).
SUMMARY_FIELDS = (
    "id",
    "number",
    "channel",
    "status",
    "created_at",
    "submitted_at",
    "accepted_at",
    "decided_at",
    "deadline",
    "outcome",
    "matter",
    "applicant",
    "applicant__name",
    "applicant__id_number",
    "region",
    "region__path",
)
#: Where applications without a deadline sort in ``ListOrder.DEADLINE``.
NO_DEADLINE = date(9999, 12, 31)
#: Statuses in which the statutory clock runs (accepted and not yet decided).
DECIDING: tuple[Status, ...] = tuple(
    s for s in OPEN_STATUSES if s not in lifecycle.EDITABLE_STATUSES and s != Status.SUBMITTED
)


@dataclass(frozen=True)
class _Position:
    key: list[str]
    count: int


def application_page(
    *,
    principal: Principal,
    filters: ApplicationFilters | None = None,
    order: ListOrder = ListOrder.NEWEST,
    cursor: str | None = None,
    limit: int = 50,
    with_timeline: bool = False,
) -> ApplicationPage:
    """One page of the applications this principal may read, narrowed by ``filters``, in a
    stable ``order``; ``cursor`` (from the previous page) says where the page starts. Rows
    created while someone pages do not shift the pages (keyset, not offset): none is shown twice
    and none that existed when the first page was read is skipped. ``count`` is counted with the
    first page and carried by the cursor.

    A fixed number of queries whatever the page size: the count (first page only), the rows,
    their timelines if asked for, and one audit row naming every person shown (staff)."""
    filters = filters or ApplicationFilters()
    limit = max(1, min(limit, MAX_PAGE))
    position = _cursor_read(cursor, order, filters) if cursor else None
    rows = _scope(principal, filters)
    count = position.count if position is not None else _count(principal, filters, rows)
    if order == ListOrder.DEADLINE:
        rows = rows.annotate(due=Coalesce("deadline", Value(NO_DEADLINE))).order_by(
            "due", "created_at", "id"
        )
    else:
        rows = rows.order_by("-created_at", "-id")
    if position is not None:
        rows = rows.filter(_after(order, position.key))
    rows = rows.select_related(None).select_related("applicant", "region").only(*SUMMARY_FIELDS)
    if with_timeline:
        rows = rows.prefetch_related("events")
    found = list(rows[: limit + 1])
    matters = matters_by_id()
    for application in found:  # the catalogue this process keeps names them
        matter = matters.get(application.matter_id)
        if matter is not None:  # (one added in another process this second is read)
            application.matter = matter
    more = len(found) > limit
    found = found[:limit]
    next_cursor = _cursor_make(order, filters, found[-1], count) if more and found else None
    detail: dict[str, Any] = {
        key: str(value) for key, value in asdict(filters).items() if value not in (None, False)
    }
    detail["order"] = str(order)
    if position is not None:
        detail["after"] = position.key
    return ApplicationPage(
        results=_summaries(principal, found, audit=detail, with_timeline=with_timeline),
        count=count,
        next_cursor=next_cursor,
    )


#: A list this long is counted at most every ``LIST_COUNT_CACHE_SECONDS`` (the count of a
#: city's million applications takes longer than the page); shorter lists every time.
LARGE_LIST = 10_000


def _count(principal: Principal, filters: ApplicationFilters, rows: QuerySet[Application]) -> int:
    user = principal.user
    scope = (
        f"r{principal.person.pk if principal.person else ''}"
        if principal.kind == "resident"
        else f"s{principal.jurisdiction.path if principal.jurisdiction else ''}"
        f":{user.department_id if user else ''}:{principal.role if filters.waiting else ''}"
    )
    key = f"govdesk:application-count:{scope}:{filters.signature()}"
    kept = cache.get(key)
    if isinstance(kept, int) and kept >= LARGE_LIST:
        return kept
    count = rows.count()
    if count >= LARGE_LIST:
        cache.set(key, count, settings.LIST_COUNT_CACHE_SECONDS)
    return count


def _scope(principal: Principal, filters: ApplicationFilters) -> QuerySet[Application]:
    """What the principal may read, narrowed by the filters (unordered)."""
    rows: QuerySet[Application]
    if principal.kind == "resident":
        rows = Application.objects.select_related(
            "matter__department", "applicant", "region"
        ).filter(applicant=principal.person)
    else:
        rows = _within_reach(principal)
        home = principal.jurisdiction
        if filters.waiting and not filters.status and home is not None:
            rows = rows.filter(status__in=lifecycle.waiting_for(principal.role))
            if principal.role == Role.APPROVER:
                rows = rows.filter(matter__decided_at=home.level)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.matter:
        rows = rows.filter(matter_id__in=_matter_ids(code=filters.matter))
    if filters.department:
        rows = rows.filter(matter_id__in=_matter_ids(department=filters.department))
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.created_from:
        rows = rows.filter(created_at__gte=_local_midnight(filters.created_from))
    if filters.created_to:
        rows = rows.filter(created_at__lt=_local_midnight(filters.created_to + timedelta(days=1)))
    if filters.overdue is not None:
        late = Q(status__in=DECIDING, deadline__lt=timezone.localdate())
        rows = rows.filter(late if filters.overdue else ~late)
    return rows


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _key(order: ListOrder, application: Application) -> list[str]:
    if order == ListOrder.DEADLINE:
        due = application.deadline or NO_DEADLINE
        return [due.isoformat(), application.created_at.isoformat(), str(application.id)]
    return [application.created_at.isoformat(), str(application.id)]


def _after(order: ListOrder, key: list[str]) -> Q:
    """The rows after ``key`` in ``order`` (a keyset condition)."""
    if order == ListOrder.DEADLINE:
        due, created, pk = date.fromisoformat(key[0]), datetime.fromisoformat(key[1]), key[2]
        return Q(due__gte=due) & (
            Q(due__gt=due)
            | Q(due=due, created_at__gt=created)
            | Q(due=due, created_at=created, id__gt=UUID(pk))
        )
    created, pk = datetime.fromisoformat(key[0]), key[1]
    # The first bound is redundant for the result; it lets the database start the index scan
    # at the cursor instead of walking (and filtering out) every row of the earlier pages.
    return Q(created_at__lte=created) & (
        Q(created_at__lt=created) | Q(created_at=created, id__lt=UUID(pk))
    )


def _cursor_make(
    order: ListOrder, filters: ApplicationFilters, last: Application, count: int
) -> str:
    payload = {"o": str(order), "f": filters.signature(), "k": _key(order, last), "n": count}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_read(cursor: str, order: ListOrder, filters: ApplicationFilters) -> _Position:
    bad = InvalidFields(
        _("This page link is not valid; start again from the first page."),
        {"cursor": _("Not a cursor this list gave.")},
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        key = [str(k) for k in payload["k"]]
        count = int(payload["n"])
        if payload["o"] != str(order) or len(key) != (3 if order == ListOrder.DEADLINE else 2):
            raise bad
        _after(order, key)  # the key's parts parse
    except (ValueError, KeyError, TypeError) as exc:
        raise bad from exc
    if payload.get("f") != filters.signature():
        raise InvalidFields(
            _(
                "This page link belongs to a list with other filters; "
                "start again from the first page."
            ),
            {"cursor": _("Not a cursor of this list.")},
        )
    return _Position(key=key, count=count)


def application_list(
    *,
    principal: Principal,
    status: str | None = None,
    limit: int = 100,
    with_timeline: bool = False,
) -> list[ApplicationSummary]:
    """The first page of the principal's queue: for staff what waits for them (or every
    application in ``status``) by deadline; for a resident their own, newest first."""
    staff = principal.kind == "staff"
    return application_page(
        principal=principal,
        filters=ApplicationFilters(status=status, waiting=staff),
        order=ListOrder.DEADLINE if staff else ListOrder.NEWEST,
        limit=limit,
        with_timeline=with_timeline,
    ).results


def outcomes_overdue_list(*, principal: Principal, limit: int = 50) -> list[ApplicationSummary]:
    """Approved applications in this member of staff's area (and department) whose outcomes
    (the certificate …) have not all happened ``OUTCOME_OVERDUE_MINUTES`` after the approval:
    one failed, or it never ran (its worker died and none took it over). Oldest approval first,
    in one query for the rows whatever their number."""
    since = timezone.now() - timedelta(minutes=settings.OUTCOME_OVERDUE_MINUTES)
    rows = (
        _within_reach(principal)
        .filter(
            status__in=lifecycle.OUTCOME_STATUSES,
            outcome_intent__done_at__isnull=True,
            outcome_intent__created_at__lte=since,
        )
        .order_by("outcome_intent__created_at")
    )
    found = list(rows[: max(1, limit)])
    return _summaries(principal, found, audit={"list": "outcomes_overdue"})


def _outcome_error(outcome: dict[str, Any]) -> str:
    from govdesk.applications.outcomes import failed

    return next((str(r.get("error", "")) for r in outcome.values() if failed(r)), "")


def _summaries(
    principal: Principal,
    found: list[Application],
    *,
    audit: dict[str, Any],
    with_timeline: bool = False,
) -> list[ApplicationSummary]:
    if principal.kind == "staff":
        audit_list_read(
            actor=principal.actor(),
            action=AuditAction.APPLICATION_LIST,
            id_numbers=[a.applicant.id_number for a in found],
            detail=audit,
        )
    today = timezone.localdate()
    return [
        ApplicationSummary(
            id=a.id,
            number=a.number,
            matter_code=a.matter.code,
            matter_name=text(a.matter.name, a.matter.en, "name"),
            applicant_name=a.applicant.name,
            applicant_id_number=mask(a.applicant.id_number),
            channel=a.channel,
            status=Status(a.status),
            status_label=str(Status(a.status).label),
            created_at=a.created_at,
            submitted_at=a.submitted_at,
            deadline=a.deadline,
            editable=policies.may_edit(principal, a),
            decided_at=a.decided_at,
            outcome_error=_outcome_error(a.outcome),
            timeline=[_event(e) for e in a.events.all()] if with_timeline else [],
            accepted_at=a.accepted_at,
            department=a.matter.department.short_name,
            holder=lifecycle.holder(a.status),
            overdue=a.deadline is not None and a.deadline < today and a.status in DECIDING,
        )
        for a in found
    ]


def _within_reach(principal: Principal) -> QuerySet[Application]:
    """Every application a member of staff may read: in their jurisdiction, and of their
    department's matters where they belong to one (``policies.may_read`` as a query)."""
    base = Application.objects.select_related("matter__department", "applicant", "region")
    home = principal.jurisdiction
    if principal.kind != "staff" or home is None or principal.role not in policies.STAFF_READERS:
        return base.none()
    scoped = base.filter(region_id__in=subtree_ids(home))
    user = principal.user
    if user is not None and user.department_id is not None:
        scoped = scoped.filter(matter_id__in=_matter_ids(department_id=user.department_id))
    return scoped


def _matter_ids(
    *, department_id: int | None = None, department: str = "", code: str = ""
) -> list[int]:
    """The ids of the matters of a department (by id or code) or with a code, from the
    catalogue the process keeps: a list filters on its own column (an index), not a join."""
    return [
        m.pk
        for m in matters_by_id().values()
        if (department_id is None or m.department_id == department_id)
        and (not department or m.department.code == department)
        and (not code or m.code == code)
    ]


def current_application(*, person_id: int, matter_code: str) -> Application | None:
    """The person's application for this matter that is under way (the newest, if several),
    or None. The portal's guide shows it; starting the matter again resumes it."""
    return (
        Application.objects.filter(
            applicant_id=person_id, matter__code=matter_code, status__in=OPEN_STATUSES
        )
        .order_by("-created_at")
        .first()
    )


def open_applications(*, person_id: int) -> QuerySet[Application]:
    return (
        Application.objects.filter(applicant_id=person_id, status__in=OPEN_STATUSES)
        .select_related("matter")
        .order_by("-created_at")
    )


def offers_for(*, id_number: str, today: date | None = None) -> list[Offer]:
    """The matters and bundles this person qualifies for now, by the registries' facts, with
    the reason (the catalogue's offer rules, ``catalog/data/offers.yaml``), leaving out what
    they already hold (the e-licence it grants, or an application for it approved or done) or
    have under way (any application for it that was not refused; for a rule of the household,
    one by any member). In rule order, each matter or bundle once.

    Callers have already been allowed to read the person (the workbench reads the person card
    first; a resident reads their own). Four queries whatever the rules (the rules, the
    person, their household, the records of the one registry look-up) and one for their
    applications: the registry answers every element any rule needs at once.
    """
    today = today or timezone.localdate()
    stored = list(
        OfferRule.objects.filter(published=True)
        .filter(Q(matter__published=True) | Q(bundle__published=True))
        .select_related("matter", "bundle")
        .order_by("order")
    )
    rules: list[tuple[OfferRule, Rule]] = []
    for row in stored:
        try:
            rules.append((row, row.rule()))
        except OfferRuleError:  # checked when loaded; a row changed since is left out
            logger.warning("offer rule %s cannot be used", row.code, exc_info=True)
    if not rules:
        return []
    elements = set().union(*(rule.elements for _, rule in rules))
    found = registry().lookup(subjects=[id_number], elements=elements).get(id_number, {})
    if not found:
        return []
    values = {key: item.value for key, item in found.items()}
    matching = [(row, rule) for row, rule in rules if rule.matches(values, today)]
    if not matching:
        return []
    members = {m["id_number"] for m in values.get("household.members") or []} - {id_number}
    taken = _applied_for([id_number, *members])
    lang = language()
    offers: list[Offer] = []
    seen: set[str] = set()
    for row, rule in matching:
        target: Matter | Bundle | None = row.matter or row.bundle
        assert target is not None  # a rule offers one of them (a constraint of the table)
        kind = "matter" if row.matter is not None else "bundle"
        if target.code in seen:
            continue
        seen.add(target.code)
        who = {id_number, *members} if rule.household else {id_number}
        if rule.held(values) or any((number, kind, target.code) in taken for number in who):
            continue
        offers.append(
            Offer(
                rule=rule.code,
                kind=kind,
                code=target.code,
                name=text(target.name, target.en, "name", lang),
                reason=rule.fill(text(rule.reason, rule.en, "reason", lang), values, today),
                online=row.matter is not None and row.matter.online,
            )
        )
    return offers


def _applied_for(id_numbers: list[str]) -> set[tuple[str, str, str]]:
    """(ID number, "matter" or "bundle", code) of every application of these people that was
    not refused: under way, or granted (then they hold what it gave)."""
    taken: set[tuple[str, str, str]] = set()
    rows = (
        Application.objects.filter(applicant__id_number__in=id_numbers)
        .exclude(status=Status.REFUSED)
        .values_list("applicant__id_number", "matter__code", "bundle_run__bundle__code")
    )
    for number, matter, bundle in rows:
        taken.add((number, "matter", matter))
        if bundle:
            taken.add((number, "bundle", bundle))
    return taken


def bundle_run_detail(run: Any) -> dict[str, Any]:
    applications = {a.step: a for a in run.applications.all()}
    return {
        "id": str(run.id),
        "bundle": run.bundle.code,
        "steps": [
            {
                "order": step.order,
                "matter": step.matter.code,
                "matter_name": step.matter.name,
                "application": str(applications[step.order].id)
                if step.order in applications
                else None,
                "condition": step.condition,
            }
            for step in run.bundle.steps.select_related("matter").order_by("order")
        ],
    }
