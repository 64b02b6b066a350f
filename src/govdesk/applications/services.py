"""The application lifecycle: create, edit (versioned), submit (idempotent), act, bundles.

Every function is keyword-only, runs in a transaction, writes the timeline and the audit trail,
and queues side effects on commit; what follows an approval (outcome handlers) is an outcome
intent written in the approval's transaction and re-driven until done (ADR 13). Which action
leads where is the table in ``lifecycle``; who may take it is ``policies``.

Transactions follow three rules (ADR 11), through ``audit.transactions.atomic`` (Django's
``transaction.atomic`` that also writes again, after a rollback, the refusals it recorded):
- a service that only an interface layer calls is an entry point, ``atomic(durable=True)``:
  nothing can wrap it in a transaction that would hold its side effects back or make it
  partial (``application_update``, ``run_idempotent``, ``application_start_or_resume``);
- a service that an interface layer calls and that also runs inside another service's
  transaction (inside ``run_idempotent`` or ``bundle_start``) is ``atomic()``: nested, it is a
  savepoint, so a caller that catches its domain error may go on using the connection;
- a function only other services call, whose errors always propagate, joins its caller's
  transaction: ``atomic(savepoint=False)`` (``application_outcomes_run``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications import lifecycle, policies
from govdesk.applications.errors import (
    AlreadyHeld,
    IdempotencyKeyReused,
    InvalidFields,
    NotAllowed,
    NotFound,
    StateConflict,
    VersionConflict,
)
from govdesk.applications.holdings import Holding, holding_for
from govdesk.applications.lifecycle import Action, Status
from govdesk.applications.models import (
    Application,
    ApplicationEvent,
    BundleRun,
    Channel,
    IdempotentRequest,
    NumberTicket,
    OutcomeIntent,
)
from govdesk.applications.returns import return_detail
from govdesk.applications.selectors import current_application, ensure_readable, resolve
from govdesk.applications.workdays import add_working_days
from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_record, person_subject
from govdesk.audit.transactions import atomic
from govdesk.catalog.models import Bundle, Matter
from govdesk.catalog.versioned import cached
from govdesk.common import outbox
from govdesk.common.idnumbers import InvalidIdNumber, parse
from govdesk.common.principal import Principal
from govdesk.common.roles import SYSTEM, Role
from govdesk.forms.models import CapturedFact, DataElement
from govdesk.forms.prefill import prefill
from govdesk.forms.schema import form_for
from govdesk.forms.services import fact_capture
from govdesk.forms.validation import FieldInvalid, clean_value
from govdesk.people.models import Person

M = TypeVar("M", bound=models.Model)


def _number() -> str:
    """``GD`` + the local date + a number the database never hands out twice (at least eight
    digits): collision-free under any concurrency, gaps allowed."""
    return f"GD{timezone.localdate():%Y%m%d}{NumberTicket.objects.create().pk:08d}"


def _person(id_number: str, field: str = "applicant") -> Person:
    try:
        value = parse(id_number).value
    except InvalidIdNumber as exc:
        raise InvalidFields(_("The ID number is not valid."), {field: str(exc.message)}) from exc
    person = (
        Person.objects.select_related("membership__household__region")
        .filter(id_number=value)
        .first()
    )
    if person is None or not hasattr(person, "membership"):
        raise NotFound(_("No person with this ID number is in the registry."))
    return person


def _event(
    application: Application,
    principal: Principal,
    action: Action,
    from_status: str = "",
    comment: str = "",
    detail: dict[str, Any] | None = None,
) -> ApplicationEvent:
    event = ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_status=from_status,
        to_status=application.status,
        actor=principal.name,
        actor_role=principal.role,
        comment=comment,
        detail=detail or {},
    )
    audit_record(
        actor=principal.actor(),
        action=AuditAction(f"application.{action.value}"),
        subject=person_subject(application.applicant.id_number),
        detail={
            "application": str(application.id),
            "matter": application.matter.code,
            "from": from_status,
            "to": application.status,
        },
    )
    return event


def _ensure_may_start_for(principal: Principal, person: Person, action: AuditAction) -> None:
    """Refuse (audited) a principal who may not start applications for this person."""
    if not _may_start_for(principal, person):
        audit_record(
            actor=principal.actor(),
            action=action,
            result="denied",
            subject=person_subject(person.id_number),
        )
        raise NotAllowed(_("You may not start an application for this person."))


def _may_start_for(principal: Principal, person: Person) -> bool:
    if principal.kind == "resident":
        return principal.person is not None and principal.person.pk == person.pk
    region = person.membership.household.region
    return principal.role == Role.CLERK and principal.covers(region)


@atomic()
def application_create(
    *,
    principal: Principal,
    matter_code: str,
    applicant: str,
    channel: str,
    bundle_run: BundleRun | None = None,
    step: int | None = None,
    repeat_reason: str = "",
) -> Application:
    """A new application, prefilled. Refused (``AlreadyHeld``) while the person holds what the
    matter gives, unless ``repeat_reason`` says why a new one is needed."""
    if channel not in Channel.values:
        raise InvalidFields(_("Unknown channel."), {"channel": _("Use window or online.")})
    matter = cached(
        f"published-matter:{matter_code}",
        lambda: (
            Matter.objects.select_related("department")
            .filter(code=matter_code, published=True)
            .first()
        ),
    )
    if matter is None:
        raise InvalidFields(
            _("Unknown matter."), {"matter": _("No published matter has this code.")}
        )
    person = _person(applicant)
    _ensure_may_start_for(principal, person, AuditAction.APPLICATION_CREATE)
    if channel == Channel.ONLINE and not matter.online:
        raise InvalidFields(
            _("This matter cannot be applied for online."), {"channel": _("Apply at the window.")}
        )
    held = _ensure_not_held(person, matter, repeat_reason)
    application = Application.objects.create(
        number=_number(),
        matter=matter,
        applicant=person,
        region=person.membership.household.region,
        channel=channel,
        service_point_id=principal.user.service_point_id if principal.user else None,
        bundle_run=bundle_run,
        step=step,
        created_by=principal.name,
    )
    created = _event(
        application,
        principal,
        Action.CREATE,
        detail={"repeat_reason": repeat_reason.strip(), "held": held.number} if held else None,
    )
    # What a new application has is known: its one event and no uploads (read without asking).
    application.__dict__["_prefetched_objects_cache"] = {
        "events": _known(application.events.all(), [created]),
        "uploads": _known(application.uploads.all(), []),
    }
    return application


def _known(rows: QuerySet[M], found: list[M]) -> QuerySet[M]:
    """``rows`` as if prefetched: answered from ``found`` without a query (as Django's
    ``prefetch_related`` leaves a related manager's queryset)."""
    rows._result_cache = found
    rows.__dict__["_prefetch_done"] = True
    return rows


def _ensure_not_held(person: Person, matter: Matter, repeat_reason: str) -> Holding | None:
    """The holding a new application repeats (None if none); refused without a reason."""
    held = holding_for(person, matter)
    if held is not None and not repeat_reason.strip():
        raise AlreadyHeld(_held_message(held), held=held.as_json())
    return held


def _held_message(held: Holding) -> str:
    if held.kind == "certificate":
        return _(
            "A valid certificate of this kind was issued on %(since)s (%(number)s) and is valid "
            "until %(until)s. If a new one is really needed (the household changed, say), give "
            "the reason."
        ) % {"since": held.since, "number": held.number, "until": held.until}
    return _(
        "This was approved on %(since)s (%(number)s) and holds until %(until)s. If a new "
        "application is really needed (something changed since), give the reason."
    ) % {"since": held.since, "number": held.number, "until": held.until}


@atomic(durable=True)
def application_start_or_resume(
    *,
    principal: Principal,
    matter_code: str,
    applicant: str,
    channel: str,
    repeat_reason: str = "",
) -> Application:
    """One application under way per person and matter: the one under way (a draft, or one
    already submitted and not yet decided) if there is one, else a new one. Serialised per
    person, so a double click or two tabs cannot open two."""
    person = _person(applicant)
    _ensure_may_start_for(principal, person, AuditAction.APPLICATION_CREATE)
    list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk"))
    current = current_application(person_id=person.pk, matter_code=matter_code)
    if current is not None:
        return current
    return application_create(
        principal=principal,
        matter_code=matter_code,
        applicant=person.id_number,
        channel=channel,
        repeat_reason=repeat_reason,
    )


def _locked(application_id: UUID | str) -> Application:
    try:
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("matter__department", "applicant", "region", "service_point")
            .get(pk=application_id)
        )
    except (Application.DoesNotExist, ValueError) as exc:
        raise NotFound(_("No such application.")) from exc
    return application


