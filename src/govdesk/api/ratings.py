"""/api/v1/applications/{id}/rating — 好差评: the applicant rates the service."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from govdesk.api.applications import RESPONSES
from govdesk.api.auth import principal_of
from govdesk.api.errors import BODY_ERRORS
from govdesk.ratings import services
from govdesk.ratings.models import Level, Rating

router = Router(tags=["ratings"])

LevelValue = Annotated[int, Field(ge=1, le=5)]


class RatingIn(Schema):
    level: LevelValue = Field(
        description="5 非常满意 · 4 满意 · 3 基本满意 · 2 不满意 · 1 非常不满意 (2 and 1 are 差评)"
    )
    channel: Literal["online", "window"] = Field(
        "online", description="online (portal, app), or window (the QR code at the window)"
    )
    indicators: dict[str, LevelValue] | None = Field(
        None,
        description="The channel's national indicators, each 1 to 5: online overall, "
        "efficiency, guide_accuracy, convenience, usability; window overall, efficiency, "
        "service_level, attitude",
    )
    comment: str = Field("", max_length=500)


class RatingFrictionOut(Schema):
    number: str
    problem: str
    status: str
    department: str | None
    deadline: str | None


class RatingOut(Schema):
    id: str
    application: str
    stage: str = Field(description="accepted (受理), completed (办结) or rerating (复评)")
    round: int
    channel: str
    level: int
    level_label: str
    indicators: dict[str, int]
    comment: str
    at: str
    friction: RatingFrictionOut | None = Field(
        None, description="The poor_rating friction a 差评 opened, with its owner and deadline"
    )


def rating_json(rating: Rating) -> dict[str, Any]:
    friction = rating.friction
    problem = friction.problem if friction is not None else None
    return {
        "id": str(rating.id),
        "application": str(rating.application_id),
        "stage": rating.stage,
        "round": rating.round,
        "channel": rating.channel,
        "level": rating.level,
        "level_label": str(Level(rating.level).label),
        "indicators": rating.indicators,
        "comment": rating.comment,
        "at": rating.at.isoformat(),
        "friction": {
            "number": friction.number,
            "problem": problem.number,
            "status": problem.status,
            "department": problem.department.code if problem.department else None,
            "deadline": problem.deadline.isoformat() if problem.deadline else None,
        }
        if friction is not None and problem is not None
        else None,
    }


@router.post(
    "/{application_id}/rating",
    response={201: RatingOut, **RESPONSES, **BODY_ERRORS},
    summary="Rate the service (the applicant only; once per stage: a second rating is 409)",
)
def rate_application(
    request: HttpRequest, application_id: UUID, payload: RatingIn
) -> Status[dict[str, Any]]:
    rating = services.rating_submit(
        principal=principal_of(request),
        application_id=application_id,
        data=services.RatingInput(
            level=payload.level,
            channel=payload.channel,
            indicators=dict(payload.indicators or {}),
            comment=payload.comment,
        ),
    )
    return Status(201, rating_json(rating))
