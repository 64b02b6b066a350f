"""What may be rated now, and the ratings a principal may read."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from govdesk.applications.lifecycle import Status
from govdesk.applications.models import Application
from govdesk.common.principal import Principal
from govdesk.frictions.models import ProblemStatus
from govdesk.ratings.models import INDICATORS, Level, Rating, RatingChannel, Stage

#: Statuses in which the acceptance (受理) may be rated: accepted, and still being handled.
IN_HAND = frozenset({Status.ACCEPTED, Status.REVIEWED, Status.APPROVED})
#: A poor rating's problem in one of these has been answered: the rater may rate again (复评).
ANSWERED = frozenset({ProblemStatus.RECTIFIED, ProblemStatus.VERIFIED})


@dataclass(frozen=True)
class OpenStage:
    stage: Stage
    round: int
    rated: bool  # this stage was rated already: a rating now is a conflict


def ratings_of(application: Application) -> list[Rating]:
    return list(
        Rating.objects.filter(application=application)
        .select_related("friction__problem")
        .order_by("at", "id")
    )


def open_stage(application: Application, ratings: list[Rating] | None = None) -> OpenStage | None:
    """The stage a rating of ``application`` now would rate; None when nothing may be rated
    yet (a draft, an application not accepted). Acceptance while it is handled, completion
    once completed; after a poor rating whose problem was rectified, rating again (复评)."""
    rated = ratings_of(application) if ratings is None else ratings
    natural: Stage | None = None
    if application.status == Status.COMPLETED:
        natural = Stage.COMPLETED
    elif application.status in IN_HAND:
        natural = Stage.ACCEPTED
    if natural is not None and not any(r.stage == natural for r in rated):
        return OpenStage(natural, 1, rated=False)
    last = rated[-1] if rated else None
    if (
        last is not None
        and last.poor
        and last.friction is not None
        and last.friction.problem.status in ANSWERED
    ):
        again = sum(1 for r in rated if r.stage == Stage.RERATING)
        return OpenStage(Stage.RERATING, again + 1, rated=False)
    if natural is None:
        return None
    return OpenStage(natural, 1, rated=True)


def indicator_choices(channel: str) -> list[tuple[str, str]]:
    """The national indicators of a channel, labelled in the reader's language."""
    return [(str(v), str(label)) for v, label in INDICATORS[RatingChannel(channel)].choices]


def level_choices() -> list[tuple[int, str]]:
    """The five levels, best first (as the national form lists them)."""
    return [(int(v), str(label)) for v, label in Level.choices]


def rating_url(application: Application, *, channel: str = "") -> str:
    """The resident's rating page of this application, absolute (for a QR code or a text
    message); ``channel=window`` when scanned at the window."""
    base: str = settings.PUBLIC_BASE_URL
    path = reverse("portal:rating", args=[application.pk])
    query = f"?channel={channel}" if channel else ""
    return f"{base.rstrip('/')}{path}{query}"


def ratings_for(*, principal: Principal, application: Application) -> list[Rating]:
    """The ratings of an application its reader may see (the caller has checked the reading:
    ``applications.selectors.get_application``)."""
    return ratings_of(application)


def window_qr(application: Application) -> dict[str, str] | None:
    """For the clerk's screen: the QR code (SVG) of the resident's rating page, scanned at the
    window (评价器), while the application has a stage open to rating; None otherwise."""
    if application.status not in IN_HAND and application.status != Status.COMPLETED:
        return None
    import io

    import segno

    url = rating_url(application, channel=RatingChannel.WINDOW)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4)
    return {"url": url, "svg": buffer.getvalue().decode("utf-8")}
