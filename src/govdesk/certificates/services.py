"""Issuing and revoking certificates. Keyword-only, transactional, audited.

Numbers: ``<issuer region code>-<year>-<sequence>``, gap-free per issuer and year. The
sequence row is locked (SELECT … FOR UPDATE) and incremented in the same transaction that
renders, signs and stores the certificate; any failure rolls the increment back with it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.errors import InvalidFields, NotAllowed, NotFound, StateConflict
from govdesk.applications.models import Application, Status
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import Result
from govdesk.audit.services import audit_record, person_subject
from govdesk.audit.transactions import atomic
from govdesk.catalog.models import CertificateType
from govdesk.certificates import pki, selectors
from govdesk.certificates.errors import NotIssuable
from govdesk.certificates.models import Certificate, CertificateSequence, CertificateStatus
from govdesk.certificates.rendering import document_data, render_and_sign, verify_url
from govdesk.certificates.specs import CertificateLayout, StatementInput, layout_for
from govdesk.common.actor import Actor
from govdesk.common.principal import Principal
from govdesk.organisations.models import Region, RegionLevel
from govdesk.people.sources import registry

SYSTEM = Actor(name="govdesk", role="system")
ISSUABLE = (Status.APPROVED, Status.COMPLETED)
#: Organisation suffix by region level: 春雷社区 → 春雷社区居民委员会.
SUFFIX: dict[str, str] = {
    RegionLevel.COMMUNITY: "居民委员会",
    RegionLevel.SUBDISTRICT: "办事处",
    RegionLevel.DISTRICT: "人民政府",
    RegionLevel.CITY: "人民政府",
}
ISSUING_LEVELS = (RegionLevel.COMMUNITY, RegionLevel.SUBDISTRICT)


def _chain(region: Region) -> list[Region]:
    """The region and its ancestors, city first."""
    chain = [region]
    while chain[-1].parent_id is not None:
        parent = chain[-1].parent
        if parent is None:
            break
        chain.append(parent)
    return chain[::-1]


def organisation_name(region: Region) -> str:
    """The issuing organisation's full name: 无锡市锡山区云林街道春雷社区居民委员会."""
    suffix = SUFFIX.get(region.level, "")
    if region.level == RegionLevel.COMMUNITY and region.name.endswith("村"):
        suffix = "村民委员会"
    elif region.level == RegionLevel.SUBDISTRICT and region.name.endswith(("镇", "乡")):
        suffix = "人民政府"
    return "".join(r.name for r in _chain(region)) + suffix


def issuing_organisations() -> list[tuple[str, str]]:
    """(region code, full name) of every organisation that may issue certificates: each
    community and subdistrict."""
    regions = {r.pk: r for r in Region.objects.all()}
    for region in regions.values():  # resolve parents from memory, not one query each
        if region.parent_id is not None:
            region.parent = regions.get(region.parent_id)
    return [
        (r.code, organisation_name(r))
        for r in sorted(regions.values(), key=lambda r: r.path)
        if r.level in ISSUING_LEVELS
    ]


def issuing_region(region: Region, level: str) -> Region:
    """The region at ``level`` that holds ``region`` (the applicant's community)."""
    for candidate in reversed(_chain(region)):
        if candidate.level == level:
            return candidate
    raise NotIssuable(
        _("No organisation at the issuing level covers the applicant's community."),
        code="no_issuer",
    )


