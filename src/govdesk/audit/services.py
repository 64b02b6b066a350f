"""Writing and verifying the audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from govdesk.audit.models import AuditEvent, ChainHead, Result
from govdesk.common import rawsql

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_role",
    "action",
    "subject_type",
    "subject_id",
    "subject_label",
    "ip",
    "purpose",
    "result",
    "detail",
)


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit trail names them."""

    name: str
    role: str
    ip: str = ""


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _row_values(event: AuditEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in HASHED_FIELDS}
    values["at"] = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    return values


def compute_hash(prev_hash: str, values: dict[str, Any]) -> str:
    key = settings.AUDIT_KEY.encode()
    return hmac.new(key, prev_hash.encode() + _canonical(values), hashlib.sha256).hexdigest()


def subject_ref(id_number: str) -> str:
    """A stable reference to a person for the trail, without the ID number in clear: an
    auditor computes it from a number to find every read of that person's data."""
    key = settings.AUDIT_KEY.encode()
    return hmac.new(key, b"subject:" + id_number.encode(), hashlib.sha256).hexdigest()[:32]


def audit_record(
    *,
    actor: Actor,
    action: str,
    result: str = Result.OK,
    subject_type: str = "",
    subject_id: str = "",
    subject_label: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the trail. The chain head is locked so that rows chain in order."""
    head_table = rawsql.table(ChainHead)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with transaction.atomic():
        # The head row is created by the migration; locking it serialises writers. Plain SQL:
        # this runs on every read of personal data (see common.rawsql).
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}")  # noqa: S608
            row = cursor.fetchone()
        if row is None:  # only on an empty database (a fresh test database, say)
            ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
            head = ChainHead.objects.select_for_update().get(pk=1)
            row = (head.seq, head.hash)
        head_seq, head_hash = int(row[0]), str(row[1])
        event = AuditEvent(
            seq=head_seq + 1,
            at=datetime.now(UTC),
            actor=actor.name[:150],
            actor_role=actor.role[:32],
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_label=subject_label[:100],
            ip=actor.ip[:64],
            purpose=purpose[:200],
            result=str(result),
            detail=detail or {},
            prev_hash=head_hash,
        )
        # Round-trip the detail through JSON so the hash covers what the database will hold.
        event.detail = json.loads(json.dumps(event.detail, ensure_ascii=False, default=str))
        event.hash = compute_hash(head_hash, _row_values(event))
        insert, values = rawsql.insert_statement(event)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One round trip: append the row and move the head in the same statement.
                cursor.execute(
                    f"WITH appended AS ({insert}) UPDATE {head_table} SET seq = %s, "  # noqa: S608
                    f"hash = %s FROM appended WHERE {head_table}.id = 1 RETURNING appended.id",
                    [*values, event.seq, event.hash],
                )
                row = cursor.fetchone()
            else:
                cursor.execute(insert, values)
                row = cursor.fetchone()
                cursor.execute(
                    f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1",  # noqa: S608
                    [event.seq, event.hash],
                )
        rawsql.inserted(event, row[0] if row else None)
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def audit_verify(*, batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in sequence order; name the first row that does not fit."""
    prev_hash = GENESIS
    expected = 1
    rows = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        rows += 1
        if event.seq != expected:
            return VerifyResult(
                False,
                rows,
                event.seq,
                event.pk,
                f"row id {event.pk} has sequence {event.seq} where {expected} was expected: "
                f"row(s) {expected}..{event.seq - 1} were deleted",
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False,
                rows,
                event.seq,
                event.pk,
                f"row id {event.pk} (sequence {event.seq}) does not follow the row before it: "
                "rows were reordered, deleted or altered",
            )
        if not hmac.compare_digest(event.hash, compute_hash(prev_hash, _row_values(event))):
            return VerifyResult(
                False,
                rows,
                event.seq,
                event.pk,
                f"row id {event.pk} (sequence {event.seq}) was altered",
            )
        prev_hash = event.hash
        expected += 1
    head = ChainHead.objects.filter(pk=1).first()
    last_seq = expected - 1
    if head is None and rows:
        return VerifyResult(False, rows, 1, None, "the chain head row is missing")
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        return VerifyResult(
            False,
            rows,
            last_seq + 1,
            None,
            f"the trail ends at sequence {last_seq} but {head.seq} rows were written: "
            f"row(s) {last_seq + 1}..{head.seq} were deleted",
        )
    return VerifyResult(True, rows)
