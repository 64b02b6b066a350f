"""The audit trail is append-only and tamper-evident: altering, deleting or reordering any
single row makes ``govdesk audit verify`` fail, naming that row; signed checkpoints outside the
database reveal a cut tail even when the chain head was rewound with it, and an altered or
deleted checkpoint is named too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from govdesk.audit import services
from govdesk.audit.actions import AuditAction
from govdesk.audit.checkpoints import CheckpointError, checkpoint_log_read, checkpoint_path
from govdesk.audit.models import AppendOnlyError, AuditEvent, ChainHead
from govdesk.audit.services import audit_checkpoint, audit_record, audit_verify
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


# Checkpoints (ADR 12): the chain head, signed, in a file outside the database.


def _cut_tail(keep: int) -> None:
    """Delete every row after sequence ``keep`` and rewind the chain head to it, so that the
    rows left form an intact chain."""
    last = AuditEvent.objects.get(seq=keep)
    _sql("DELETE FROM audit_auditevent WHERE seq > %s", [keep])
    _sql("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [keep, last.hash])


def _lines() -> list[str]:
    return checkpoint_path().read_text(encoding="utf-8").splitlines(keepends=True)


def _write_lines(lines: list[str]) -> None:
    checkpoint_path().write_text("".join(lines), encoding="utf-8")


def _broken(fragment: str) -> str:
    result = audit_verify()
    assert not result.ok
    assert fragment in result.reason, result.reason
    return result.reason


def test_without_checkpoints_verify_says_there_is_no_anchor(db: None) -> None:
    _trail()
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "audit trail OK: 6 rows, chain intact; no anchor" in out.getvalue()
    # Which is why checkpoints exist: without one, a cut tail with its head rewound passes.
    _cut_tail(3)
    assert audit_verify().ok


def test_checkpoint_command_writes_a_signed_line_and_a_row(db: None) -> None:
    _trail()
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert "checkpoint 1 written" in out.getvalue() and "sequence 6" in out.getvalue()
    log = checkpoint_log_read()
    assert not log.problem and [(c.n, c.seq) for c in log.checkpoints] == [(1, 6)]
    assert log.checkpoints[0].hash == AuditEvent.objects.get(seq=6).hash
    record = AuditEvent.objects.get(seq=7)
    assert record.action == AuditAction.AUDIT_CHECKPOINT
    assert record.detail == {"checkpoint": 1, "seq": 6, "mac": log.checkpoints[0].mac}
    # Nothing new but its own row: nothing to anchor.
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert "no checkpoint written" in out.getvalue()
    _trail(2)
    assert audit_checkpoint() is not None
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "chain intact; anchored by 2 checkpoint(s)" in out.getvalue()
    assert "saw sequence 9 (1 row(s) since)" in out.getvalue()
    assert checkpoint_path().stat().st_mode & 0o777 == 0o640


def test_empty_trail_needs_no_checkpoint(db: None) -> None:
    assert audit_checkpoint() is None
    assert audit_verify().ok


def test_cut_tail_with_rewound_head_is_named(db: None) -> None:
    _trail()
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    _cut_tail(3)
    message = _broken(
        f"rows 4..6 at the end were deleted (the last checkpoint at {checkpoint.when} "
        "saw sequence 6)"
    )
    assert audit_verify().broken_seq == 4
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", stdout=out)
    assert str(caught.value) == f"audit trail BROKEN at sequence 4: {message}"
    # No checkpoint is written over the cut.
    with pytest.raises(CheckpointError, match="checkpoint 1 saw sequence 6"):
        audit_checkpoint()


def test_cut_and_refilled_tail_is_named(db: None) -> None:
    """Rows cut and new ones appended in their place form a valid chain; the checkpoint still
    names the row that is no longer the one it saw."""
    _trail()
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    _cut_tail(3)
    _trail(4)
    sixth = AuditEvent.objects.get(seq=6)
    _broken(f"row id {sixth.pk} (sequence 6) is not the row checkpoint 1 saw at {checkpoint.when}")


@pytest.mark.parametrize("column, value", [("actor", "someone.else"), ("purpose", "x")])
def test_altered_row_is_named_with_checkpoints(db: None, column: str, value: str) -> None:
    rows = _trail()
    audit_checkpoint()
    _sql(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, rows[2].pk])  # noqa: S608
    assert f"row id {rows[2].pk}" in _verify_names(3)


def test_deleted_row_is_named_with_checkpoints(db: None) -> None:
    rows = _trail()
    audit_checkpoint()
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [rows[3].pk])
    assert audit_verify().broken_seq == 5
    _broken("row(s) 4..4 were deleted")


def test_reordered_rows_are_named_with_checkpoints(db: None) -> None:
    rows = _trail()
    audit_checkpoint()
    a, b = rows[1], rows[2]
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [-1, a.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [2, b.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [3, a.pk])
    assert f"row id {b.pk}" in _verify_names(2)


def _three_checkpoints() -> None:
    for _ in range(3):
        _trail(2)
        assert audit_checkpoint() is not None
    assert audit_verify().ok


def test_altered_checkpoint_is_named(db: None) -> None:
    _three_checkpoints()
    lines = _lines()
    lines[1] = lines[1].replace('"seq":5', '"seq":4')
    _write_lines(lines)
    _broken(f"checkpoint file {checkpoint_path()}: line 2 (checkpoint 2) was altered")
    with pytest.raises(CommandError, match="audit trail BROKEN: checkpoint file"):
        call_command("audit", "verify", stdout=StringIO())


def test_deleted_checkpoint_is_named(db: None) -> None:
    _three_checkpoints()
    lines = _lines()
    del lines[1]
    _write_lines(lines)
    _broken("checkpoint(s) 2..2 were deleted (line 2 holds checkpoint 3 after checkpoint 1)")


def test_deleted_last_checkpoints_are_named(db: None) -> None:
    _three_checkpoints()
    _write_lines(_lines()[:1])
    _broken("checkpoint(s) 2..3 were deleted at its end (the trail recorded checkpoint 3 at")
    with pytest.raises(CheckpointError, match="the trail recorded checkpoint 2"):
        audit_checkpoint()


def test_deleted_checkpoint_file_is_named(db: None) -> None:
    _three_checkpoints()
    checkpoint_path().unlink()
    _broken(f"checkpoint file {checkpoint_path()} is missing, but the trail recorded checkpoint 3")


def test_reordered_checkpoints_are_named(db: None) -> None:
    _three_checkpoints()
    lines = _lines()
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(lines)
    _broken("checkpoint(s) 2..2 were deleted (line 2 holds checkpoint 3 after checkpoint 1)")


def test_damaged_checkpoint_line_is_named_and_not_extended(db: None) -> None:
    _three_checkpoints()
    with checkpoint_path().open("a", encoding="utf-8") as file:
        file.write('{"n": 4, "seq"')
    _broken("line 4 is not a checkpoint")
    with pytest.raises(CheckpointError, match="the last line is incomplete"):
        audit_checkpoint()


def test_checkpoint_under_another_key_is_refused(db: None, settings: Any) -> None:
    _three_checkpoints()
    settings.AUDIT_CHECKPOINT_KEY = "another key"
    _broken("line 1 (checkpoint 1) was altered")
    with pytest.raises(CheckpointError, match="the last line was altered"):
        audit_checkpoint()


def test_checkpoint_files_are_per_database(db: None, settings: Any, tmp_path: Path) -> None:
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "elsewhere"
    path = checkpoint_path()
    assert path.parent == tmp_path / "elsewhere"
    assert path.name.startswith(f"{connection.vendor}-") and path.suffix == ".jsonl"


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_checkpoint_is_queued_every_n_rows(
    db: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    settings.AUDIT_CHECKPOINT_EVERY_ROWS = 4
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _trail(3)
    assert callbacks == [] and not checkpoint_path().exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _trail(5)  # rows 4 and 8 queue one each; the first anchors 8, the second finds nothing
    assert len(callbacks) == 2
    assert [c.seq for c in checkpoint_log_read().checkpoints] == [8]
    assert ChainHead.objects.get(pk=1).seq == 9  # the checkpoint's own row
    assert audit_verify().ok


def test_a_checkpoint_is_queued_every_m_minutes(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.AUDIT_CHECKPOINT_MINUTES = 5
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(services, "_next_checkpoint_at", [])
    assert not services._checkpoint_due(1)  # a process's first row sets the clock
    now[0] += 299
    assert not services._checkpoint_due(2)
    now[0] += 1
    assert services._checkpoint_due(3)
    assert not services._checkpoint_due(4)
    now[0] += 300
    assert services._checkpoint_due(5)
