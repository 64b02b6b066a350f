"""Outcome handlers: what follows an approval (issue a certificate or an e-licence, notify a
department). Apps register handlers here from their ``AppConfig.ready()``, each under a name of
its own (the key of its result in ``Application.outcome``); this app never imports them.
The e-licences a matter ``produces`` are registered by this app itself (``licences``).

A handler runs in ``application_outcomes_run``'s transaction, at least once (ADR 13: a worker
may die and another one take over): it must be idempotent and do its work in that transaction,
so that only a run that commits counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from govdesk.applications.models import Application

Handler = Callable[["Application"], dict[str, Any] | None]


@dataclass(frozen=True)
class Registration:
    name: str
    applies: Callable[[Application], bool]
    handler: Handler


class DuplicateOutcome(ImproperlyConfigured):
    """Two different handlers asked for one name: the second would hide the first's results."""


_REGISTRY: list[Registration] = []


def register(name: str, applies: Callable[[Application], bool], handler: Handler) -> None:
    """Register ``handler`` to run after approval of applications for which ``applies``.
    Registering the same handler again under its name does nothing (an app's ``ready()`` may
    run twice); another under a name already taken raises :class:`DuplicateOutcome`."""
    registration = Registration(name, applies, handler)
    for existing in _REGISTRY:
        if existing.name != name:
            continue
        if existing == registration:
            return
        raise DuplicateOutcome(
            f"an outcome handler named {name!r} is already registered ({existing.handler!r}); "
            f"{handler!r} needs a name of its own"
        )
    _REGISTRY.append(registration)


def handlers_for(application: Application) -> list[Registration]:
    return [r for r in _REGISTRY if r.applies(application)]


def failed(result: Any) -> bool:
    """Whether a handler's kept result records a failure (``{"error": …, "code": …}``): the
    outcome did not happen and may be tried again once its cause is fixed."""
    return isinstance(result, dict) and "error" in result


def pending(application: Application) -> list[str]:
    """The outcomes of ``application`` not achieved yet: never run, or failed."""
    done = application.outcome or {}
    return [r.name for r in handlers_for(application) if r.name not in done or failed(done[r.name])]
