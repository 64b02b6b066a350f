"""Outcome handlers: what follows an approval (issue a certificate or an e-licence, notify a
department). Other apps register handlers here; this app never imports them.

A handler runs in ``application_outcomes_run``'s transaction, at least once (ADR 13: a worker
may die and another one take over): it must be idempotent and do its work in that transaction,
so that only a run that commits counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govdesk.applications.models import Application

Handler = Callable[["Application"], dict[str, Any] | None]


@dataclass(frozen=True)
class Registration:
    name: str
    applies: Callable[[Application], bool]
    handler: Handler


_REGISTRY: list[Registration] = []


def register(name: str, applies: Callable[[Application], bool], handler: Handler) -> None:
    """Register ``handler`` to run after approval of applications for which ``applies``."""
    global _REGISTRY
    _REGISTRY = [r for r in _REGISTRY if r.name != name]
    _REGISTRY.append(Registration(name, applies, handler))


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
