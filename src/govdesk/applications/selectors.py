"""Reads of applications: the full application as screens and the API show it, queues,
open applications and the offers a person qualifies for (★). Staff reads are audited."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications import lifecycle, policies
from govdesk.applications.errors import NotFound
from govdesk.applications.lifecycle import OPEN_STATUSES, Status
from govdesk.applications.materials import UploadRef, resolve_materials
from govdesk.applications.models import (
    Application,
    ApplicationEvent,
    MaterialUpload,
    OutcomeIntent,
)
from govdesk.applications.readmodels import (
    ApplicationDetail,
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
from govdesk.forms.models import DataElement, FormDefinition
from govdesk.forms.prefill import Resolved, prefill
from govdesk.forms.schema import FormSpec, form_for
from govdesk.people.sources import registry

logger = logging.getLogger(__name__)


def get_application(*, principal: Principal, application_id: UUID | str) -> Application:
    try:
        application = Application.objects.select_related(
            "matter",
            "matter__department",
            "applicant",
            "region",
            "bundle_run__bundle",
            "service_point",
        ).get(pk=application_id)
    except (Application.DoesNotExist, ValueError) as exc:
        raise NotFound(_("No such application.")) from exc
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


def resolved_fields(
    application: Application, form: FormSpec, produced: dict[str, str] | None = None
) -> dict[str, Resolved]:
    """Live values while the application can still change; the submitted values after.

    An e-licence that an earlier step of the same bundle issues on its approval (``produced``,
    from ``_produced_earlier``) reaches this step whenever it exists, even after this step was
    submitted without it; until then the field says which step will issue it (source
    ``produced``, origin the step), never "unknown"."""
    if produced is None:
        produced = _produced_earlier(application)
    awaited = {f"licence.{kind}": step for kind, step in produced.items()}
    live = prefill(
        id_number=application.applicant.id_number,
        specs=form.fields,
        application_ref=str(application.id),
    )
    if application.snapshot and application.status not in lifecycle.EDITABLE_STATUSES:
        for key, frozen in application.snapshot.items():
            if key not in live:
                continue
            if key in awaited and frozen["value"] in EMPTY and live[key].value not in EMPTY:
                continue  # issued by the earlier step after this one was submitted
            live[key].value = frozen["value"]
            live[key].source = frozen["source"]
            live[key].origin = frozen.get("origin", "")
            live[key].as_of = frozen.get("as_of")
            live[key].conflict = frozen.get("conflict")
    for key, step in awaited.items():
        resolved = live.get(key)
        if resolved is not None and resolved.value in EMPTY:
            resolved.source, resolved.origin = "produced", step
            resolved.required = False  # not missing: it comes with the earlier step's approval
    return live


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
    *, principal: Principal, application: Application, unmask: bool = False
) -> ApplicationDetail:
    """The application with every field (value, source, required, missing), the materials
    checklist, the timeline and the actions this principal may take. A staff read is
    audited."""
    form = form_for(application.matter)
    produced = _produced_earlier(application)
    fields = resolved_fields(application, form, produced)
    show_full = unmask and (
        principal.kind == "resident" or principal.role in {Role.CLERK, Role.REVIEWER, Role.APPROVER}
    )
    materials, optional = resolve_materials(
        id_number=application.applicant.id_number,
        requirements=list(application.matter.materials.all()),
        provided=application.materials_provided,
        produced_earlier=produced,
        uploads=current_uploads(application),
    )
    if principal.kind == "staff":
        audit_record(
            actor=principal.actor(),
            action=AuditAction.APPLICATION_READ,
            subject=person_subject(application.applicant.id_number),
            detail={"application": str(application.id), "unmasked": show_full},
        )
    sections = {spec.key: spec.section for spec in form.fields}
    lang = language()
    labels: dict[str, str] = (
        dict(
            DataElement.objects.filter(key__in=list(fields), label_en__gt="").values_list(
                "key", "label_en"
            )
        )
        if lang == "en"
        else {}
    )
    label_of = {key: labels.get(key) or text(r.label, lang=lang) for key, r in fields.items()}
    matter = application.matter
    run = application.bundle_run if application.bundle_run_id else None
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
        timeline=[_event(e) for e in application.events.all()],
        allowed_actions=policies.allowed_actions(principal, application),
        certificate=application.outcome.get("certificate"),
        outcome={k: v for k, v in application.outcome.items() if k != "certificate"},
        outcomes_waiting_since=waiting_since,
        outcomes_overdue=waiting_since is not None
        and timezone.now() - waiting_since >= timedelta(minutes=settings.OUTCOME_OVERDUE_MINUTES),
        last_return=last_return(application, fields, label_of, show_full=show_full),
        accepted_at=application.accepted_at,
        service_point=application.service_point.name if application.service_point else "",
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
        for u in MaterialUpload.objects.filter(application=application, replaced_at__isnull=True)
    }


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


def application_list(
    *,
    principal: Principal,
    status: str | None = None,
    limit: int = 100,
    with_timeline: bool = False,
) -> list[ApplicationSummary]:
    """The principal's list (``queue_for``) as summary rows, in a fixed number of queries
    whatever its length: one for the rows, one more for their timelines if asked for."""
    rows = queue_for(principal, status=status)
    if with_timeline:
        rows = rows.prefetch_related("events")
    return _summaries(
        principal, rows, limit=limit, with_timeline=with_timeline, audit={"status": status or ""}
    )


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
    return _summaries(principal, rows, limit=limit, audit={"list": "outcomes_overdue"})


def _outcome_error(outcome: dict[str, Any]) -> str:
    from govdesk.applications.outcomes import failed

    return next((str(r.get("error", "")) for r in outcome.values() if failed(r)), "")


def _summaries(
    principal: Principal,
    rows: QuerySet[Application],
    *,
    limit: int,
    audit: dict[str, Any],
    with_timeline: bool = False,
) -> list[ApplicationSummary]:
    found = list(rows[: max(1, limit)])
    if principal.kind == "staff":
        audit_list_read(
            actor=principal.actor(),
            action=AuditAction.APPLICATION_LIST,
            id_numbers=[a.applicant.id_number for a in found],
            detail=audit,
        )
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
            status_label=a.get_status_display(),
            created_at=a.created_at,
            submitted_at=a.submitted_at,
            deadline=a.deadline,
            editable=policies.may_edit(principal, a),
            decided_at=a.decided_at,
            outcome_error=_outcome_error(a.outcome),
            timeline=[_event(e) for e in a.events.all()] if with_timeline else [],
            accepted_at=a.accepted_at,
        )
        for a in found
    ]


def _within_reach(principal: Principal) -> QuerySet[Application]:
    """Every application a member of staff may read: in their jurisdiction, and of their
    department's matters where they belong to one (``policies.may_read`` as a query)."""
    base = Application.objects.select_related("matter", "applicant", "region")
    home = principal.jurisdiction
    if principal.kind != "staff" or home is None or principal.role not in policies.STAFF_READERS:
        return base.none()
    scoped = base.filter(home.subtree_q("region"))
    user = principal.user
    if user is not None and user.department_id is not None:
        scoped = scoped.filter(matter__department_id=user.department_id)
    return scoped


def queue_for(principal: Principal, *, status: str | None = None) -> QuerySet[Application]:
    """Applications waiting for this member of staff, scoped to their jurisdiction."""
    if principal.kind == "resident":
        return (
            Application.objects.select_related("matter", "applicant", "region")
            .filter(applicant=principal.person)
            .order_by("-created_at")
        )
    home = principal.jurisdiction
    scoped = _within_reach(principal).order_by("deadline", "submitted_at")
    if home is None:
        return scoped
    if status:
        return scoped.filter(status=status)
    waiting = scoped.filter(status__in=lifecycle.waiting_for(principal.role))
    if principal.role == Role.APPROVER:
        waiting = waiting.filter(matter__decided_at=home.level)
    return waiting


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
