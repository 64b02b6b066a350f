"""Every change to the friction log: a person reports a stutter, the platform records one it
saw, and a problem moves through its loop (``lifecycle.TRANSITIONS``). Each is atomic and
writes its audit row; a refusal is audited and kept after the rollback."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.models import Application, NumberTicket
from govdesk.applications.selectors import get_application
from govdesk.applications.workdays import add_working_days
from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_record, person_subject
from govdesk.audit.transactions import atomic
from govdesk.catalog.models import Matter
from govdesk.catalog.search import normalize
from govdesk.catalog.services import COMMUNITY_DEPARTMENT
from govdesk.common.errors import Invalid, NotAllowed, NotFound
from govdesk.common.principal import Principal
from govdesk.common.roles import SYSTEM, SYSTEM_NAME, Role
from govdesk.forms.schema import data_elements, form_for
from govdesk.frictions import lifecycle
from govdesk.frictions.changes import change_apply
from govdesk.frictions.lifecycle import OWNER, REPORTER, Action
from govdesk.frictions.models import Friction, Kind, Problem, ProblemEvent, ProblemStatus, Reporter
from govdesk.frictions.tallies import tally_add
from govdesk.organisations.models import Department, Region
from govdesk.people.models import Person

#: What a stutter of each kind costs the person who met it, in minutes (an estimate the
#: dashboard adds up; a slow step carries its own).
MINUTES_LOST: dict[str, float] = {
    Kind.REPORTED: 5,
    Kind.TYPED_KNOWN: 1,
    Kind.PAPER_DESPITE_LICENCE: 30,
    Kind.SEARCH_NO_RESULT: 3,
    Kind.SEARCH_ABANDONED: 2,
    Kind.RETURNED: 60,
    Kind.SLOW_STEP: 10,
    Kind.POOR_RATING: 10,
    Kind.DELIVERY_FAILED: 30,
    Kind.SERVER_ERROR: 5,
}
#: Working days an owner department has to rectify a problem, unless the assignment says.
DEFAULT_DAYS = 15
#: The steps that close a poor rating's problem: each needs the return visit (回访) recorded.
RETURN_VISIT_BEFORE = frozenset({Action.RECTIFY, Action.REJECT})


@dataclass(frozen=True)
class Context:
    """Where a stutter happened, as the screen or the API knows it (the server fills in the
    rest from the application: its matter, bundle, step, community and department)."""

    application: UUID | str | None = None
    matter: str = ""
    field: str = ""
    material: str = ""
    query: str = ""
    screen: str = ""
    channel: str = ""
    language: str = ""
    elder_mode: bool = False


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{NumberTicket.objects.create().pk:08d}"


def signature_of(
    kind: str, matter: Matter | None, field: str, material: str, query: str, own: str = ""
) -> str:
    """What makes two frictions one problem: the kind, the matter, and the field, material or
    search query they concern (the query normalised as the search reads it). ``own`` makes a
    problem of its own (a poor rating: each gets its return visit and its answer)."""
    parts = [
        kind,
        matter.code if matter else "",
        field,
        material,
        normalize(query) if query else "",
    ]
    if own:
        parts.append(own)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _title(kind: str, matter: Matter | None, field: str, material: str, query: str) -> str:
    parts = [str(Kind(kind).label)]
    if matter is not None:
        parts.append(matter.name)
    elements = data_elements()
    parts += [p for p in (elements[field].label if field in elements else field, material) if p]
    if query:
        parts.append(f"“{query}”")
    return " · ".join(parts)[:300]


@atomic()
def friction_report(
    *, principal: Principal, summary: str, context: Context, kind: str = Kind.REPORTED
) -> Friction:
    """A stutter a person reports: the context comes from the screen (what they were looking
    at) and from the application it concerns, which they must be allowed to read."""
    summary = summary.strip()
    if len(summary) > 500:
        raise Invalid(_("Say it in 500 characters or fewer."), {"summary": _("Too long.")})
    application: Application | None = None
    if context.application:
        application = get_application(principal=principal, application_id=context.application)
    matter = application.matter if application is not None else _matter_or_none(context.matter)
    if context.field and matter is not None:
        keys = {spec.key for spec in form_for(matter).fields}
        if context.field not in keys:
            raise Invalid(
                _("This form has no such field."), {"field": _("This form has no such field.")}
            )
    user = principal.user
    region = (
        application.region
        if application is not None
        else (principal.jurisdiction if principal.kind == "staff" else _home(principal.person))
    )
    friction = _record(
        kind=kind,
        summary=summary,
        reporter=Reporter.RESIDENT if principal.kind == "resident" else Reporter.STAFF,
        reporter_ref=principal.actor().name,
        reporter_role=principal.role,
        person=principal.person if principal.kind == "resident" else None,
        region=region,
        department=matter.department
        if matter is not None
        else (user.department if user is not None else None),
        matter=matter,
        application=application,
        context=context,
    )
    audit_record(
        actor=principal.actor(),
        action=AuditAction.FRICTION_REPORT,
        subject=person_subject(application.applicant.id_number) if application else None,
        detail={"friction": friction.number, "problem": friction.problem.number, "kind": kind},
    )
    return friction


def _matter_or_none(code: str) -> Matter | None:
    if not code:
        return None
    matter = Matter.objects.select_related("department").filter(code=code).first()
    if matter is None:
        raise Invalid(_("Unknown matter."), {"matter": _("No matter has this code.")})
    return matter


def _home(person: Person | None) -> Region | None:
    membership = getattr(person, "membership", None) if person is not None else None
    return membership.household.region if membership is not None else None


@atomic()
def friction_record(
    *,
    kind: str,
    source_ref: str,
    summary: str = "",
    context: Context | None = None,
    matter: Matter | None = None,
    application: Application | None = None,
    region: Region | None = None,
    department: Department | None = None,
    person: Person | None = None,
    minutes_lost: float | None = None,
    own_problem: bool = False,
) -> Friction | None:
    """A stutter the platform saw itself (a detector): recorded once per ``source_ref`` (the
    search-log row, the event …); None when it was recorded before. ``own_problem``: a problem
    of its own rather than grouped by signature (a poor rating is answered one by one)."""
    if Friction.objects.filter(kind=kind, source_ref=source_ref).exists():
        return None
    if application is not None:
        matter = matter or application.matter
        region = region or application.region
    return _record(
        kind=kind,
        summary=summary,
        reporter=Reporter.PLATFORM,
        reporter_ref=SYSTEM_NAME,
        reporter_role=SYSTEM,
        person=person,
        region=region,
        department=department or (matter.department if matter is not None else None),
        matter=matter,
        application=application,
        context=context or Context(),
        source_ref=source_ref,
        minutes_lost=minutes_lost,
        own=f"{kind}:{source_ref}" if own_problem else "",
    )


def _record(
    *,
    kind: str,
    summary: str,
    reporter: str,
    reporter_ref: str,
    reporter_role: str,
    person: Person | None,
    region: Region | None,
    department: Department | None,
    matter: Matter | None,
    application: Application | None,
    context: Context,
    source_ref: str = "",
    minutes_lost: float | None = None,
    own: str = "",
) -> Friction:
    """The friction, and its problem found by signature (locked) and counted; a stutter that
    comes back after its problem was rectified reopens it."""
    now = timezone.now()
    signature = signature_of(kind, matter, context.field, context.material, context.query, own)
    problem = Problem.objects.select_for_update().filter(signature=signature).first()
    if problem is None:
        problem = Problem.objects.create(
            number=_number("WT"),
            signature=signature,
            kind=kind,
            matter=matter,
            field=context.field,
            material=context.material,
            query=context.query[:200],
            title=_title(kind, matter, context.field, context.material, context.query),
            first_seen=now,
            last_seen=now,
        )
        _event(problem, Action.REPORT, "", reporter_ref, reporter_role)
    lost = MINUTES_LOST.get(kind, 5) if minutes_lost is None else minutes_lost
    seen_before = Friction.objects.filter(problem=problem, reporter_ref=reporter_ref).exists()
    friction = Friction.objects.create(
        number=_number("CT"),
        problem=problem,
        kind=kind,
        summary=summary[:500],
        reporter=reporter,
        reporter_ref=reporter_ref[:150],
        reporter_role=reporter_role[:32],
        person=person,
        region=region,
        department=department,
        matter=matter,
        application=application,
        bundle=application.bundle_run.bundle.code
        if application is not None and application.bundle_run is not None
        else "",
        step=application.step if application is not None else None,
        field=context.field[:64],
        material=context.material[:200],
        query=context.query[:200],
        screen=context.screen[:300],
        channel=context.channel or (application.channel if application else ""),
        language=context.language[:16],
        elder_mode=context.elder_mode,
        minutes_lost=lost,
        source_ref=source_ref[:100],
    )
    tally_add(friction)
    Problem.objects.filter(pk=problem.pk).update(
        occurrences=F("occurrences") + 1,
        people=F("people")
        + (0 if seen_before or (reporter == Reporter.PLATFORM and not person) else 1),
        minutes_lost=F("minutes_lost") + lost,
        last_seen=now,
    )
    problem.refresh_from_db()
    if problem.status in {ProblemStatus.RECTIFIED, ProblemStatus.VERIFIED}:
        Problem.objects.filter(pk=problem.pk).update(
            recurred_since_rectified=F("recurred_since_rectified") + 1
        )
        problem.refresh_from_db()
        _move(
            problem,
            lifecycle.transition(Action.REOPEN, problem.status, {SYSTEM}),
            note=_("It happened again after the rectification (%(number)s).")
            % {"number": friction.number},
        )
    return friction


def _event(
    problem: Problem,
    action: Action,
    from_status: str,
    actor: str,
    role: str,
    note: str = "",
    detail: dict[str, Any] | None = None,
) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem,
        action=action,
        from_status=from_status,
        to_status=problem.status,
        actor=actor,
        actor_role=role,
        note=note,
        detail=detail or {},
    )


def _move(problem: Problem, row: lifecycle.Transition | None, *, note: str) -> None:
    """A step the platform takes by itself (reopening a problem that came back)."""
    if row is None:
        return
    before = problem.status
    problem.status = row.target
    problem.version += 1
    problem.note = note
    problem.save()
    _event(problem, row.action, before, SYSTEM_NAME, SYSTEM, note)
    audit_record(
        actor=_system_actor(),
        action=AuditAction.PROBLEM_ACT,
        subject_type="problem",
        subject_id=problem.number,
        detail={"action": str(row.action), "from": before, "to": problem.status},
    )


def _system_actor() -> Any:
    return Principal(kind="system").actor()


def roles_of(principal: Principal, problem: Problem) -> set[str]:
    """The parts this principal may play on this problem (lifecycle's roles)."""
    roles: set[str] = set()
    if principal.kind == "system":
        return {SYSTEM}
    if principal.kind == "staff" and principal.role:
        roles.add(principal.role)
        user = principal.user
        owns = (
            user is not None
            and problem.department_id is not None
            and user.department_id == problem.department_id
        )
        if owns or _community_owns(principal, problem):
            roles.add(OWNER)
    if problem.frictions.filter(reporter_ref=principal.actor().name).exists():
        roles.add(REPORTER)
    return roles


def _community_owns(principal: Principal, problem: Problem) -> bool:
    """A problem assigned to the residents' committee (the catalogue's ``community``
    department, which stands for the committee of wherever it happened) is owned by the staff
    of that community: staff of no department whose area holds where it happened (a poor
    rating of a community window: 谁办理、谁负责)."""
    user = principal.user
    if user is None or user.department_id is not None or problem.department is None:
        return False
    if problem.department.code != COMMUNITY_DEPARTMENT[0]:
        return False
    first = problem.frictions.select_related("region").order_by("at").first()
    return first is not None and principal.covers(first.region)


@atomic()
def problem_act(
    *,
    principal: Principal,
    problem_id: int,
    action: str,
    note: str = "",
    department: str = "",
    deadline: date | None = None,
    change: dict[str, Any] | None = None,
    version: int | None = None,
    return_visit: str = "",
) -> Problem:
    """A step of the problem's loop by whoever the table lets take it: assign (to a
    department, with a deadline), start, rectify (with a note, and a configuration change the
    platform applies: ``changes.change_apply``), reject (the reporters read why), confirm,
    reopen. A poor rating (差评) is neither rectified nor rejected without the return visit
    (回访) to the rater recorded: ``return_visit``, what the rater was told and said."""
    problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("No such problem."))
    roles = roles_of(principal, problem)
    row = lifecycle.transition(action, problem.status, roles)
    if row is None or action not in lifecycle.ACTIONS:
        audit_record(
            actor=principal.actor(),
            action=AuditAction.PROBLEM_ACT,
            result="denied",
            subject_type="problem",
            subject_id=problem.number,
            detail={"action": action, "status": problem.status},
        )
        raise NotAllowed(
            _("You may not do this to the problem now (status: %(status)s).")
            % {"status": problem.get_status_display()}
        )
    if version is not None and version != problem.version:
        from govdesk.common.errors import Conflict

        raise Conflict(_("The problem changed meanwhile; reload it."))
    note = note.strip()
    if row.needs_note and not note:
        raise Invalid(_("Say why, or what was done."), {"note": _("Required.")})
    detail: dict[str, Any] = {}
    return_visit = return_visit.strip()
    if problem.kind == Kind.POOR_RATING and row.action in RETURN_VISIT_BEFORE:
        if not return_visit:
            raise Invalid(
                _("A poor rating closes only after the return visit to the rater is recorded."),
                {"return_visit": _("Record the return visit (回访): when, how, what was said.")},
            )
        detail["return_visit"] = return_visit[:2000]
    if row.action == Action.ASSIGN:
        owner = Department.objects.filter(code=department).first()
        if owner is None:
            raise Invalid(
                _("Name the department that owns it."),
                {"department": _("No department has this code.")},
            )
        problem.department = owner
        problem.deadline = deadline or add_working_days(timezone.localdate(), DEFAULT_DAYS)
        detail |= {"department": owner.code, "deadline": problem.deadline.isoformat()}
    if row.action == Action.RECTIFY:
        if change:
            if Role.OPERATOR not in roles:
                raise NotAllowed(_("Only the data bureau changes the catalogue."))
            applied = change_apply(change)
            problem.change = applied
            detail["change"] = applied
            audit_record(
                actor=principal.actor(),
                action=AuditAction.PROBLEM_CHANGE,
                subject_type="problem",
                subject_id=problem.number,
                detail=applied,
            )
        problem.rectified_at = timezone.now()
        problem.clean_since_rectified = 0
        problem.recurred_since_rectified = 0
    before = problem.status
    problem.status = row.target
    problem.version += 1
    if row.action in {Action.REJECT, Action.RECTIFY, Action.REOPEN}:
        problem.note = note
    problem.save()
    _event(problem, row.action, before, principal.actor().name, principal.role, note, detail)
    audit_record(
        actor=principal.actor(),
        action=AuditAction.PROBLEM_ACT,
        subject_type="problem",
        subject_id=problem.number,
        detail={"action": str(row.action), "from": before, "to": problem.status, **detail},
    )
    return problem


