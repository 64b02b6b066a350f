"""The roles × permissions table of docs/security.md, computed from the code.

Each cell asks the code itself: the policy functions (``applications.policies``,
``people.policies``, ``certificates.selectors``), the lifecycle table
(``applications.lifecycle.TRANSITIONS``, through ``policies.transition``), the admin's own
checks, and the Django permissions the demo's groups hold (``demo.loader.ROLE_GRANTS``). The
policies are asked about unsaved objects: a principal of each role, placed as favourably as
the role can be (their jurisdiction is the applicant's area at the matter's level, their
department the matter's); where a cell says ✓, the object-level limits of the legend apply.
``govdesk security-table`` prints it; tests/test_security_doc.py holds the document to it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from govdesk.accounts.models import User
from govdesk.applications import lifecycle, policies
from govdesk.applications.lifecycle import Status, Transition
from govdesk.applications.models import Application
from govdesk.audit.admin import AuditEventAdmin
from govdesk.audit.models import AuditEvent
from govdesk.catalog.models import Level, Matter
from govdesk.certificates import selectors as certificates
from govdesk.certificates.models import Certificate
from govdesk.common.principal import Principal
from govdesk.common.roles import RESIDENT, SECURITY_PERMISSION, SYSTEM, Role
from govdesk.demo.loader import ROLE_GRANTS
from govdesk.organisations.models import PATH_SEPARATOR, Region
from govdesk.people import policies as people
from govdesk.people.models import Person

ROLES: tuple[str, ...] = (RESIDENT, *Role.values, SYSTEM)
YES, NO = "✓", "—"
DEPARTMENT = 1
APPLICANT = 1
#: The chain of areas, city down to the applicant's community.
CHAIN = (Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)


def _region(level: str) -> Region:
    depth = CHAIN.index(level) + 1
    codes = [f"{index}" for index in range(depth)]
    return Region(code="-".join(codes), level=level, path=PATH_SEPARATOR.join(codes))


def _principal(role: str, home: str) -> Principal:
    if role == RESIDENT:
        return Principal(kind="resident", person=Person(pk=APPLICANT))
    if role == SYSTEM:
        return Principal(kind="system")
    user = User(username=role, role=role, jurisdiction=_region(home), department_id=DEPARTMENT)
    return Principal(kind="staff", user=user)


def _application(status: str, level: str) -> Application:
    matter = Matter(code="M", decided_at=level, department_id=DEPARTMENT)
    return Application(
        status=status, matter=matter, region=_region(Level.COMMUNITY), applicant_id=APPLICANT
    )


Check = Callable[[Principal, Application], bool]


def _cell(role: str, check: Check, status: str, levels: frozenset[str] | None = None) -> str:
    """✓ if a principal of ``role`` passes ``check`` for a matter decided at any of
    ``levels``, placed at that level (the most a principal of the role can be)."""
    for level in sorted(levels or {Level.DISTRICT}, key=CHAIN.index):
        if check(_principal(role, level), _application(status, level)):
            return YES
    return NO


def _certificate(check: Callable[[Principal, Certificate], bool]) -> Check:
    def on_certificate(principal: Principal, application: Application) -> bool:
        certificate = Certificate(
            issuer=application.region, application=application, holder_id=APPLICANT
        )
        return check(principal, certificate)

    return on_certificate


def _step(transition: Transition) -> Check:
    def takes(principal: Principal, application: Application) -> bool:
        if principal.kind == "system":  # the platform acting by itself reads nothing first
            rows = lifecycle.transitions(
                status=application.status,
                role=principal.role,
                level=application.matter.decided_at,
                action=transition.action,
            )
            row = rows[0] if rows else None
        else:
            row = policies.transition(principal, application, transition.action)
        return row is not None and row.target == transition.target

    return takes


def _levels(levels: frozenset[str]) -> str:
    if levels == lifecycle.ALL_LEVELS:
        return "any level"
    return " or ".join(str(level) for level in CHAIN if level in levels) + " matters"


def _audit_trail(principal: Principal, application: Application) -> bool:
    request = SimpleNamespace(user=principal.user or SimpleNamespace(role=principal.role))
    return AuditEventAdmin(AuditEvent, None).has_view_permission(request)  # type: ignore[arg-type]


def _grant_row(role: str) -> str:
    grant = ROLE_GRANTS[role]
    parts = []
    if grant.app_labels:
        apps = ", ".join(f"`{label}`" for label in grant.app_labels)
        parts.append(f"every right of the apps {apps}")
    parts.extend(f"`{permission}`" for permission in grant.permissions)
    return f"Admin ({grant.group}): {', '.join(parts)}"


def rows() -> list[tuple[str, list[str]]]:
    """(what, one cell per role of ``ROLES``) for every permission."""
    table: list[tuple[str, list[str]]] = []

    def row(
        what: str, check: Check, status: str = Status.DRAFT, levels: frozenset[str] | None = None
    ) -> None:
        table.append((what, [_cell(role, check, status, levels) for role in ROLES]))

    row("Read an application, its PDFs and uploads", policies.may_read)
    row("Change a draft or returned application, upload materials", policies.may_edit)
    row("Attest materials as checked at the window", policies.may_attest_materials)
    seen: set[tuple[str, str, str, frozenset[str]]] = set()
    for transition in lifecycle.TRANSITIONS:
        key = (transition.action, transition.source, transition.target, transition.levels)
        if key in seen:
            continue
        seen.add(key)
        row(
            f"`{transition.action}`: {transition.source} → {transition.target}"
            f" ({_levels(transition.levels)})",
            _step(transition),
            transition.source,
            transition.levels,
        )
    row("Read a person's registry record", lambda p, a: people.may_read_people(p))
    row("See ID, phone and account numbers in full (unmask)", lambda p, a: people.may_unmask(p))
    row("Read and download a certificate", _certificate(certificates.may_read))
    row("Revoke a certificate", _certificate(certificates.may_revoke))
    row("Admin: read the audit trail (read-only)", _audit_trail)
    for role in ROLE_GRANTS:
        table.append((_grant_row(role), [YES if r == role else NO for r in ROLES]))
    return table


def markdown() -> str:
    """The table, and what a ✓ means, in Markdown."""
    header = ["What", *ROLES]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join([what, *cells]) + " |" for what, cells in rows()),
        "",
        "✓ means: for a resident, their own applications and certificates only; for staff, "
        "inside their jurisdiction (the applicant's area, `Region.contains`) and, for staff "
        "of a department, that department's matters only; an approver decides only matters "
        f"decided at their own level. `{SECURITY_PERMISSION}` is the only right to change "
        "security settings (sensitivity, roles, scopes, groups); a superuser holds every "
        "right. Every refusal is audited.",
    ]
    return "\n".join(lines) + "\n"
