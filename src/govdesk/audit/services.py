"""Writing, anchoring and verifying the audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from govdesk.audit.actions import AuditAction
from govdesk.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointLog,
    checkpoint_appender,
    checkpoint_log_read,
)
from govdesk.audit.models import AuditEvent, ChainHead, Result
from govdesk.audit.transactions import note_refusal
from govdesk.common import rawsql
from govdesk.common.actor import Actor
from govdesk.common.idnumbers import mask, person_ref

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SYSTEM = Actor(name="govdesk", role="system")
CHECKPOINT_SUBJECT = "checkpoint"  # subject_type of the row that records checkpoint n
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
    """Append one row to the trail, chained after the last one, and queue a checkpoint when
    one is due (every ``AUDIT_CHECKPOINT_EVERY_ROWS`` rows, or ``AUDIT_CHECKPOINT_MINUTES``).

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
    _append(event)
    if _checkpoint_due(event.seq):
        transaction.on_commit(_checkpoint_queue)
    return event


def _append(event: AuditEvent) -> AuditEvent:
    """Chain ``event`` after the last row and insert it (sequence and hashes filled in)."""
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
    # No savepoint of its own inside a caller's transaction: a failed append fails the caller.
    with transaction.atomic(savepoint=False):
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


# Checkpoints are queued from the append path at almost no cost: a modulo, and a clock read
# against this process's next due time (set at its first append).
_next_checkpoint_at: list[float] = []


def _checkpoint_due(seq: int) -> bool:
    every = settings.AUDIT_CHECKPOINT_EVERY_ROWS
    if every > 0 and seq % every == 0:
        return True
    minutes = settings.AUDIT_CHECKPOINT_MINUTES
    if minutes <= 0:
        return False
    now = time.monotonic()
    if not _next_checkpoint_at:
        _next_checkpoint_at.append(now + minutes * 60)
    elif now >= _next_checkpoint_at[0]:
        _next_checkpoint_at[0] = now + minutes * 60
        return True
    return False


def _checkpoint_queue() -> None:
    from govdesk.audit.tasks import audit_checkpoint_write

    try:
        audit_checkpoint_write.enqueue()
    except Exception:  # the row is written: a missed checkpoint must not fail the request
        logger.exception("could not queue an audit checkpoint")


def audit_checkpoint() -> Checkpoint | None:
    """Write a checkpoint of the chain head to the checkpoint file and record it in the trail;
    None when nothing but the last checkpoint's own row was appended since it.

    Refuses (CheckpointError) when the file's last line is damaged or altered, when the trail
    recorded a later checkpoint than the file holds, or when the row the last checkpoint saw
    is gone or changed: anchoring a cut trail would hide the cut."""
    with checkpoint_appender() as appender:
        last = appender.last
        head = ChainHead.objects.filter(pk=1).first()
        seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
        _checkpoint_refusal(last, seq)
        if seq == 0 or (
            last is not None
            and (seq == last.seq or (seq == last.seq + 1 and _is_record_of(seq, last)))
        ):
            return None
        checkpoint = appender.append(seq=seq, hash=head_hash)
        _append(
            AuditEvent(
                at=datetime.now(UTC),
                actor=SYSTEM.name,
                actor_role=SYSTEM.role,
                action=str(AuditAction.AUDIT_CHECKPOINT),
                subject_type=CHECKPOINT_SUBJECT,
                subject_id=str(checkpoint.n),
                subject_label=f"checkpoint {checkpoint.n}",
                result=str(Result.OK),
                detail={"checkpoint": checkpoint.n, "seq": seq, "mac": checkpoint.mac},
            )
        )
    return checkpoint


def _checkpoint_refusal(last: Checkpoint | None, seq: int) -> None:
    after = last.n + 1 if last else 1
    if _records(after).exists():
        raise CheckpointError(
            f"the trail recorded checkpoint {after}, which the checkpoint file does not hold; "
            "run `govdesk audit verify`"
        )
    if last is None:
        return
    seen = AuditEvent.objects.filter(seq=last.seq).values_list("hash", flat=True).first()
    if seq < last.seq or seen != last.hash:
        raise CheckpointError(
            f"checkpoint {last.n} saw sequence {last.seq}, which the trail no longer holds as it "
            "was; run `govdesk audit verify`"
        )