@atomic()
def problem_observe(*, problem_id: int, recurred: bool) -> Problem | None:
    """A detector saw the context of a rectified problem again: without the stutter, it counts
    towards verification (``FRICTION_VERIFY_AFTER`` clean occurrences verify it, measured, not
    declared); with it, the friction recorded for it has reopened the problem already."""
    problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
    if problem is None or problem.status != ProblemStatus.RECTIFIED or recurred:
        return problem
    problem.clean_since_rectified += 1
    problem.save(update_fields=["clean_since_rectified"])
    if problem.clean_since_rectified >= settings.FRICTION_VERIFY_AFTER:
        row = lifecycle.transition(Action.VERIFY, problem.status, {SYSTEM})
        assert row is not None
        before = problem.status
        problem.status = row.target
        problem.version += 1
        problem.save()
        _event(
            problem,
            Action.VERIFY,
            before,
            SYSTEM_NAME,
            SYSTEM,
            _(
                "%(n)s occurrences of the same context since the rectification, "
                "none with the stutter."
            )
            % {"n": problem.clean_since_rectified},
        )
        audit_record(
            actor=_system_actor(),
            action=AuditAction.PROBLEM_ACT,
            subject_type="problem",
            subject_id=problem.number,
            detail={"action": "verify", "from": before, "to": problem.status},
        )
    return problem
