"""Who acts, as the audit trail and the timelines name them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    ip: str = ""
