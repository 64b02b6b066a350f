"""Printed documents of an application, generated with Typst from what is known, never blank:
the application form, the templates of materials the applicant completes and signs, and the
acceptance receipt (受理回执)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.errors import NotFound, NotPrintable, PrintingUnavailable, StateConflict
from govdesk.applications.lifecycle import RECEIPT_NOT_YET
from govdesk.applications.materials import resolve_materials
from govdesk.applications.models import Application
from govdesk.applications.selectors import _produced_earlier, current_uploads, resolve
from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_record, person_subject
from govdesk.catalog.models import MaterialRequirement
from govdesk.common.idnumbers import mask, mask_value
from govdesk.common.principal import Principal
from govdesk.forms.prefill import Resolved, prefill
from govdesk.forms.schema import FormSpec, form_for, matter_materials, template_for
from govdesk.people.policies import may_unmask

logger = logging.getLogger(__name__)

SOURCE_LABELS = {
    "population": "人口库",
    "social_security": "社保库",
    "civil_affairs": "民政库",
    "disabled_federation": "残联",
    "medical_insurance": "医保库",
    "licence_library": "电子证照",
}
KIND_LABELS = {
    "licence": "电子证照",
    "captured": "已采集",
    "typed": "本次填写",
    "derived": "推算",
    "default": "默认",
    "produced": "前序环节核发",
}
RELATIONS = {
    "head": "户主",
    "spouse": "配偶",
    "son": "子",
    "daughter": "女",
    "daughter_in_law": "儿媳",
    "son_in_law": "女婿",
    "grandson": "孙子",
    "granddaughter": "孙女",
    "father": "父亲",
    "mother": "母亲",
    "sibling": "兄弟姐妹",
    "other": "其他",
}
#: Why the numbers of a form are printed in full: the applicant signs the paper form.
SIGNATURE_PURPOSE = "print for signature"
#: Values of these types are masked on every printed form but one printed for signature.
MASKED_TYPES = frozenset({"id_number", "phone", "bank_account", "list"})

STATUS_LABELS = {
    "licence": "电子证照已核验",
    "registry": "系统数据已核验",
    "provided": "窗口已核验",
    "required": "需申请人提供",
    "uploaded": "已上传电子件",
}


def display(r: Resolved, *, show_full: bool = True) -> str:
    """The value as printed. Unless ``show_full``, ID, phone and bank account numbers (and
    those of household members) are masked, whatever the element's sensitivity says."""
    value = r.value if show_full or r.type not in MASKED_TYPES else mask_value(r.type, r.value)
    if value in (None, "", []):
        # An e-licence an earlier step of the bundle issues on its approval.
        return f"待第{r.origin}办结后核发" if r.source == "produced" and r.origin else ""
    labels = {str(c[0]): str(c[1]) for c in r.choices}
    if r.type == "choice":
        return labels.get(str(value), str(value))
    if r.type == "multichoice" and isinstance(value, list):
        return "、".join(labels.get(str(v), str(v)) for v in value)
    if r.type == "bool":
        return "是" if value else "否"
    if r.type == "list" and isinstance(value, list):
        return "；".join(
            f"{m.get('name', '')}（{RELATIONS.get(str(m.get('relation')), m.get('relation', ''))}）"
            for m in value
            if isinstance(m, dict)
        )
    return str(value)


def source_label(r: Resolved) -> str:
    if r.source == "registry":
        return SOURCE_LABELS.get(r.origin, "登记库")
    return KIND_LABELS.get(r.source or "", "")


