"""Transactions that never lose a refusal.

A service checks access inside its transaction (it must lock the row it decides on) and
records a refusal in the audit trail before it raises. The raise rolls the transaction back,
and with it the refusal's row. ``atomic`` is ``django.db.transaction.atomic`` for services
that also keeps the refusals recorded inside it and, when the block fails, writes them again
once the rollback is done: on the connection's next statement outside the failed block (a
fresh transaction, or the enclosing one if the block was a savepoint). A refusal whose
enclosing transaction fails in turn is handed up and written after that rollback too, so each
refusal lands exactly once, whatever the nesting.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import connection, transaction

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Scope:
    refusals: list[dict[str, Any]] = field(default_factory=list)


_SCOPE: ContextVar[_Scope | None] = ContextVar("govdesk_audit_scope", default=None)


def note_refusal(row: dict[str, Any]) -> None:
    """Called by ``audit_record`` for a refusal: remembered by the innermost service
    transaction, to be written again should that transaction roll back."""
    scope = _SCOPE.get()
    if scope is not None:
        scope.refusals.append(row)


def _write_again(rows: list[dict[str, Any]], parent: _Scope | None) -> None:
    if not rows:
        return
    from govdesk.audit.services import audit_record

    if connection.in_atomic_block and connection.needs_rollback:
        # The enclosing transaction is failing too (this block joined it without a savepoint):
        # nothing can be written before it rolls back; the enclosing scope writes them then.
        if parent is not None:
            parent.refusals.extend(rows)
        return
    token = _SCOPE.set(parent)
    try:
        for row in rows:
            audit_record(**row)  # re-noted in ``parent``, should it roll back as well
    finally:
        _SCOPE.reset(token)


def atomic(
    *, durable: bool = False, savepoint: bool = True
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``transaction.atomic(durable=…, savepoint=…)`` whose refusals survive its rollback."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            parent = _SCOPE.get()
            scope = _Scope()
            token = _SCOPE.set(scope)
            try:
                with transaction.atomic(durable=durable, savepoint=savepoint):
                    result = function(*args, **kwargs)
            except BaseException:
                _SCOPE.reset(token)
                _write_again(scope.refusals, parent)
                raise
            _SCOPE.reset(token)
            if parent is not None:
                # Committed with this block; should the enclosing one roll back, write again.
                parent.refusals.extend(scope.refusals)
            return result

        return run

    return decorate
