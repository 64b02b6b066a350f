"""好差评: a resident rates an application (once per stage), a 差评 opens a ``poor_rating``
friction owned by the department that handled it, and completed applications left unrated
are invited to be rated once (智能邀评)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govdesk.accounts import sms
from govdesk.applications.lifecycle import Action as ApplicationAction
from govdesk.applications.lifecycle import Status
from govdesk.applications.models import Application
from govdesk.applications.selectors import get_application
from govdesk.applications.workdays import add_working_days
from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_record, person_subject
from govdesk.audit.transactions import atomic
from govdesk.common import outbox
from govdesk.common.errors import Conflict, Invalid, NotAllowed
from govdesk.common.principal import Principal
from govdesk.frictions import services as frictions
from govdesk.frictions.detectors import periodic_turn
from govdesk.frictions.models import Friction, Kind
from govdesk.ratings import selectors
from govdesk.ratings.models import INDICATORS, Level, Rating, RatingChannel, RatingInvitation

logger = logging.getLogger(__name__)

#: Working days the handling department has to rectify and answer a 差评 (国办发〔2019〕51号).
RECTIFY_WORKING_DAYS = 15
COMMENT_MAX = 500


@dataclass(frozen=True)
class RatingInput:
    level: int
    channel: str = RatingChannel.ONLINE
    indicators: dict[str, int] | None = None
    comment: str = ""


def _validate(data: RatingInput) -> tuple[str, dict[str, int], str]:
    errors: dict[str, str] = {}
    if data.level not in Level.values:
        errors["level"] = _("Choose one of the five levels.")
    if data.channel not in RatingChannel.values:
        errors["channel"] = _("Unknown channel.")
    indicators: dict[str, int] = {}
    if data.channel in RatingChannel.values:
        known = INDICATORS[RatingChannel(data.channel)].values
        for key, value in (data.indicators or {}).items():
            if key not in known:
                errors["indicators"] = _("Not an indicator of this channel: %(key)s.") % {
                    "key": key
                }
            elif not isinstance(value, int) or isinstance(value, bool) or value not in Level.values:
                errors["indicators"] = _("Each indicator is rated 1 to 5.")
            else:
                indicators[key] = value
    comment = data.comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("Say it in 500 characters or fewer.")
    if errors:
        raise Invalid(_("The rating could not be taken."), errors)
    return data.channel, indicators, comment


def _refuse(principal: Principal, application: Application, reason: str) -> None:
    audit_record(
        actor=principal.actor(),
        action=AuditAction.RATING_SUBMIT,
        result="denied",
        subject=person_subject(application.applicant.id_number),
        detail={"application": str(application.id), "reason": reason},
    )


@atomic()
def rating_submit(*, principal: Principal, application_id: UUID | str, data: RatingInput) -> Rating:
    """The applicant rates their application at the stage now open (``selectors.open_stage``):
    once per stage (a second rating of it is a conflict). Staff who may read the application
    are refused (ratings are the resident's word), anyone else finds nothing. A 差评 opens a
    ``poor_rating`` friction for the department that handled it, assigned with a deadline of
    15 working days, which closes only after the return visit (回访)."""
    application = get_application(principal=principal, application_id=application_id)
    if principal.kind != "resident" or principal.person is None:
        _refuse(principal, application, "not_the_applicant")
        raise NotAllowed(_("Only the applicant rates the service."))
    channel, indicators, comment = _validate(data)
    # One rating at a time per application: the row lock orders two at once.
    Application.objects.select_for_update().filter(pk=application.pk).first()
    stage = selectors.open_stage(application)
    if stage is None:
        raise Conflict(_("There is nothing to rate yet: the application has not been taken in."))
    if stage.rated:
        raise Conflict(
            _("You have rated this stage already (%(stage)s).") % {"stage": stage.stage.label},
            code="already_rated",
        )
    department = application.matter.department
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                application=application,
                person=principal.person,
                stage=stage.stage,
                round=stage.round,
                channel=channel,
                level=data.level,
                indicators=indicators,
                comment=comment,
                region=application.region,
                department=department,
            )
    except IntegrityError as exc:
        raise Conflict(_("You have rated this stage already."), code="already_rated") from exc
    if rating.poor:
        rating.friction = _open_poor_rating(rating, application)
        rating.save(update_fields=["friction"])
    audit_record(
        actor=principal.actor(),
        action=AuditAction.RATING_SUBMIT,
        subject=person_subject(application.applicant.id_number),
        detail={
            "application": str(application.id),
            "stage": rating.stage,
            "round": rating.round,
            "level": rating.level,
            "channel": channel,
            "friction": rating.friction.number if rating.friction else None,
        },
    )
    return rating


def _open_poor_rating(rating: Rating, application: Application) -> Friction:
    """The ``poor_rating`` friction of a 差评, a problem of its own, assigned by the platform
    to the department that handled the application (谁办理、谁负责)."""
    friction = frictions.friction_record(
        kind=Kind.POOR_RATING,
        source_ref=f"rating:{rating.pk}",
        summary=rating.comment or str(Level(rating.level).label),
        context=frictions.Context(channel=rating.channel),
        application=application,
        department=rating.department,
        person=rating.person,
        own_problem=True,
    )
    assert friction is not None  # a new rating's reference was never recorded
    if rating.department is not None:
        frictions.problem_act(
            principal=Principal(kind="system"),
            problem_id=friction.problem_id,
            action="assign",
            department=rating.department.code,
            deadline=add_working_days(timezone.localdate(), RECTIFY_WORKING_DAYS),
            note=_("差评: rectify and answer the rater after a return visit (回访)."),
        )
    return Friction.objects.select_related("problem__department").get(pk=friction.pk)


@dataclass
class InviteReport:
    invited: int = 0
    without_phone: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"invited": self.invited, "without_phone": self.without_phone, "failed": self.failed}


def _completed_before(cutoff: datetime) -> Any:
    return (
        Application.objects.filter(
            status=Status.COMPLETED,
            events__action=ApplicationAction.COMPLETE,
            events__at__lte=cutoff,
            rating_invitation__isnull=True,
        )
        .exclude(ratings__isnull=False)
        .select_related("applicant", "matter")
        .distinct()
    )


def ratings_invite(*, now: datetime | None = None, limit: int = 500) -> InviteReport:
    """智能邀评: each application completed ``RATING_INVITE_AFTER_DAYS`` ago or more and not
    rated gets one text message inviting a rating (through the SMS gateway), once: running it
    again invites nobody twice. A message that fails is tried again on the next run."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RATING_INVITE_AFTER_DAYS)
    report = InviteReport()
    for application in _completed_before(cutoff)[:limit]:
        with transaction.atomic():
            # Locked, then asked again: another run may have invited it meanwhile.
            Application.objects.select_for_update().filter(pk=application.pk).first()
            if RatingInvitation.objects.filter(application_id=application.pk).exists():
                continue
            phone = application.applicant.phone
            if not phone:
                RatingInvitation.objects.create(application=application, sent=False)
                report.without_phone += 1
                continue
            with translation.override(settings.LANGUAGE_CODE):
                text = _(
                    "Your application %(number)s (%(matter)s) is done. How did we do? "
                    "Rate the service here: %(url)s"
                ) % {
                    "matter": application.matter.name,
                    "number": application.number,
                    "url": selectors.rating_url(application),
                }
            try:
                sms.gateway().send(phone, text)
            except Exception:  # a gateway's own failure: try again next run
                logger.exception("rating invitation for %s not sent", application.number)
                report.failed += 1
                continue
            RatingInvitation.objects.create(application=application, sent=True)
            audit_record(
                actor=Principal(kind="system").actor(),
                action=AuditAction.RATING_INVITE,
                subject=person_subject(application.applicant.id_number),
                detail={"application": str(application.id)},
            )
            report.invited += 1
    return report


#: The mark of the worker's periodic invitations (shared by every worker: one runs them).
INVITE_SCHEDULE = "ratings_invite"


def ratings_invite_due(*, worker: str = "", budget: float | None = None) -> outbox.Report:
    """The worker's periodic run of 智能邀评 (an ``outbox`` dispatcher, called on each of its
    passes): ``ratings_invite`` when ``RATING_INVITE_SECONDS`` have passed since the last run by
    any worker (``frictions.detectors.periodic_turn``)."""
    if not periodic_turn(INVITE_SCHEDULE, settings.RATING_INVITE_SECONDS):
        return outbox.Report()
    return outbox.Report(done=ratings_invite().invited)
