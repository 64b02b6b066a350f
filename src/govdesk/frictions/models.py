"""The friction log (错题本): every stutter a person met, grouped into problems that are owned,
rectified and verified in a closed loop (``frictions/lifecycle.py``)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govdesk.applications.models import Application
from govdesk.catalog.models import Matter
from govdesk.organisations.models import Department, Region
from govdesk.people.models import Person


class Kind(models.TextChoices):
    REPORTED = "reported", _("Reported by a person")
    TYPED_KNOWN = "typed_known", _("A value typed that was already held")
    PAPER_DESPITE_LICENCE = (
        "paper_despite_licence",
        _("Paper asked for though an e-licence held it"),
    )
    SEARCH_NO_RESULT = "search_no_result", _("A search found nothing")
    SEARCH_ABANDONED = "search_abandoned", _("A search where nothing was opened")
    RETURNED = "returned", _("Returned to the resident for correction")
    SLOW_STEP = "slow_step", _("A step far slower than usual")
    POOR_RATING = "poor_rating", _("A poor rating")
    DELIVERY_FAILED = "delivery_failed", _("A decision that did not reach its department")
    SERVER_ERROR = "server_error", _("A person reached an error page")


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    RECTIFYING = "rectifying", _("Being rectified")
    RECTIFIED = "rectified", _("Rectified")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    REOPENED = "reopened", _("Reopened")


class Reporter(models.TextChoices):
    STAFF = "staff", _("Staff")
    RESIDENT = "resident", _("Resident")
    PLATFORM = "platform", _("The platform itself")


class Problem(models.Model):
    """Frictions with the same signature (kind, matter, field or query): one thing to fix."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    signature = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    matter = models.ForeignKey(
        Matter, on_delete=models.SET_NULL, null=True, blank=True, related_name="problems"
    )
    field = models.CharField(_("form field"), max_length=64, blank=True)
    material = models.CharField(_("material"), max_length=200, blank=True)
    query = models.CharField(_("search query"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.NEW
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="problems"
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(_("people affected"), default=0)
    minutes_lost = models.FloatField(_("minutes lost (estimate)"), default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    #: Since the rectification: occurrences of the same context without the stutter, and with.
    rectified_at = models.DateTimeField(null=True, blank=True)
    clean_since_rectified = models.PositiveIntegerField(default=0)
    recurred_since_rectified = models.PositiveIntegerField(default=0)
    change = models.JSONField(_("what the rectification changed"), default=dict, blank=True)
    note = models.TextField(_("note to the reporters"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [models.Index(fields=["status", "kind"]), models.Index(fields=["-last_seen"])]

    def __str__(self) -> str:
        return self.number


class Friction(models.Model):
    """One stutter, with its context captured by the platform (never typed)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("number"), max_length=24, unique=True)
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="frictions")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    reporter = models.CharField(_("reporter"), max_length=32, choices=Reporter.choices)
    reporter_ref = models.CharField(max_length=150, blank=True)  # actor name (keyed for residents)
    reporter_role = models.CharField(max_length=32, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="frictions"
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="frictions"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="frictions"
    )
    matter = models.ForeignKey(
        Matter, on_delete=models.SET_NULL, null=True, blank=True, related_name="frictions"
    )
    application = models.ForeignKey(
        Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="frictions"
    )
    bundle = models.CharField(max_length=64, blank=True)
    step = models.PositiveIntegerField(null=True, blank=True)
    field = models.CharField(_("form field"), max_length=64, blank=True)
    material = models.CharField(_("material"), max_length=200, blank=True)
    query = models.CharField(_("search query"), max_length=200, blank=True)
    screen = models.CharField(_("screen"), max_length=300, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    elder_mode = models.BooleanField(_("elder mode"), default=False)
    minutes_lost = models.FloatField(default=0)
    #: What a detector raised it from (a search-log row, an event …): running it twice finds
    #: the same reference and records nothing new.
    source_ref = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("friction")
        verbose_name_plural = _("frictions")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_ref"],
                condition=~Q(source_ref=""),
                name="friction_once_per_source",
            )
        ]
        indexes = [
            models.Index(fields=["-at"]),
            models.Index(fields=["region", "-at"]),
            models.Index(fields=["reporter_ref"]),  # what a person reported (the stats)
        ]

    def __str__(self) -> str:
        return self.number


class ProblemEvent(models.Model):
    """A step of a problem's loop, for its history."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=32, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action}"


class DetectorMark(models.Model):
    """How far a detector has read what the platform records (the last row it saw), so that
    each run reads only what is new: ``detectors.frictions_detect``."""

    name = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("detector mark")
        verbose_name_plural = _("detector marks")

    def __str__(self) -> str:
        return f"{self.name} {self.last_id}"


class KindTally(models.Model):
    """Frictions counted by community, department, kind and week (a Monday, local time) as
    they are recorded: the dashboard's stats add these up instead of reading every friction.
    Two recordings at once may each add a row for the same key; the sums stay right."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    week = models.DateField()
    count = models.PositiveIntegerField(default=0)
    minutes_lost = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["region", "department", "kind", "week"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.week} {self.count}"


class ProblemTally(models.Model):
    """Frictions counted by problem, community and department (for the stats by status: the
    problem's status is read when they are added up)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["problem", "region", "department"])]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.count}"