def form_data(application: Application, *, show_full: bool = False) -> dict[str, Any]:
    """What the template prints; numbers masked unless ``show_full`` (print for signature)."""
    form = form_for(application.matter)
    resolution = resolve(application, form, _produced_earlier(application, localise=False))
    fields = resolution.fields
    materials, _ = resolve_materials(
        requirements=matter_materials(application.matter),
        held=resolution.held,
        provided=application.materials_provided,
        produced_earlier=resolution.produced,
        uploads=current_uploads(application),
    )
    checkboxes = {
        spec.label: {
            "options": [str(c[1]) for c in spec.choices],
            "chosen": [
                str(c[1])
                for c in spec.choices
                if fields[spec.key].value is not None and str(c[0]) in list(fields[spec.key].value)
            ],
        }
        for spec in form.fields
        if spec.type == "multichoice"
    }
    return {
        **_heading(application, form),
        "sections": _sections(form, fields, show_full=show_full),
        "checkboxes": checkboxes,
        "materials": [
            {"name": m.name, "status": STATUS_LABELS.get(m.status, m.status)} for m in materials
        ],
        "signature_lines": form.signature_lines,
    }


def _heading(application: Application, form: FormSpec) -> dict[str, Any]:
    return {
        "title": form.title,
        "matter": application.matter.name,
        "number": application.number,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "department": application.matter.department.name,
    }


def _sections(
    form: FormSpec, fields: dict[str, Resolved], *, show_full: bool
) -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "fields": [
                {
                    "label": spec.label,
                    "value": display(fields[spec.key], show_full=show_full),
                    "source": source_label(fields[spec.key]),
                }
                for spec in specs
            ],
        }
        for title, specs in form.sections
    ]


def template_data(
    application: Application, material: MaterialRequirement, form: FormSpec, *, show_full: bool
) -> dict[str, Any]:
    """What a material's template (``form``) prints: what the platform knows of the applicant
    now, in the template's fields (numbers masked unless ``show_full``); the rest is left for
    the applicant to write."""
    fields = prefill(
        id_number=application.applicant.id_number,
        specs=form.fields,
        application_ref=str(application.id),
    )
    return {
        **_heading(application, form),
        "material": material.name,
        "sections": _sections(form, fields, show_full=show_full),
        "declaration": form.declaration,
        "signature_lines": form.signature_lines,
    }


def _render(template: str, data: dict[str, Any], number: str) -> bytes:
    """A document as PDF. A character no font can print stops it with NotPrintable (422, the
    characters named), never a box on paper nor a server error; missing fonts give
    PrintingUnavailable."""
    from govdesk.documents.pdf import FontsMissing, UncoveredCharacters, render

    try:
        return render(template, data)
    except UncoveredCharacters as exc:
        raise NotPrintable(
            _(
                "These characters cannot be printed with the installed fonts: %(characters)s. "
                "The form was not generated."
            )
            % {"characters": exc.listing},
            code="uncovered_characters",
            characters=exc.listing,
        ) from exc
    except FontsMissing as exc:  # the operator's problem: the log says which fonts, where
        logger.error("%s for %s cannot be printed: %s", template, number, exc)
        raise PrintingUnavailable(
            _("Forms cannot be printed on this server right now (fonts missing). Try again later."),
            code="fonts_missing",
        ) from exc


def material_template_pdf(
    *, principal: Principal, application: Application, code: str, for_signature: bool = False
) -> bytes:
    """The template of one of the application's materials (``code``, the catalogue's
    ``template``), filled as far as the platform knows, for the applicant to complete and sign.
    Masked as the application form is (``for_signature`` by a role that may unmask prints the
    numbers in full) and audited the same way, as ``application.template_pdf``."""
    material = application.matter.materials.filter(template=code).first() if code else None
    form = template_for(code) if material is not None else None
    if material is None or form is None:
        raise NotFound(_("This material has no template."))
    show_full = for_signature and may_unmask(principal)
    data = template_data(application, material, form, show_full=show_full)
    pdf = _render(form.template, data, application.number)
    audit_record(
        actor=principal.actor(),
        action=AuditAction.APPLICATION_TEMPLATE_PDF,
        subject=person_subject(application.applicant.id_number),
        purpose=SIGNATURE_PURPOSE if for_signature else "",
        detail={
            "application": str(application.id),
            "material": material.name,
            "unmasked": show_full,
            "asked_unmask": for_signature,
        },
    )
    return pdf


