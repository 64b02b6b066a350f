"""The audit trail: append-only, hash-chained rows.

Each row's ``hash`` is HMAC-SHA256 (key from the environment, never in the database) over the
previous row's hash and the row's own canonical content, so that altering, deleting or
reordering any row breaks the chain at that row. On PostgreSQL a trigger refuses UPDATE and
DELETE; on every database the model and its queryset refuse them too.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class Result(models.TextChoices):
    OK = "ok", _("Allowed")
    DENIED = "denied", _("Denied")
    NOT_FOUND = "not_found", _("Not found")
    INVALID = "invalid", _("Invalid request")
    FAILED = "failed", _("Failed")


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit trail is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("the audit trail is append-only")


class AuditEvent(models.Model):
    seq = models.BigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time (UTC)"))
    actor = models.CharField(_("who"), max_length=150)
    actor_role = models.CharField(_("role"), max_length=32)
    action = models.CharField(_("action"), max_length=64)
    subject_type = models.CharField(_("whose (kind)"), max_length=32, blank=True)
    subject_id = models.CharField(_("whose (reference)"), max_length=64, blank=True)
    subject_label = models.CharField(_("whose"), max_length=100, blank=True)
    ip = models.CharField(_("from where"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["actor", "at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit trail is append-only")


class ChainHead(models.Model):
    """The last sequence number and hash: a single row, locked while appending, so that
    concurrent writers chain in one order and a truncated tail is noticed."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