@atomic(durable=True)
def application_update(
    *,
    principal: Principal,
    application_id: UUID | str,
    fields: dict[str, Any],
    version: int | None = None,
    materials_provided: list[str] | None = None,
) -> Application:
    """Type values into a draft. Each becomes a captured fact about the applicant, reused by
    every later form. All-or-nothing: one bad field and nothing is saved."""
    application = _locked(application_id)
    ensure_readable(principal, application)
    if application.status not in lifecycle.EDITABLE_STATUSES:
        raise StateConflict(
            _("This application cannot be edited now (status: %(s)s).")
            % {"s": application.get_status_display()}
        )
    if not policies.may_edit(principal, application):
        # A reader who is not the applicant's side (a reviewer, an approver): refused, and
        # the refusal is kept (written outside the transaction that rolls back).
        _audit_refusal(principal, application, Action.EDIT)
        raise NotAllowed(_("Only the applicant or window staff may change this application."))
    if version is not None and version != application.version:
        raise VersionConflict(
            _("Someone else changed this application; reload it and apply your change again."),
            your_version=version,
            current_version=application.version,
        )
    if materials_provided is not None and not policies.may_attest_materials(principal, application):
        _audit_refusal(principal, application, Action.EDIT)
        raise NotAllowed(_("Only window staff may mark materials as checked."))
    form = form_for(application.matter)
    specs = {spec.key: spec for spec in form.fields}
    elements = {e.key: e for e in DataElement.objects.filter(key__in=list(fields))}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key, raw in fields.items():
        spec = specs.get(key)
        element = elements.get(key)
        if spec is None or element is None:
            errors[key] = _("This form has no such field.")
            continue
        if element.derived:
            errors[key] = _("This value is computed from other facts and cannot be typed.")
            continue
        try:
            cleaned[key] = clean_value(type=spec.type, choices=spec.choices, raw=raw)
        except FieldInvalid as exc:
            errors[key] = exc.message
    known_materials = set(application.matter.materials.values_list("name", flat=True))
    for name in materials_provided or []:
        if name not in known_materials:
            errors[f"materials_provided.{name}"] = _("This matter has no such material.")
    if errors:
        raise InvalidFields(_("Some fields are not valid; nothing was saved."), errors)
    if cleaned:
        current = prefill(
            id_number=application.applicant.id_number,
            specs=[specs[k] for k in cleaned],
            application_ref=str(application.id),
        )
        source = (
            CapturedFact.Source.DECLARED
            if principal.kind == "resident"
            else CapturedFact.Source.TYPED_BY_CLERK
        )
        for key, value in cleaned.items():
            resolved = current[key]
            registry_value = resolved.value if resolved.source in {"registry", "licence"} else None
            fact_capture(
                person=application.applicant,
                element=key,
                value=value,
                source=source,
                actor=principal.actor(),
                application_ref=str(application.id),
                registry_value=registry_value,
            )
    if materials_provided is not None:
        application.materials_provided = sorted(set(materials_provided))
    application.version += 1
    application.save(update_fields=["version", "materials_provided", "updated_at"])
    _event(
        application,
        principal,
        Action.EDIT,
        application.status,
        detail={"fields": sorted(cleaned), "materials_provided": materials_provided or []},
    )
    return application


