"""Whoever is calling: a member of staff or a resident acting for themselves.

Domain services take a ``Principal`` and decide access themselves; interface layers (API,
workbench, portal) only build it from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from govdesk.common.actor import Actor
from govdesk.common.idnumbers import mask, person_ref
from govdesk.common.roles import RESIDENT, SYSTEM, SYSTEM_NAME

if TYPE_CHECKING:
    from govdesk.accounts.models import User
    from govdesk.organisations.models import Region
    from govdesk.people.models import Person


@dataclass(frozen=True)
class Principal:
    """``system`` is the platform acting by itself (completing an application whose outcome
    happened); it is never built from a request."""

    kind: Literal["staff", "resident", "system"]
    user: User | None = None
    person: Person | None = None
    ip: str = ""

    @property
    def role(self) -> str:
        if self.kind == "resident":
            return RESIDENT
        if self.kind == "system":
            return SYSTEM
        return self.user.role if self.user is not None else ""

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.username
        if self.person is not None:
            return f"resident:{mask(self.person.id_number)}"
        if self.kind == "system":
            return SYSTEM_NAME
        return "anonymous"

    @property
    def key(self) -> str:
        """A stable identity, unique to this member of staff or resident (masked numbers are
        not: many residents share one). Scopes idempotency keys and names residents in the
        audit trail by a keyed reference that only the audit key can link to a number."""
        if self.user is not None:
            return f"staff:{self.user.pk}"
        if self.person is not None:
            return f"resident:{person_ref(self.person.id_number)}"
        if self.kind == "system":
            return SYSTEM_NAME
        return "anonymous"

    @property
    def jurisdiction(self) -> Region | None:
        return self.user.jurisdiction if self.user is not None else None

    def actor(self) -> Actor:
        """Staff by username; a resident by their keyed reference (distinct per person)."""
        name = self.name if self.user is not None else self.key
        return Actor(name=name, role=self.role, ip=self.ip)

    def covers(self, region: Region | None) -> bool:
        """True if ``region`` lies inside this member of staff's jurisdiction."""
        home = self.jurisdiction
        return home is not None and region is not None and home.contains(region)
