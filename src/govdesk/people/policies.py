"""Who may read the registry, and who may see ID and phone numbers in full."""

from __future__ import annotations

from govdesk.common.principal import Principal
from govdesk.common.roles import Role

PERSON_READERS = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER})
UNMASKERS = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER})


def may_read_people(principal: Principal) -> bool:
    return principal.kind == "staff" and principal.role in PERSON_READERS


def may_unmask(principal: Principal) -> bool:
    return principal.kind == "staff" and principal.role in UNMASKERS