def _snapshot(resolved: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {
            "value": r.value,
            "source": r.source,
            "origin": r.origin,
            "as_of": r.as_of,
            "conflict": r.conflict,
        }
        for key, r in resolved.items()
    }


@atomic()
def application_submit(*, principal: Principal, application_id: UUID | str) -> Application:
    application = _locked(application_id)
    ensure_readable(principal, application)
    if application.status not in lifecycle.EDITABLE_STATUSES:
        raise StateConflict(_("This application was already submitted."), status=application.status)
    step = policies.transition(principal, application, Action.SUBMIT)
    if step is None or not policies.may_edit(principal, application):
        _audit_refusal(principal, application, Action.SUBMIT)
        raise NotAllowed(_("You may not submit this application."))
    resolution = resolve(application, form_for(application.matter))
    missing = {k: _("Required.") for k, r in resolution.fields.items() if r.missing}
    if missing:
        raise InvalidFields(_("Some required fields are still missing."), missing)
    from_status = application.status
    application.snapshot = _snapshot(resolution.fields)
    application.held = {key: fact.as_json() for key, fact in resolution.held.items()}
    application.status = step.target
    application.submitted_at = timezone.now()
    application.version += 1
    application.save()
    _event(application, principal, step.event_action, from_status)
    return application


def _audit_refusal(principal: Principal, application: Application, action: Action) -> None:
    audit_record(
        actor=principal.actor(),
        action=AuditAction(f"application.{action.value}"),
        result="denied",
        subject=person_subject(application.applicant.id_number),
        detail={"application": str(application.id), "status": application.status},
    )


