"""The audit trail is append-only and tamper-evident: altering, deleting or reordering any
single row makes ``govdesk audit verify`` fail, naming that row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AppendOnlyError, AuditEvent
from govdesk.audit.services import audit_record, audit_verify
from govdesk.common.actor import Actor

ACTOR = Actor(name="clerk.chunlei", role="clerk", ip="10.0.0.1")


def _trail(n: int = 6) -> list[AuditEvent]:
    return [
        audit_record(
            actor=ACTOR,
            action=AuditAction.PERSON_READ,
            subject_type="person",
            subject_id=f"ref{i}",
            subject_label=f"320205********00{i:02d}",
            purpose="test",
            detail={"i": i, "名": "李红梅"},
        )
        for i in range(n)
    ]


@contextmanager
def raw_tampering() -> Iterator[None]:
    """Bypass the append-only guards, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def _sql(statement: str, params: list[str | int]) -> None:
    with raw_tampering(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify_names(seq: int) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", stdout=out)
    message = str(caught.value)
    assert f"sequence {seq}" in message
    return message


def test_chain_verifies(db: None) -> None:
    _trail()
    result = audit_verify()
    assert result.ok and result.rows == 6
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "OK" in out.getvalue()


def test_timestamps_are_utc(db: None) -> None:
    row = _trail(1)[0]
    row.refresh_from_db()
    offset = row.at.utcoffset()
    assert offset is not None and offset.total_seconds() == 0


@pytest.mark.parametrize("target", [1, 3, 6])
@pytest.mark.parametrize(
    "column, value",
    [("actor", "someone.else"), ("result", "denied"), ("purpose", "x"), ("ip", "1.2.3.4")],
)
def test_altered_row_is_named(db: None, target: int, column: str, value: str) -> None:
    rows = _trail()
    victim = rows[target - 1]
    _sql(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, victim.pk])  # noqa: S608
    message = _verify_names(target)
    assert f"row id {victim.pk}" in message


def test_altered_time_is_named(db: None) -> None:
    rows = _trail()
    _sql(
        "UPDATE audit_auditevent SET at = %s WHERE id = %s",
        [
            "2020-01-01 00:00:00+00:00"
            if connection.vendor == "postgresql"
            else "2020-01-01 00:00:00",
            rows[2].pk,
        ],
    )
    _verify_names(3)


@pytest.mark.parametrize("target", [1, 4])
def test_deleted_row_is_named(db: None, target: int) -> None:
    rows = _trail()
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [rows[target - 1].pk])
    result = audit_verify()
    assert not result.ok
    # The row after the gap is the first that does not fit; the message names the gap.
    assert result.broken_seq == target + 1
    assert f"row(s) {target}..{target}" in result.reason


def test_deleted_last_row_is_noticed(db: None) -> None:
    rows = _trail()
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [rows[-1].pk])
    result = audit_verify()
    assert not result.ok and result.broken_seq == 6


def test_reordered_rows_are_named(db: None) -> None:
    rows = _trail()
    a, b = rows[1], rows[2]  # sequences 2 and 3 swap places
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [-1, a.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [2, b.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [3, a.pk])
    message = _verify_names(2)
    assert f"row id {b.pk}" in message


def test_orm_refuses_update_and_delete(db: None) -> None:
    row = _trail(1)[0]
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=row.pk).update(actor="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgres_refuses_update_and_delete(db: None) -> None:
    row = _trail(1)[0]
    for statement in (
        "UPDATE audit_auditevent SET actor = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(statement, [row.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        # The suite's own connections may empty the table between tests (conftest.py);
        # an application connection may not.
        c.execute("SET LOCAL govdesk.audit_truncate = 'deny'")
        c.execute("TRUNCATE audit_auditevent")
    assert audit_verify().ok


def test_hash_depends_on_the_key(db: None, settings: object) -> None:
    _trail(2)
    settings.AUDIT_KEY = "another key"  # type: ignore[attr-defined]
    assert not audit_verify().ok
