"""Applications (办件): one matter for one applicant, their lifecycle and timeline; bundle runs."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.applications.lifecycle import EDITABLE_STATUSES, OPEN_STATUSES, Action, Status
from govdesk.catalog.models import Bundle, Matter
from govdesk.common.outbox import OutboxEntry
from govdesk.organisations.models import Region, ServicePoint
from govdesk.people.models import Person

# Statuses and actions are defined by the lifecycle table; importable from here as well.
__all__ = [
    "EDITABLE_STATUSES",
    "OPEN_STATUSES",
    "Action",
    "Application",
    "ApplicationEvent",
    "BundleRun",
    "Channel",
    "IdempotentRequest",
    "MaterialUpload",
    "NumberTicket",
    "OutcomeIntent",
    "Status",
]


class Channel(models.TextChoices):
    WINDOW = "window", _("At the window")
    ONLINE = "online", _("Online")


class BundleRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="runs")
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bundle_runs")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="bundle_runs")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    skipped = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("bundle run")
        verbose_name_plural = _("bundle runs")

    def __str__(self) -> str:
        return f"{self.bundle.name} ({self.id})"


class Application(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("number"), max_length=32, unique=True)
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="applications")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    bundle_run = models.ForeignKey(
        BundleRun, on_delete=models.CASCADE, null=True, blank=True, related_name="applications"
    )
    step = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateField(_("statutory deadline"), null=True, blank=True)
    snapshot = models.JSONField(_("fields as submitted"), null=True, blank=True)
    #: What the system held for the materials when it was submitted (e-licences, registry
    #: facts: ``materials.Held``), so that a submitted application is read without a look-up.
    held = models.JSONField(_("facts held for the materials at submission"), null=True, blank=True)
    materials_provided = models.JSONField(default=list, blank=True)
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "region"]),
            models.Index(fields=["applicant", "status"]),
            # The list's keyset (newest first), across a city and within one community.
            models.Index(fields=["-created_at", "-id"], name="application_newest"),
            models.Index(fields=["region", "-created_at", "-id"], name="application_region_newest"),
            models.Index(fields=["matter", "-created_at", "-id"], name="application_matter_newest"),
        ]

    def __str__(self) -> str:
        return self.number


class ApplicationEvent(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.CharField(_("actor"), max_length=150)
    actor_role = models.CharField(_("role"), max_length=32)
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class MaterialUpload(models.Model):
    """A photo or PDF of a material, uploaded by the applicant's side (the resident, or a
    clerk at the window). The file lives outside the database (``settings.DATA_DIR``) under
    ``path``, a random name; this row says what it is. Replacing it keeps the row (with
    ``replaced_at``) and deletes the file: one current upload per application and material."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="uploads")
    material = models.CharField(_("material"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=32)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(_("stored as"), max_length=80, unique=True)
    uploaded_by = models.CharField(_("uploaded by"), max_length=150)
    uploaded_by_role = models.CharField(_("role"), max_length=32)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("uploaded material")
        verbose_name_plural = _("uploaded materials")
        ordering = ["uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material"],
                condition=models.Q(replaced_at__isnull=True),
                name="upload_one_current_per_material",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.material}"


class NumberTicket(models.Model):
    """One row per application number ever handed out: the database's own counter makes
    numbers unique without a lock or a retry (a rolled-back creation leaves a gap, never a
    duplicate)."""

    id = models.BigAutoField(primary_key=True)

    class Meta:
        verbose_name = _("application number")
        verbose_name_plural = _("application numbers")

    def __str__(self) -> str:
        return str(self.id)


class IdempotentRequest(models.Model):
    """A response kept for an ``Idempotency-Key``, so a retried or doubled request gets the same
    answer and never acts twice."""

    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=100)
    # SHA-256 of the request body, so that a key reused for a different request is refused.
    fingerprint = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotent_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class OutcomeIntent(OutboxEntry):
    """What follows an approval (its outcome handlers: a certificate, an e-licence …) is still
    to happen for this application. Written in the approval's own transaction, so an approval
    never commits without it; done in the transaction that keeps the outcomes' results
    (``application_outcomes_run``). ``outcome_intents_dispatch`` re-drives it until then."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="outcome_intent"
    )

    class Meta(OutboxEntry.Meta):
        verbose_name = _("outcome intent")
        verbose_name_plural = _("outcome intents")

    def __str__(self) -> str:
        return f"{self.application_id} ({'done' if self.done_at else 'open'})"