@atomic()
def application_act(
    *,
    principal: Principal,
    application_id: UUID | str,
    action: str,
    comment: str = "",
    version: int | None = None,
    return_fields: Sequence[str] = (),
    return_materials: Sequence[str] = (),
) -> Application:
    """A decision (``lifecycle.DECISIONS``: accept, return, approve, refuse, complete) by the
    role and level the lifecycle table names; a reason where the table asks for one. A return
    may name the form fields and materials to correct or add (``returns.return_detail``)."""
    application = _locked(application_id)
    ensure_readable(principal, application)
    if action not in lifecycle.DECISIONS:
        raise InvalidFields(
            _("Unknown action."),
            {
                "action": _("Use one of: %(actions)s.")
                % {"actions": ", ".join(str(a) for a in lifecycle.DECISIONS)}
            },
        )
    decision = Action(action)
    if version is not None and version != application.version:
        raise VersionConflict(
            _("This application changed meanwhile; reload it."),
            your_version=version,
            current_version=application.version,
        )
    step = policies.transition(principal, application, decision)
    if step is None:
        _audit_refusal(principal, application, decision)
        raise NotAllowed(
            _("You may not %(action)s this application now (status: %(status)s).")
            % {"action": lifecycle.VERBS[decision], "status": application.get_status_display()}
        )
    if step.needs_reason and not comment.strip():
        raise InvalidFields(_("Say why."), {"comment": _("A reason is required.")})
    named = (
        return_detail(application, return_fields, return_materials)
        if decision == Action.RETURN
        else None
    )
    from_status = application.status
    application.status = step.target
    now = timezone.now()
    if decision == Action.ACCEPT:
        application.accepted_at = now
        application.deadline = add_working_days(
            timezone.localdate(), application.matter.time_limit_days
        )
        if principal.user is not None and principal.user.service_point_id:
            application.service_point_id = principal.user.service_point_id
    if application.status in {Status.APPROVED, Status.REFUSED}:
        application.decided_at = now
    application.version += 1
    application.save()
    _event(application, principal, step.event_action, from_status, comment=comment, detail=named)
    if application.status == Status.APPROVED:
        # The intent commits with the approval (ADR 13): what follows it cannot be lost to a
        # process that dies after the commit. Enqueueing the dispatcher is only a nudge.
        OutcomeIntent.objects.create(application=application)
        transaction.on_commit(_nudge_outcomes, robust=True)
    return application


def _nudge_outcomes() -> None:
    from govdesk.applications.tasks import dispatch_outcome_intents

    dispatch_outcome_intents.enqueue()


@atomic(savepoint=False)
def application_outcomes_run(*, application_id: UUID | str) -> dict[str, Any]:
    """Run every registered outcome handler that has not succeeded yet: once after approval,
    and again for one that failed (a certificate stopped by a character no font has, a missing
    signing key …) when this runs again after the cause was fixed. Results are kept on the
    application; one that succeeded is never run twice. In the same transaction the
    application's outcome intent is marked done, or, if an outcome failed, deferred with the
    error (tried again later, with back-off)."""
    from govdesk.applications.outcomes import failed, handlers_for

    application = _locked(application_id)
    results = dict(application.outcome)
    errors: list[str] = []
    for registration in handlers_for(application):
        name = registration.name
        if name not in results or failed(results[name]):
            results[name] = registration.handler(application) or {}
        if failed(results[name]):
            errors.append(f"{name}: {results[name].get('error', '')}")
    application.outcome = results
    application.save(update_fields=["outcome", "updated_at"])
    intent = OutcomeIntent.objects.filter(application=application)
    if errors:
        outbox.defer(intent, error="; ".join(errors))
    else:
        outbox.finish(intent)
        if results:
            _complete_by_itself(application)
    return results


def _complete_by_itself(application: Application) -> None:
    """An approved application whose outcomes all happened is completed (办结) by the
    platform, as the lifecycle table allows it, so that lists and ratings can rely on it."""
    row = lifecycle.transitions(
        status=application.status,
        role=SYSTEM,
        level=application.matter.decided_at,
        action=Action.COMPLETE,
    )
    if not row:
        return
    from_status = application.status
    application.status = row[0].target
    application.version += 1
    application.save(update_fields=["status", "version", "updated_at"])
    _event(application, Principal(kind="system"), row[0].event_action, from_status)


