"""Checkpoints: the audit chain's head, signed, in an append-only file outside the database.

The chain reveals an altered, deleted or reordered row, but not a cut tail whose chain head was
rewound with it: the rows that are left still form a valid chain. A checkpoint records the head
(sequence and chain hash) at one moment in a JSON-lines file the database cannot reach, signed
with ``GOVDESK_AUDIT_CHECKPOINT_KEY``; ``audit verify`` then requires every checkpointed row to
exist with that hash (ADR 12).

Each line holds ``n`` (1, 2, …), ``seq``, ``hash``, ``at`` (UTC), ``prev`` (the ``mac`` of the
line before it, zeros for the first) and ``mac``, HMAC-SHA256 of the others, so that an altered,
deleted or reordered line is named too. Lines are only ever appended (``O_APPEND``), one writer
at a time (``flock``). This module knows the file; ``services`` decides what to write.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

FIRST_PREV = "0" * 64
SIGNED_FIELDS = ("n", "seq", "hash", "at", "prev")
_TAIL_CHUNK = 4096


class CheckpointError(RuntimeError):
    """No checkpoint can be written: the file's last line is damaged or altered, or the trail
    no longer holds what an earlier checkpoint saw. ``govdesk audit verify`` says more."""


@dataclass(frozen=True)
class Checkpoint:
    n: int
    seq: int
    hash: str
    at: datetime
    prev: str
    mac: str
    line: int = 0  # its line in the file, when read from the file

    @property
    def when(self) -> str:
        return self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def checkpoint_path() -> Path:
    """The checkpoint file of the database this process uses: one file per database, so that
    a folder may serve several (a development SQLite file and a PostgreSQL database, say)."""
    name = Path(str(connection.settings_dict["NAME"])).stem
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "default"
    return Path(settings.AUDIT_CHECKPOINT_DIR) / f"{connection.vendor}-{name}.jsonl"


def _mac(signed: dict[str, Any]) -> str:
    body = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(settings.AUDIT_CHECKPOINT_KEY.encode(), body, hashlib.sha256).hexdigest()


def _parse(raw: bytes, line: int) -> tuple[Checkpoint, bool]:
    """The checkpoint on one line and whether its signature holds; ValueError if the line is
    not a checkpoint at all."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or set(data) != {*SIGNED_FIELDS, "mac"}:
            raise ValueError("not a checkpoint")
        checkpoint = Checkpoint(
            n=int(data["n"]),
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            at=datetime.fromisoformat(str(data["at"])),
            prev=str(data["prev"]),
            mac=str(data["mac"]),
            line=line,
        )
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"line {line} is not a checkpoint (damaged or edited)") from exc
    signed = {name: data[name] for name in SIGNED_FIELDS}
    return checkpoint, hmac.compare_digest(checkpoint.mac, _mac(signed))


@dataclass(frozen=True)
class CheckpointLog:
    """What the checkpoint file holds: every line whose signature holds, and the first line
    that is damaged, altered, out of order or missing (empty when there is none)."""

    path: Path
    exists: bool
    checkpoints: tuple[Checkpoint, ...]
    problem: str = ""

    @property
    def latest(self) -> Checkpoint | None:
        return max(self.checkpoints, key=lambda c: c.seq, default=None)

    def by_number(self) -> dict[int, Checkpoint]:
        return {c.n: c for c in self.checkpoints}


def checkpoint_log_read(path: Path | None = None) -> CheckpointLog:
    """Read and check the whole checkpoint file (a shared lock keeps a writer's line whole)."""
    path = path or checkpoint_path()
    try:
        with path.open("rb") as file:
            fcntl.flock(file, fcntl.LOCK_SH)
            data = file.read()
    except FileNotFoundError:
        return CheckpointLog(path, exists=False, checkpoints=())
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    checkpoints: list[Checkpoint] = []
    problems: list[str] = []
    before: Checkpoint | None = None  # the line before, when it could be read
    for number, raw in enumerate(lines, start=1):
        try:
            checkpoint, authentic = _parse(raw, number)
        except ValueError as exc:
            problems.append(str(exc))
            before = None
            continue
        if not authentic:
            problems.append(f"line {number} (checkpoint {checkpoint.n}) was altered")
        else:
            checkpoints.append(checkpoint)
            problems += _link_problems(before, checkpoint, number)
        before = checkpoint
    if data and not data.endswith(b"\n") and not problems:
        problems.append(f"line {len(lines)} is incomplete")
    problem = f"checkpoint file {path}: {problems[0]}" if problems else ""
    return CheckpointLog(path, exists=True, checkpoints=tuple(checkpoints), problem=problem)


def _link_problems(before: Checkpoint | None, checkpoint: Checkpoint, number: int) -> list[str]:
    """Whether a line follows the one before it (the first line follows nothing)."""
    expected = before.n + 1 if before else 1
    if checkpoint.n > expected:
        after = f"after checkpoint {before.n}" if before else "first"
        return [
            f"checkpoint(s) {expected}..{checkpoint.n - 1} were deleted "
            f"(line {number} holds checkpoint {checkpoint.n} {after})"
        ]
    if checkpoint.n < expected:
        return [f"line {number} (checkpoint {checkpoint.n}) is out of order"]
    if checkpoint.prev != (before.mac if before else FIRST_PREV):
        return [f"line {number} (checkpoint {checkpoint.n}) does not follow the line before it"]
    return []


class CheckpointAppender:
    """The checkpoint file, opened for appending and locked; ``last`` is its last checkpoint."""

    def __init__(self, path: Path, fd: int, last: Checkpoint | None) -> None:
        self.path = path
        self._fd = fd
        self.last = last

    def append(self, *, seq: int, hash: str) -> Checkpoint:
        signed: dict[str, Any] = {
            "n": self.last.n + 1 if self.last else 1,
            "seq": seq,
            "hash": hash,
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "prev": self.last.mac if self.last else FIRST_PREV,
        }
        mac = _mac(signed)
        line = json.dumps({**signed, "mac": mac}, sort_keys=True, separators=(",", ":")) + "\n"
        data = line.encode()
        if os.write(self._fd, data) != len(data):
            raise CheckpointError(f"checkpoint file {self.path}: a line was written only in part")
        os.fsync(self._fd)
        self.last, _ = _parse(data.rstrip(b"\n"), 0)
        return self.last


@contextmanager
def checkpoint_appender(path: Path | None = None) -> Iterator[CheckpointAppender]:
    """Open the checkpoint file for appending (created if need be) and hold its lock; refuse
    if its last line is damaged or altered."""
    path = path or checkpoint_path()
    path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield CheckpointAppender(path, fd, _last_checkpoint(path))
    finally:
        os.close(fd)  # and with it the lock


def _last_checkpoint(path: Path) -> Checkpoint | None:
    with path.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        if size == 0:
            return None
        chunk = _TAIL_CHUNK
        while True:
            start = max(0, size - chunk)
            file.seek(start)
            tail = file.read()
            cut = tail.rstrip(b"\n").rfind(b"\n")
            if cut >= 0 or start == 0:
                break
            chunk *= 4
    refuse = f"checkpoint file {path}: the last line"
    if not tail.endswith(b"\n"):
        raise CheckpointError(f"{refuse} is incomplete; run `govdesk audit verify`")
    try:
        checkpoint, authentic = _parse(tail[cut + 1 :].rstrip(b"\n"), 0)
    except ValueError as exc:
        raise CheckpointError(f"{refuse} is not a checkpoint; run `govdesk audit verify`") from exc
    if not authentic:
        raise CheckpointError(f"{refuse} was altered; run `govdesk audit verify`")
    return checkpoint