def _records(n: int) -> QuerySet[AuditEvent]:
    """The row that recorded checkpoint ``n`` (found by the subject index)."""
    return AuditEvent.objects.filter(
        subject_type=CHECKPOINT_SUBJECT,
        subject_id=str(n),
        action=AuditAction.AUDIT_CHECKPOINT,
    )


def _is_record_of(seq: int, checkpoint: Checkpoint) -> bool:
    """Whether row ``seq`` is the row that recorded ``checkpoint``."""
    return _records(checkpoint.n).filter(seq=seq).exists()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    anchor: str = ""  # what the checkpoints vouch for, when the trail is intact


def audit_verify(*, batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in sequence order and hold it against the checkpoint file; name the
    first row (or checkpoint) that does not fit."""
    log = checkpoint_log_read()  # before the walk: every checkpoint in it saw rows that exist
    anchors: dict[int, list[Checkpoint]] = {}
    for checkpoint in log.checkpoints:
        anchors.setdefault(checkpoint.seq, []).append(checkpoint)
    records: list[AuditEvent] = []  # the rows that recorded a checkpoint
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
        for checkpoint in anchors.get(event.seq, ()):
            if not hmac.compare_digest(event.hash, checkpoint.hash):
                return VerifyResult(
                    False,
                    rows,
                    event.seq,
                    event.pk,
                    f"row id {event.pk} (sequence {event.seq}) is not the row checkpoint "
                    f"{checkpoint.n} saw at {checkpoint.when}: the trail up to it was rewritten",
                )
        if event.action == AuditAction.AUDIT_CHECKPOINT:
            records.append(event)
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
    return _verify_anchors(log, records, rows, last_seq)


def _verify_anchors(
    log: CheckpointLog, records: list[AuditEvent], rows: int, last_seq: int
) -> VerifyResult:
    """The intact chain against the checkpoint file: the file itself, a cut tail (the trail
    ends before the latest checkpoint), and the checkpoints the trail recorded."""
    if log.problem:
        return VerifyResult(False, rows, None, None, log.problem)
    latest = log.latest
    if latest is not None and latest.seq > last_seq:
        return VerifyResult(
            False,
            rows,
            last_seq + 1,
            None,
            f"rows {last_seq + 1}..{latest.seq} at the end were deleted "
            f"(the last checkpoint at {latest.when} saw sequence {latest.seq})",
        )
    missing = _records_missing(log, records)
    if missing:
        # A checkpoint may have been written since the file was read: read it again.
        log = checkpoint_log_read(log.path)
        missing = _records_missing(log, records)
    if missing:
        return VerifyResult(False, rows, None, None, missing)
    if latest is None:
        anchor = (
            "no anchor: no checkpoint written yet, so a cut tail would go unnoticed "
            "(`govdesk audit checkpoint` writes one)"
        )
    else:
        since = last_seq - latest.seq
        anchor = (
            f"anchored by {len(log.checkpoints)} checkpoint(s) in {log.path}; the last, at "
            f"{latest.when}, saw sequence {latest.seq} ({since} row(s) since)"
        )
    return VerifyResult(True, rows, anchor=anchor)


def _records_missing(log: CheckpointLog, records: list[AuditEvent]) -> str:
    """The checkpoints the trail recorded that the file does not hold, or not as recorded."""
    in_file = log.by_number()
    lost = [r for r in records if int(r.detail.get("checkpoint", 0)) not in in_file]
    if lost:
        number, seq = int(lost[-1].detail["checkpoint"]), lost[-1].seq
        where = f"the trail recorded checkpoint {number} at sequence {seq}"
        if not log.exists:
            return f"checkpoint file {log.path} is missing, but {where}"
        held = max(in_file, default=0)
        return (
            f"checkpoint file {log.path}: checkpoint(s) {held + 1}..{number} were deleted at "
            f"its end ({where})"
        )
    for record in records:
        checkpoint = in_file[int(record.detail["checkpoint"])]
        if not hmac.compare_digest(checkpoint.mac, str(record.detail.get("mac", ""))):
            return (
                f"checkpoint file {log.path}: checkpoint {checkpoint.n} is not the one the "
                f"trail recorded at sequence {record.seq}"
            )
    return ""