def _intent_run(intent: OutcomeIntent) -> bool:
    """Whether every outcome of the intent's application has now happened."""
    application_outcomes_run(application_id=intent.application_id)
    return not OutcomeIntent.objects.filter(pk=intent.pk, done_at__isnull=True).exists()


def outcome_intents_dispatch(*, worker: str = "", budget: float | None = None) -> outbox.Report:
    """Run what should follow every approval whose outcomes are still due (ADR 13): claim
    each intent with a lease (taking over one whose worker died), run its outcomes, mark it
    done or defer it with the error. Stops when none is due or after ``budget`` seconds. Also
    closes the dispatch tasks that a dead worker left RUNNING. An entry point: each claim and
    each run is its own transaction."""
    from govdesk.applications.tasks import NUDGES

    lease = outbox.lease()
    outbox.abandoned_task_results_close(
        task_paths=NUDGES,
        started_before=timezone.now() - 2 * lease,
        every=lease.total_seconds(),
    )
    return outbox.drain(
        OutcomeIntent.objects.all(),
        run=_intent_run,
        worker=worker or outbox.worker_name(),
        budget=budget,
    )


@atomic()
def application_outcomes_retry(*, principal: Principal, application_id: UUID | str) -> Application:
    """Try again, now, what should have followed the approval and did not (the certificate
    whose issuance failed), once the cause is fixed. Staff who may read the application (clerk,
    reviewer or approver covering its region). Idempotent: what succeeded is kept, and with
    nothing left to do (a double click) nothing happens."""
    from govdesk.applications.outcomes import failed, pending

    application = _locked(application_id)
    ensure_readable(principal, application)
    if principal.kind != "staff":
        _audit_refusal(principal, application, Action.RETRY)
        raise NotAllowed(_("Only staff may retry what follows an approval."))
    if application.status not in lifecycle.OUTCOME_STATUSES:
        raise StateConflict(
            _("Only an approved application has outcomes to retry (status: %(s)s).")
            % {"s": application.get_status_display()},
            status=application.status,
        )
    retried = pending(application)
    if not retried:
        outbox.finish(OutcomeIntent.objects.filter(application=application))
        return application
    results = application_outcomes_run(application_id=application.pk)
    application.refresh_from_db()
    _event(
        application,
        principal,
        Action.RETRY,
        application.status,
        detail={"outcomes": retried, "failed": [n for n in retried if failed(results.get(n))]},
    )
    return application


def request_fingerprint(body: Any) -> str:
    """SHA-256 of a request body in canonical JSON (keys sorted)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@atomic(durable=True)
def run_idempotent(
    *,
    scope: str,
    key: str | None,
    action: Callable[[], tuple[int, dict[str, Any]]],
    body: Any = None,
    on_replay: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run ``action`` once per (scope, key); a repeat gets the first response. A repeat whose
    ``body`` differs from the first one's is refused (IdempotencyKeyReused) and does nothing.
    ``on_replay`` sees a stored response before it is given again: it checks that the caller
    may still read what it shows (and audits the read), raising if not.

    An entry point: the key, the change ``action`` makes (through services that join this
    transaction) and the stored response commit together or not at all, so a process killed
    half-way leaves neither a change without its key nor a key without its change."""
    if not key:
        return action()
    key = key[:100]
    fingerprint = request_fingerprint(body) if body is not None else ""

    def replay(stored: IdempotentRequest) -> tuple[int, dict[str, Any]]:
        if stored.fingerprint and fingerprint and stored.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                _("This Idempotency-Key was already used for a different request.")
            )
        if on_replay is not None:
            on_replay(stored.response)
        return stored.status_code, stored.response

    stored = IdempotentRequest.objects.filter(scope=scope, key=key).first()
    if stored is not None:
        return replay(stored)
    try:
        # A savepoint around the claim alone: a twin request that claimed the key first
        # (and has committed by the time the unique index lets this insert go on) wins.
        with transaction.atomic():
            record = IdempotentRequest.objects.create(
                scope=scope, key=key, fingerprint=fingerprint, status_code=0, response={}
            )
    except IntegrityError:
        stored = IdempotentRequest.objects.filter(scope=scope, key=key).first()
        if stored is None:
            raise
        return replay(stored)
    status, response = action()
    record.status_code, record.response = status, response
    record.save(update_fields=["status_code", "response"])
    return status, response


