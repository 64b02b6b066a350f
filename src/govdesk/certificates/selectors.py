"""Reads of certificates: public verification, lists, the PDF. Access is checked here for every
object: the holder, or staff (clerk, reviewer, approver) whose jurisdiction covers the issuer
and, where they belong to a department, of the department whose matter the certificate was
issued for (the rule of ``applications.policies.in_department``). Every staff read is written
to the audit trail; a denied read answers "not found"."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.errors import NotFound
from govdesk.applications.policies import STAFF_READERS, in_department
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import Result
from govdesk.audit.services import audit_list_read, audit_record, person_subject
from govdesk.certificates import pki
from govdesk.certificates.models import Certificate
from govdesk.certificates.rendering import pdf_url, verify_url
from govdesk.common.idnumbers import mask
from govdesk.common.principal import Principal
from govdesk.people.models import RELATION_ZH, Relation

REVOKERS = STAFF_READERS


def mask_name(name: str) -> str:
    """王建国 → 王**; the public sees the family name only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


#: What ``may_read`` and ``may_revoke`` look at, for ``select_related``.
ACCESS_RELATED = ("issuer", "application__matter")


def _in_reach(principal: Principal, certificate: Certificate) -> bool:
    """The issuer lies in this member of staff's jurisdiction, and the certificate was issued
    for a matter of their department if they belong to one (a bureau's reviewers and
    approvers deal only with its matters, their certificates included)."""
    return principal.covers(certificate.issuer) and in_department(
        principal, certificate.application
    )


def may_read(principal: Principal, certificate: Certificate) -> bool:
    if principal.kind == "resident":
        return principal.person is not None and principal.person.pk == certificate.holder_id
    return principal.role in STAFF_READERS and _in_reach(principal, certificate)


def may_revoke(principal: Principal, certificate: Certificate) -> bool:
    return (
        principal.kind == "staff"
        and principal.role in REVOKERS
        and _in_reach(principal, certificate)
    )


def _audit(
    principal: Principal, action: AuditAction, certificate: Certificate, result: str
) -> None:
    audit_record(
        actor=principal.actor(),
        action=action,
        result=result,
        subject=person_subject(certificate.holder.id_number),
        detail={"number": certificate.number},
    )


def get_certificate(
    *,
    principal: Principal,
    number: str,
    action: AuditAction = AuditAction.CERTIFICATE_READ,
    with_pdf: bool = False,
) -> Certificate:
    """One certificate this principal may see; staff reads (and every denial) are audited."""
    query = Certificate.objects.select_related("type", "holder", *ACCESS_RELATED)
    if not with_pdf:
        query = query.defer("pdf")
    certificate = query.filter(number=number).first()
    if certificate is None:
        raise NotFound(_("No such certificate."))
    if not may_read(principal, certificate):
        _audit(principal, action, certificate, Result.DENIED)
        raise NotFound(_("No such certificate."))
    if principal.kind == "staff":
        _audit(principal, action, certificate, Result.OK)
    return certificate


def certificate_pdf(*, principal: Principal, number: str) -> tuple[Certificate, bytes]:
    certificate = get_certificate(
        principal=principal, number=number, action=AuditAction.CERTIFICATE_PDF, with_pdf=True
    )
    return certificate, bytes(certificate.pdf)


def certificates_for(*, principal: Principal, status: str | None = None) -> QuerySet[Certificate]:
    """A resident's own certificates; staff: those issued within their jurisdiction (and for
    their department's matters, where they belong to one: ``may_read`` as a query)."""
    query = (
        Certificate.objects.defer("pdf")
        .select_related("type", "holder", "issuer", "application")
        .order_by("-issued_at", "-id")
    )
    if principal.kind == "resident":
        if principal.person is None:
            return query.none()
        query = query.filter(holder=principal.person)
    else:
        home = principal.jurisdiction
        if home is None or principal.role not in STAFF_READERS:
            return query.none()
        query = query.filter(home.subtree_q("issuer"))
        user = principal.user
        if user is not None and user.department_id is not None:
            query = query.filter(application__matter__department_id=user.department_id)
    today = timezone.localdate()
    if status == "revoked":
        query = query.filter(status="revoked")
    elif status == "expired":
        query = query.filter(status="valid", valid_until__lt=today)
    elif status == "valid":
        query = query.filter(status="valid", valid_until__gte=today)
    return query


