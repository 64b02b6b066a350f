"""Issued certificates (证明) and the per-issuer, per-year sequences that number them.

The signed PDF is kept in the row (``BinaryField``), not as a file: the number, the record and
the document are written in one transaction, so a failed issuance leaves neither a gap in the
numbers nor an orphan or overwritten file, every application server reads the same bytes
without a shared file system, and a database backup holds the complete register. A one-page
certificate is about 70 KB; lists never load it (``defer("pdf")``).
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.applications.models import Application
from govdesk.catalog.models import CertificateType
from govdesk.organisations.models import Region
from govdesk.people.models import Person


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class Certificate(models.Model):
    number = models.CharField(_("number"), max_length=40, unique=True)
    type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="certificates")
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="certificate"
    )
    holder = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="certificates")
    issuer = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="issued_certificates")
    issuer_name = models.CharField(_("issued by"), max_length=120)
    issued_at = models.DateTimeField(_("issued at"))
    valid_until = models.DateField(_("valid until"))
    token = models.CharField(_("verification token"), max_length=64, unique=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=150, blank=True)
    revoke_reason = models.TextField(_("reason for revocation"), blank=True)
    pdf = models.BinaryField(_("signed PDF"))
    pdf_sha256 = models.CharField(_("SHA-256 of the signed PDF"), max_length=64)
    signer_fingerprint = models.CharField(
        _("SHA-256 of the signing certificate"), max_length=64, blank=True
    )
    data = models.JSONField(_("what the certificate states"), default=dict)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]
        indexes = [
            models.Index(fields=["holder", "issued_at"]),
            models.Index(fields=["issuer", "issued_at"]),
        ]

    def __str__(self) -> str:
        return self.number

    def status_on(self, day: date) -> str:
        """valid | revoked | expired, as verification reports it on ``day``."""
        if self.status == CertificateStatus.REVOKED:
            return "revoked"
        if self.valid_until < day:
            return "expired"
        return "valid"


class CertificateSequence(models.Model):
    """The last number an issuer gave in a year. Locked (SELECT … FOR UPDATE) while a
    certificate is issued, in the same transaction: numbers are distinct and gap-free."""

    issuer = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("certificate number sequence")
        verbose_name_plural = _("certificate number sequences")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year"], name="certificate_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.year}: {self.last}"