def application_form_pdf(
    *, principal: Principal, application: Application, for_signature: bool = False
) -> bytes:
    """Render the filled form. Staff downloads are audited (the form carries personal data).

    ID, phone and bank account numbers are masked, except on a form printed for the applicant
    to sign (``for_signature``) by a role that may see them in full (``may_unmask``): that
    print is audited as an unmasking, with its purpose. Asked for by anyone else, the form
    comes out masked, and the row says it was asked for.

    A character no font can print stops the form with NotPrintable (422, the characters
    named), never a box on paper nor a server error; missing fonts give PrintingUnavailable."""
    show_full = for_signature and may_unmask(principal)
    data = form_data(application, show_full=show_full)
    pdf = _render(form_for(application.matter).template, data, application.number)
    audit_record(
        actor=principal.actor(),
        action=(
            AuditAction.APPLICATION_FORM_SIGNATURE
            if show_full
            else AuditAction.APPLICATION_FORM_PDF
        ),
        subject=person_subject(application.applicant.id_number),
        purpose=SIGNATURE_PURPOSE if for_signature else "",
        detail={
            "application": str(application.id),
            "unmasked": show_full,
            "asked_unmask": for_signature,
        },
    )
    return pdf


CHANNEL_LABELS = {"window": "窗口办理", "online": "网上申请"}
RECEIPT_NOTES = (
    "请妥善保管本回执，凭申请编号可在 govdesk 网上或窗口查询办理进度。",
    "办理期间如需补正材料，工作人员将一次性告知需补正的内容；补正后重新提交。",
    "预计办结日期按法定时限和工作日计算；办理结果将以短信通知。",
)


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def receipt_data(application: Application) -> dict[str, Any]:
    """What the acceptance receipt prints: the application, the matter, the applicant (ID
    number always masked), the accepting service point, the statutory time limit and the
    expected date, in Chinese as every printed document."""
    matter = application.matter
    accepted = timezone.localtime(application.accepted_at) if application.accepted_at else None
    point = application.service_point
    days = matter.time_limit_days
    return {
        "title": "受理回执",
        "number": application.number,
        "matter": matter.name,
        "department": matter.department.name,
        "applicant": application.applicant.name,
        "id_number": mask(application.applicant.id_number),
        "channel": CHANNEL_LABELS.get(application.channel, application.channel),
        "service_point": point.name if point is not None else "",
        "service_point_address": point.address if point is not None else "",
        "service_point_phone": point.phone if point is not None else "",
        "accepted_at": f"{_chinese_date(accepted.date())} {accepted:%H:%M}" if accepted else "",
        "accepted_date": _chinese_date(accepted.date()) if accepted else "",
        "time_limit": f"{days}个工作日" if days else "即办",
        "deadline": _chinese_date(application.deadline) if application.deadline else "",
        "promised": f"{matter.promised_days}个工作日" if matter.promised_days else "",
        "notes": list(RECEIPT_NOTES),
        "issuer": point.name if point is not None else matter.department.name,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }


def receipt_pdf(*, principal: Principal, application: Application) -> bytes:
    """The acceptance receipt of an accepted application (StateConflict before acceptance, or
    while it is back with the applicant or waiting to be accepted again). A member of staff
    printing it is audited (``application.receipt_pdf``); the applicant downloads their own."""
    if application.accepted_at is None or application.status in RECEIPT_NOT_YET:
        raise StateConflict(
            _(
                "There is no acceptance receipt: the application has not been accepted "
                "(status: %(s)s)."
            )
            % {"s": application.get_status_display()},
            status=application.status,
        )
    pdf = _render("receipt", receipt_data(application), application.number)
    if principal.kind == "staff":
        audit_record(
            actor=principal.actor(),
            action=AuditAction.APPLICATION_RECEIPT_PDF,
            subject=person_subject(application.applicant.id_number),
            detail={"application": str(application.id), "unmasked": False},
        )
    return pdf