def _applies(condition: dict[str, Any], values: dict[str, Any]) -> bool:
    if not condition:
        return True
    value = values.get(condition["element"])
    if "in" in condition:
        return value in condition["in"]
    if "equals" in condition:
        return bool(value == condition["equals"])
    if "at_least" in condition:
        return value is not None and value >= condition["at_least"]
    return True


@atomic()
def bundle_start(
    *,
    principal: Principal,
    bundle_code: str,
    applicant: str,
    channel: str = Channel.WINDOW,
    repeat_reason: str = "",
) -> BundleRun:
    """Start a bundle: one prefilled application per step; steps whose condition the facts
    rule out are skipped. While a run of this bundle for this person still has a draft step,
    starting it again (a second click, a second clerk, the resident online) resumes that run
    rather than opening duplicate applications.

    A step the person already holds (an approval in force, a valid certificate) or has under
    way in another application is skipped too; when that leaves nothing to do, the start is
    refused (``AlreadyHeld``) unless ``repeat_reason`` says why it is needed again."""
    bundle = Bundle.objects.filter(code=bundle_code, published=True).first()
    if bundle is None:
        raise NotFound(_("No such bundle."))
    person = _person(applicant)
    _ensure_may_start_for(principal, person, AuditAction.BUNDLE_START)
    # Serialise starts for one person, so that two at once cannot both find no open run.
    list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk"))
    open_run = (
        BundleRun.objects.filter(bundle=bundle, applicant=person, applications__status=Status.DRAFT)
        .order_by("-created_at")
        .first()
    )
    if open_run is not None:
        audit_record(
            actor=principal.actor(),
            action=AuditAction.BUNDLE_RESUME,
            subject=person_subject(person.id_number),
            detail={"bundle": bundle.code, "run": str(open_run.id)},
        )
        return open_run
    steps = list(bundle.steps.select_related("matter").order_by("order"))
    held = {} if repeat_reason.strip() else _held_steps(person, steps)
    if held and len(held) == len(steps):
        first = next(iter(held.values()))
        raise AlreadyHeld(
            _(
                "Every step of this bundle is already done or under way for this person "
                "(%(numbers)s). If it is really needed again, give the reason."
            )
            % {"numbers": "、".join(h.number for h in held.values())},
            held=first.as_json(),
        )
    run = BundleRun.objects.create(
        bundle=bundle,
        applicant=person,
        region=person.membership.household.region,
        created_by=principal.name,
    )
    conditions = [s.skip_unless["element"] for s in steps if s.skip_unless]
    values: dict[str, Any] = {}
    if conditions:
        from govdesk.forms.schema import FieldSpec

        found = prefill(
            id_number=person.id_number,
            specs=[FieldSpec(key=k, label=k, type="string") for k in conditions],
        )
        values = {k: r.value for k, r in found.items()}
    skipped = []
    for step in steps:
        if step.order in held or not _applies(step.skip_unless, values):
            skipped.append(step.order)
            continue
        step_channel = (
            channel if step.matter.online or channel == Channel.WINDOW else (Channel.WINDOW)
        )
        application_create(
            principal=principal,
            matter_code=step.matter.code,
            applicant=person.id_number,
            channel=step_channel,
            bundle_run=run,
            step=step.order,
            repeat_reason=repeat_reason,
        )
    run.skipped = skipped
    run.save(update_fields=["skipped"])
    audit_record(
        actor=principal.actor(),
        action=AuditAction.BUNDLE_START,
        subject=person_subject(person.id_number),
        detail={
            "bundle": bundle.code,
            "run": str(run.id),
            "skipped": skipped,
            "held": {str(order): h.number for order, h in held.items()},
            "repeat_reason": repeat_reason.strip(),
        },
    )
    return run


def _held_steps(person: Person, steps: list[Any]) -> dict[int, Holding]:
    """The steps whose matter the person holds, or has under way in another application."""
    held: dict[int, Holding] = {}
    for step in steps:
        under_way = current_application(person_id=person.pk, matter_code=step.matter.code)
        if under_way is not None:
            held[step.order] = Holding(
                kind="under_way",
                number=under_way.number,
                since=timezone.localdate(under_way.created_at),
                links={"application": str(under_way.pk)},
            )
            continue
        holding = holding_for(person, step.matter)
        if holding is not None:
            held[step.order] = holding
    return held
