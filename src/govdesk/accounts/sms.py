"""Sending text messages through an adapter chosen by ``GOVDESK_SMS_GATEWAY``. The embedded
default, ``LocalSms`` (``local``), sends nothing: it keeps each message in an outbox table,
which the demo shows on screen."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.conf import settings

from govdesk.accounts.models import SmsMessage
from govdesk.common.adapters import adapter_class, adapter_problems


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone``; raise on failure."""

    def check_config(self) -> list[str]:
        """What is wrong with this gateway's configuration (empty when nothing is); quick, with
        no network access. ``govdesk check`` reports it."""
        ...


class LocalSms:
    """Keeps messages in the outbox instead of sending them."""

    def send(self, phone: str, text: str) -> None:
        SmsMessage.objects.create(phone=phone, text=text[:500])

    def check_config(self) -> list[str]:
        return []


def outbox_latest(phone: str, *, since: datetime | None = None) -> str | None:
    """The last message the local gateway 'sent' to ``phone`` (demo and tests only)."""
    messages = SmsMessage.objects.filter(phone=phone)
    if since is not None:
        messages = messages.filter(sent_at__gte=since)
    message = messages.order_by("-sent_at", "-id").first()
    return message.text if message is not None else None


#: The gateways ``GOVDESK_SMS_GATEWAY`` may name by a word instead of a dotted path.
BUILTIN = {"local": LocalSms}
EXPECTED = "'local' or the dotted path of an SMS gateway class"


def gateway() -> SmsGateway:
    """The configured gateway (``GOVDESK_SMS_GATEWAY``): a new instance of its class."""
    instance: SmsGateway = adapter_class(settings.SMS_GATEWAY, BUILTIN)()
    return instance


def check_config() -> list[str]:
    """What is wrong with the configured gateway: a setting that names none, or the problems
    the gateway's own ``check_config()`` finds."""
    setting: str = settings.SMS_GATEWAY
    return adapter_problems("GOVDESK_SMS_GATEWAY", setting, EXPECTED, gateway)
