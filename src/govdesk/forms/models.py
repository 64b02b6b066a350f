"""Data elements, form definitions and captured facts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.catalog.models import Matter
from govdesk.people.models import Person


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("Public")
    PERSONAL = "personal", _("Personal")
    SENSITIVE = "sensitive", _("Sensitive")


class DataElement(models.Model):
    key = models.CharField(_("key"), max_length=64, unique=True)
    type = models.CharField(_("type"), max_length=16)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.PERSONAL
    )
    derived = models.BooleanField(_("derived (never typed)"), default=False)
    default = models.JSONField(_("default"), null=True, blank=True)

    class Meta:
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} ({self.label})"


class FormDefinition(models.Model):
    """A matter's printable application form, or (no matter) the template of a material that
    the applicant completes and signs (``MaterialRequirement.template`` names it)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    matter = models.OneToOneField(
        Matter, on_delete=models.CASCADE, null=True, blank=True, related_name="form"
    )
    title = models.CharField(_("title"), max_length=100)
    template = models.CharField(_("print template"), max_length=64, default="application_form")
    produces = models.CharField(_("e-licence it produces"), max_length=32, blank=True)
    sections = models.JSONField(_("sections"), default=list)
    signature_lines = models.JSONField(_("signature lines"), default=list, blank=True)
    declaration = models.TextField(_("declaration printed above the signatures"), blank=True)
    version = models.CharField(_("version"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("form definition")
        verbose_name_plural = _("form definitions")

    def __str__(self) -> str:
        return self.title


class CapturedFact(models.Model):
    """A value typed by a clerk or a resident: captured once, reused everywhere for that person.
    A value that contradicts the registry keeps the registry's value authoritative and records
    the conflict."""

    class Source(models.TextChoices):
        TYPED_BY_CLERK = "clerk", _("Typed by a clerk")
        DECLARED = "resident", _("Declared by the resident")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="captured_facts")
    element = models.CharField(_("data element"), max_length=64)
    value = models.JSONField(_("value"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    actor = models.CharField(_("typed by"), max_length=150)
    application_ref = models.CharField(_("application"), max_length=40, blank=True)
    captured_at = models.DateTimeField(_("captured at"), auto_now_add=True)
    conflict = models.JSONField(_("conflicting registry value"), null=True, blank=True)

    class Meta:
        verbose_name = _("captured fact")
        verbose_name_plural = _("captured facts")
        indexes = [models.Index(fields=["person", "element", "captured_at"])]

    def __str__(self) -> str:
        return f"{self.element} of {self.person_id}"
