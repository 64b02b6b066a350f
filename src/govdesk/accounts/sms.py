"""Sending text messages through an adapter. The embedded default, ``LocalSms``, sends
nothing: it keeps each message in an outbox table, which the demo shows on screen."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from govdesk.accounts.models import SmsMessage


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone``; raise on failure."""


class LocalSms:
    """Keeps messages in the outbox instead of sending them."""

    def send(self, phone: str, text: str) -> None:
        SmsMessage.objects.create(phone=phone, text=text[:500])


def outbox_latest(phone: str, *, since: datetime | None = None) -> str | None:
    """The last message the local gateway 'sent' to ``phone`` (demo and tests only)."""
    messages = SmsMessage.objects.filter(phone=phone)
    if since is not None:
        messages = messages.filter(sent_at__gte=since)
    message = messages.order_by("-sent_at", "-id").first()
    return message.text if message is not None else None


def gateway() -> SmsGateway:
    """The configured gateway: ``settings.SMS_GATEWAY`` (a dotted path to a class), or the
    local outbox."""
    path = getattr(settings, "SMS_GATEWAY", "")
    if path:
        gateway_class = import_string(path)
        instance: SmsGateway = gateway_class()
        return instance
    return LocalSms()