def _allocate(issuer: Region, year: int) -> int:
    """The next number of ``issuer`` in ``year``; the row stays locked until commit."""
    sequence = (
        CertificateSequence.objects.select_for_update().filter(issuer=issuer, year=year).first()
    )
    if sequence is None:
        try:
            with transaction.atomic():
                CertificateSequence.objects.create(issuer=issuer, year=year, last=0)
        except IntegrityError:
            pass  # another issuance created it meanwhile
        sequence = CertificateSequence.objects.select_for_update().get(issuer=issuer, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def _purpose(application: Application) -> str:
    frozen = (application.snapshot or {}).get("certificate.purpose") or {}
    value = frozen.get("value") if isinstance(frozen, dict) else None
    return str(value or "")


@dataclass(frozen=True)
class Prepared:
    certificate_type: CertificateType
    layout: CertificateLayout
    issuer: Region
    issuer_name: str
    statement: dict[str, object]


def _prepare(application: Application) -> Prepared:
    """Everything known before a number is taken; fails early and clearly."""
    from govdesk.documents.pdf import FontsMissing, UncoveredCharacters, check_coverage, strings

    if application.status not in ISSUABLE:
        raise NotIssuable(
            _("Only an approved application gets its certificate."), code="not_approved"
        )
    certificate_type = CertificateType.objects.filter(matter_id=application.matter_id).first()
    if certificate_type is None:
        raise NotIssuable(_("This matter issues no certificate."), code="no_certificate_type")
    layout = layout_for(certificate_type.code)
    issuer = issuing_region(application.region, certificate_type.level)
    issuer_name = organisation_name(issuer)
    holder = application.applicant
    values = {
        element: found.value
        for element, found in registry()
        .lookup(subjects=[holder.id_number], elements=layout.elements)
        .get(holder.id_number, {})
        .items()
    }
    statement = layout.build(
        StatementInput(holder_name=holder.name, values=values, purpose=_purpose(application))
    )
    try:
        check_coverage(strings([statement, certificate_type.name, issuer_name]))
    except UncoveredCharacters as exc:
        raise NotIssuable(
            str(exc.message), code="uncovered_characters", characters=exc.listing
        ) from exc
    except FontsMissing as exc:
        raise NotIssuable(str(exc), code="fonts_missing") from exc
    try:
        pki.issuer_key(issuer.code)
    except pki.SigningUnavailable as exc:
        raise NotIssuable(
            _("%(issuer)s has no usable signing key; nothing was issued. (%(why)s)")
            % {"issuer": issuer_name, "why": str(exc)},
            code="no_signing_key",
        ) from exc
    return Prepared(certificate_type, layout, issuer, issuer_name, statement)


@atomic()
def certificate_issue(*, application: Application) -> Certificate:
    """Issue the certificate an approved application asks for: number, statement from the
    registry, PDF rendered and signed, stored. Idempotent: an application that already has its
    certificate gets that one back. Raises NotIssuable (nothing issued, no number used)."""
    try:
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("matter", "applicant", "region")
            .get(pk=application.pk)
        )
    except Application.DoesNotExist as exc:
        raise NotFound(_("No such application.")) from exc
    existing = Certificate.objects.defer("pdf").filter(application=locked).first()
    if existing is not None:
        return existing
    from govdesk.documents.pdf import UncoveredCharacters

    prepared = _prepare(locked)
    issued_at = timezone.localtime()
    today = issued_at.date()
    seq = _allocate(prepared.issuer, today.year)
    number = prepared.layout.number(region=prepared.issuer.code, year=today.year, seq=seq)
    token = secrets.token_urlsafe(24)  # 192 random bits
    valid_until = today + timedelta(days=max(prepared.certificate_type.validity_days, 1) - 1)
    url = verify_url(token)
    data = document_data(
        prepared.statement,
        title=prepared.certificate_type.name,
        number=number,
        issuer_name=prepared.issuer_name,
        issued_at=issued_at,
        valid_until=valid_until,
        url=url,
    )
    try:
        signed = render_and_sign(
            prepared.layout.template,
            data,
            issuer_code=prepared.issuer.code,
            issuer_name=prepared.issuer_name,
            location=prepared.issuer.name,
        )
    except UncoveredCharacters as exc:
        raise NotIssuable(
            str(exc.message), code="uncovered_characters", characters=exc.listing
        ) from exc
    except pki.SigningUnavailable as exc:
        raise NotIssuable(str(exc), code="no_signing_key") from exc
    stated = {k: v for k, v in data.items() if k != "qr_svg"}
    certificate = Certificate.objects.create(
        number=number,
        type=prepared.certificate_type,
        application=locked,
        holder=locked.applicant,
        issuer=prepared.issuer,
        issuer_name=prepared.issuer_name,
        issued_at=issued_at,
        valid_until=valid_until,
        token=token,
        pdf=signed.pdf,
        pdf_sha256=signed.sha256,
        signer_fingerprint=signed.signer_fingerprint,
        data=stated,
    )
    audit_record(
        actor=SYSTEM,
        action=AuditAction.CERTIFICATE_ISSUE,
        subject=person_subject(locked.applicant.id_number),
        detail={
            "number": number,
            "type": prepared.certificate_type.code,
            "application": str(locked.id),
            "issuer": prepared.issuer.code,
            "sha256": signed.sha256,
        },
    )
    return certificate


def issue_failed_record(*, application: Application, error: NotIssuable) -> None:
    """Write a failed issuance to the audit trail (the outcome keeps the message)."""
    audit_record(
        actor=SYSTEM,
        action=AuditAction.CERTIFICATE_ISSUE,
        result=Result.FAILED,
        subject=person_subject(application.applicant.id_number),
        detail={"application": str(application.id), "code": error.code, "error": error.message},
    )


@atomic()
def certificate_revoke(*, principal: Principal, number: str, reason: str) -> Certificate:
    """Revoke a certificate, with the reason; verification says "revoked" from this moment."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidFields(_("Say why."), {"reason": _("A reason is required.")})
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("holder", "type", *selectors.ACCESS_RELATED)
        .defer("pdf")
        .filter(number=number)
        .first()
    )
    if certificate is None:
        raise NotFound(_("No such certificate."))
    if not selectors.may_revoke(principal, certificate):
        audit_record(
            actor=principal.actor(),
            action=AuditAction.CERTIFICATE_REVOKE,
            result=Result.DENIED,
            subject=person_subject(certificate.holder.id_number),
            detail={"number": number},
        )
        if selectors.may_read(principal, certificate):
            raise NotAllowed(_("You may not revoke certificates."))
        raise NotFound(_("No such certificate."))
    if certificate.status == CertificateStatus.REVOKED:
        raise StateConflict(
            _("This certificate was already revoked."), status=CertificateStatus.REVOKED
        )
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = principal.name
    certificate.revoke_reason = reason[:1000]
    certificate.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        actor=principal.actor(),
        action=AuditAction.CERTIFICATE_REVOKE,
        subject=person_subject(certificate.holder.id_number),
        detail={"number": number, "reason": certificate.revoke_reason},
    )
    return certificate


def demo_pki_load() -> pki.PkiReport:
    """The demo CA and a signing key and certificate for every issuing organisation."""
    return pki.demo_pki_setup(issuers=issuing_organisations())
