"""What may be rated now, and the ratings a principal may read."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from govdesk.applications.lifecycle import Status
from govdesk.applications.models import Application
from govdesk.common.principal import Principal
from govdesk.common.roles import Role
from govdesk.frictions.models import ProblemStatus
from govdesk.organisations.selectors import subtree_ids
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


@dataclass(frozen=True)
class RatingFigures:
    """Ratings in figures for the dashboard: how many of each level, by department, and the
    mean level month by month (the satisfaction trend)."""

    by_level: list[tuple[str, int]]
    by_department: list[tuple[str, int, float]]  # department, ratings, mean level
    by_month: list[tuple[str, float, int]]  # month, mean level, ratings
    share_poor: float | None


def rating_figures(*, principal: Principal) -> RatingFigures:
    """Over the ratings of applications in this member of staff's area (and department, where
    they belong to one), in a few grouped queries; no rater named."""
    from django.db.models import Avg, Count
    from django.db.models.functions import TruncMonth

    home = principal.jurisdiction
    rows = Rating.objects.none()
    if principal.kind == "staff" and home is not None:
        rows = Rating.objects.filter(region_id__in=subtree_ids(home))
        user = principal.user
        bureau = principal.role in {Role.OPERATOR, Role.AUDITOR}  # the data bureau: all of them
        if user is not None and user.department_id is not None and not bureau:
            rows = rows.filter(department_id=user.department_id)
    rows = rows.order_by()
    levels = dict(rows.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    total = sum(levels.values())
    by_level = [(str(label), int(levels.get(value, 0))) for value, label in Level.choices]
    by_department = [
        (str(name or "—"), int(n), float(mean or 0))
        for name, n, mean in rows.values_list("department__short_name")
        .annotate(n=Count("id"), mean=Avg("level"))
        .values_list("department__short_name", "n", "mean")
    ]
    by_month = [
        (month.strftime("%Y-%m"), float(mean or 0), int(n))
        for month, mean, n in rows.annotate(month=TruncMonth("at"))
        .values_list("month")
        .annotate(mean=Avg("level"), n=Count("id"))
        .values_list("month", "mean", "n")
        .order_by("month")
        if month is not None
    ]
    poor = sum(n for value, n in levels.items() if value <= 2)
    return RatingFigures(
        by_level=by_level,
        by_department=sorted(by_department),
        by_month=by_month,
        share_poor=poor / total if total else None,
    )
