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

from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent, ChainHead, Result
from govdesk.audit.transactions import note_refusal
from govdesk.common import rawsql
from govdesk.common.actor import Actor
from govdesk.common.idnumbers import mask, person_ref

GENESIS = "0" * 64
# What a row's keyed MAC covers. Its place in the chain (sequence, previous hash) is covered
# by the chain hash, which the database computes: SHA-256(previous hash ‖ MAC).
HASHED_FIELDS = (
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


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _row_values(event: AuditEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in HASHED_FIELDS}
    values["at"] = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    return values


def row_mac(values: dict[str, Any]) -> str:
    """HMAC-SHA256 of a row's content under the audit key (the key never leaves this process)."""
    key = settings.AUDIT_KEY.encode()
    return hmac.new(key, _canonical(values), hashlib.sha256).hexdigest()


def chain_hash(prev_hash: str, mac: str) -> str:
    """The row's place in the chain. PostgreSQL computes the same in govdesk_audit_append."""
    return hashlib.sha256((prev_hash + mac).encode()).hexdigest()


@dataclass(frozen=True)
class Subject:
    """Whose data a row is about: a type, a keyed reference and a masked label."""

    type: str
    id: str
    label: str = ""


def person_subject(id_number: str) -> Subject:
    """A person as the trail names them: the keyed reference (``subject_ref``) and the masked
    number, never the number in clear."""
    return Subject("person", subject_ref(id_number), mask(id_number))


def audit_list_read(
    *,
    actor: Actor,
    action: AuditAction,
    id_numbers: list[str],
    detail: dict[str, Any] | None = None,
) -> None:
    """One row for a page of a list that shows people's data: it names every person shown
    (by keyed reference), so a person's accesses can be found from lists too."""
    if not id_numbers:
        return
    refs = list(dict.fromkeys(subject_ref(n) for n in id_numbers))
    audit_record(
        actor=actor,
        action=action,
        subject_type="people",
        subject_label=f"{len(refs)}",
        detail={**(detail or {}), "count": len(id_numbers), "subjects": refs},
    )


def subject_ref(id_number: str) -> str:
    """A stable reference to a person for the trail, without the ID number in clear: an
    auditor computes it from a number to find every read of that person's data."""
    return person_ref(id_number)


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    result: str = Result.OK,
    subject: Subject | None = None,
    subject_type: str = "",
    subject_id: str = "",
    subject_label: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the trail, chained after the last one.

    On PostgreSQL one statement (``govdesk_audit_append``) locks the chain head, chains,
    inserts and moves the head, so that the head is locked for microseconds, not for round
    trips. Elsewhere the same happens in a transaction here.

    A refusal (``Result.DENIED``) written inside a service's transaction is also kept by
    ``audit.transactions.atomic``, which writes it again should that transaction roll back."""
    if subject is not None:
        subject_type, subject_id, subject_label = subject.type, subject.id, subject.label
    if result == Result.DENIED:
        note_refusal(
            {
                "actor": actor,
                "action": action,
                "result": result,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "subject_label": subject_label,
                "purpose": purpose,
                "detail": detail,
            }
        )
    event = AuditEvent(
        at=datetime.now(UTC),
        actor=actor.name[:150],
        actor_role=actor.role[:32],
        action=str(action),
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=subject_label[:100],
        ip=actor.ip[:64],
        purpose=purpose[:200],
        result=str(result),
        # Round-trip the detail through JSON so the MAC covers what the database will hold.
        detail=json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str)),
    )
    mac = row_mac(_row_values(event))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT new_id, new_seq, new_hash FROM govdesk_audit_append("
                "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)",
                [
                    event.at,
                    event.actor,
                    event.actor_role,
                    event.action,
                    event.subject_type,
                    event.subject_id,
                    event.subject_label,
                    event.ip,
                    event.purpose,
                    event.result,
                    json.dumps(event.detail, ensure_ascii=False),
                    mac,
                ],
            )
            row = cursor.fetchone()
        assert row is not None
        event.seq, event.hash = int(row[1]), str(row[2])
        rawsql.inserted(event, row[0])
        return event
    with transaction.atomic():
        head = next(iter(ChainHead.objects.select_for_update().filter(pk=1)), None)
        if head is None:  # only on an empty database (a fresh test database, say)
            ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
            head = ChainHead.objects.select_for_update().get(pk=1)
        event.seq = head.seq + 1
        event.prev_hash = head.hash
        event.hash = chain_hash(head.hash, mac)
        rawsql.insert(event)
        ChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
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
        expected_hash = chain_hash(prev_hash, row_mac(_row_values(event)))
        if not hmac.compare_digest(event.hash, expected_hash):
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