def list_audit(*, principal: Principal, certificates: list[Certificate]) -> None:
    """One audit row for a page of a staff member's list of certificates, naming whose."""
    if principal.kind == "staff":
        audit_list_read(
            actor=principal.actor(),
            action=AuditAction.CERTIFICATE_LIST,
            id_numbers=[c.holder.id_number for c in certificates],
        )


def certificate_json(certificate: Certificate, *, principal: Principal) -> dict[str, Any]:
    holder = certificate.holder
    return {
        "number": certificate.number,
        "type": certificate.type.code,
        "type_name": certificate.type.name,
        "status": certificate.status_on(timezone.localdate()),
        "issued_at": timezone.localtime(certificate.issued_at).isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "issuer": certificate.issuer_name,
        "holder": {"name": holder.name, "id_number": mask(holder.id_number)},
        "application": str(certificate.application_id),
        "verify_url": verify_url(certificate.token),
        "pdf_url": pdf_url(certificate.number),
        "revoked_at": (
            timezone.localtime(certificate.revoked_at).isoformat()
            if certificate.revoked_at
            else None
        ),
        "revoke_reason": certificate.revoke_reason if principal.kind == "staff" else None,
    }


def verification(*, token: str) -> dict[str, Any] | None:
    """What anyone may learn from a verification code: the status and what the certificate
    is, the holder's name masked. None for an unknown code."""
    if not token or len(token) > 64:
        return None
    certificate = (
        Certificate.objects.defer("pdf")
        .select_related("type", "holder")
        .filter(token=token)
        .first()
    )
    if certificate is None:
        return None
    return {
        "status": certificate.status_on(timezone.localdate()),
        "type": certificate.type.name,
        "number": certificate.number,
        "issued_at": timezone.localtime(certificate.issued_at).isoformat(),
        "issuer": certificate.issuer_name,
        "holder": mask_name(certificate.holder.name),
        "valid_until": certificate.valid_until.isoformat(),
        "revoked_at": (
            timezone.localtime(certificate.revoked_at).isoformat()
            if certificate.revoked_at
            else None
        ),
        **_public_statement(certificate.data or {}),
    }


#: A relation as the certificate prints it (户主) → its code (head).
_RELATION_CODES = {str(zh): str(code) for code, zh in RELATION_ZH.items()}


def _public_statement(data: dict[str, Any]) -> dict[str, Any]:
    """What a certificate states that anyone holding a copy may compare with the record: for a
    household, its size and members, each name masked to the family name, the relation in the
    reader's language and the ID number masked (as printed). Addresses and full names stay out."""
    rows = data.get("members")
    if not isinstance(rows, list):
        return {}
    members = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        relation = str(row.get("relation", ""))
        code = _RELATION_CODES.get(relation)
        members.append(
            {
                "name": mask_name(str(row.get("name", ""))),
                "relation": str(Relation(code).label) if code else relation,
                "id_number": mask(str(row.get("id_number_masked", ""))),
            }
        )
    count = data.get("count")
    return {"count": count if isinstance(count, int) else len(members), "members": members}


@dataclass(frozen=True)
class UploadCheck:
    """An uploaded PDF checked against the record behind a verification code."""

    signature: pki.SignatureCheck
    matches_record: bool
    same_signer: bool

    @property
    def genuine(self) -> bool:
        return self.signature.valid and self.matches_record


def check_upload(*, token: str, data: bytes) -> UploadCheck | None:
    certificate = Certificate.objects.only("pdf_sha256", "signer_fingerprint").filter(token=token)
    record = certificate.first()
    if record is None:
        return None
    signature = pki.check_signature(data)
    return UploadCheck(
        signature=signature,
        matches_record=hashlib.sha256(data).hexdigest() == record.pdf_sha256,
        same_signer=bool(signature.signer_fingerprint)
        and signature.signer_fingerprint == record.signer_fingerprint,
    )
