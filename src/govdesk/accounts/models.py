"""Staff users with a role and a jurisdiction; API tokens for staff and residents; the one-time
codes residents sign in with and the local SMS outbox. Failed staff logins are counted by
django-axes (``accounts.lockout``), not on the user."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.common.roles import Role
from govdesk.organisations.models import Department, Region, ServicePoint


class User(AbstractUser):
    """A member of staff. Residents are not users: they authenticate through the identity
    provider adapter and act as a person of the registry."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    jurisdiction = models.ForeignKey(
        Region,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")
        # common.roles.SECURITY_PERMISSION: see there for what it covers.
        permissions = [
            (
                "manage_security",
                _("Can change security settings (sensitivity, staff roles and permissions)"),
            )
        ]


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the token itself is shown once."""

    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens"
    )
    resident = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens"
    )
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, resident__isnull=True)
                | models.Q(user__isnull=True, resident__isnull=False),
                name="apitoken_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class SignInCode(models.Model):
    """A sign-in started for an ID number (the local identity provider). Only a keyed hash of
    the code is kept; it expires and allows a few attempts only.

    A row is written for every well-formed number, registered or not, so that the resident's
    answer and the limits per number are the same whether or not the registry knows it: for a
    number nobody holds (``person`` empty), a person with no phone on file, or a code the
    gateway could not send, ``phone`` is empty, no text went anywhere and the challenge never
    verifies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sign_in_codes",
    )
    #: The keyed reference of the ID number (``common.idnumbers.person_ref``), never the number.
    subject = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    #: The phone the code was texted to; empty when no code was sent.
    phone = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["subject", "created_at"])]

    def __str__(self) -> str:
        return str(self.id)


class SmsMessage(models.Model):
    """The outbox of the local SMS gateway: messages 'sent' where no real gateway is set."""

    phone = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        indexes = [models.Index(fields=["phone", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M}"
