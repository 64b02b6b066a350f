"""“Check the system first”: each required material is resolved to an e-licence the library
holds, to registry data, or to the application form the platform generates; only what is
left may be requested from the resident, who may upload it (or bring it to the window).

The resolution starts from the material's ``need`` (``catalog.models.MaterialNeed``), which is
what the guide tells anyone: a material the guide calls generated is generated; one it says is
needed only if the system does not hold it is looked up first; one it says the resident
provides is asked of the resident. ``STATUSES_BY_NEED`` states the agreement, and a test holds
both pages to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from govdesk.catalog.models import MaterialNeed, MaterialRequirement
from govdesk.forms.derivations import inputs_closure
from govdesk.forms.prefill import prefill
from govdesk.forms.schema import FieldSpec
from govdesk.people.models import LicenceType, Source

#: Statuses of a material the applicant's side provides (and may upload while editable).
FROM_APPLICANT = frozenset({"required", "provided", "uploaded"})
#: What a material's status may be, for one applicant, given what the guide says of it.
STATUSES_BY_NEED: dict[str, frozenset[str]] = {
    MaterialNeed.GENERATED: frozenset({"registry"}),
    MaterialNeed.UNLESS_HELD: FROM_APPLICANT | {"licence", "registry"},
    MaterialNeed.RESIDENT: FROM_APPLICANT,
}


@dataclass(frozen=True)
class UploadRef:
    """The file uploaded for a material (never its content)."""

    id: UUID
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_by_role: str
    uploaded_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "uploaded_at": self.uploaded_at.isoformat(),
        }


@dataclass(frozen=True)
class MaterialStatus:
    name: str
    status: str  # licence | registry | required | provided | uploaded
    evidence: str
    required: bool
    licence_type: str = ""
    need: str = MaterialNeed.RESIDENT
    template: str = ""  # the form definition printed for the resident to complete and sign
    upload: UploadRef | None = field(default=None)

    @property
    def from_applicant(self) -> bool:
        """The applicant's side provides it (bring or upload): the system holds nothing."""
        return self.status in FROM_APPLICANT

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "evidence": self.evidence,
            "required": self.required,
            "licence_type": self.licence_type,
            "need": str(self.need),
            "template": self.template,
            "upload": self.upload.as_json() if self.upload is not None else None,
        }


@dataclass(frozen=True)
class Held:
    """A fact the system holds for the applicant that a material may rest on: an e-licence
    (``value`` as the library holds it) or a data element (read, captured or computed).
    Frozen with the application when it is submitted (``Application.held``)."""

    value: Any
    source: str  # licence | registry | captured | typed | derived
    origin: str = ""  # the registry it was read from
    inputs: tuple[str, ...] = ()  # what a derived value is computed from

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "source": self.source,
            "origin": self.origin,
            "inputs": list(self.inputs),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Held:
        return cls(
            data.get("value"),
            str(data.get("source") or ""),
            str(data.get("origin") or ""),
            tuple(data.get("inputs") or ()),
        )


def material_keys(requirements: Sequence[MaterialRequirement]) -> set[str]:
    """Every fact the materials may rest on: their e-licences, their data elements and what
    derived ones are computed from (one look-up with the form's fields answers them all)."""
    keys = {f"licence.{r.licence_type}" for r in requirements if r.licence_type}
    return keys | inputs_closure({key for r in requirements for key in r.elements})


def material_specs(requirements: Sequence[MaterialRequirement]) -> list[FieldSpec]:
    return [
        FieldSpec(key=key, label=key, type="string") for key in sorted(material_keys(requirements))
    ]


def held_from(resolved: Mapping[str, Any], keys: set[str]) -> dict[str, Held]:
    """The facts among ``resolved`` (prefill results) that the materials may rest on."""
    held: dict[str, Held] = {}
    for key in keys:
        item = resolved.get(key)
        if item is None:
            continue
        if key.startswith("licence."):
            if isinstance(item.raw, dict):
                held[key] = Held(item.raw, str(item.source or ""), item.origin)
        elif item.value not in (None, "", []) and item.source != "default":
            held[key] = Held(item.value, str(item.source or ""), item.origin, tuple(item.inputs))
    return held


def held_facts(*, id_number: str, requirements: Sequence[MaterialRequirement]) -> dict[str, Held]:
    """What the system holds now for these materials (one look-up)."""
    keys = material_keys(requirements)
    if not keys:
        return {}
    return held_from(prefill(id_number=id_number, specs=material_specs(requirements)), keys)


def resolve_materials(
    *,
    requirements: Sequence[MaterialRequirement],
    held: Mapping[str, Held],
    provided: Sequence[str],
    produced_earlier: dict[str, str],
    uploads: Mapping[str, UploadRef] | None = None,
) -> tuple[list[MaterialStatus], list[MaterialStatus]]:
    """(materials, optional_materials). ``held`` is what the system holds (``held_facts``, or
    as frozen at submission); ``produced_earlier`` maps an e-licence type to the earlier bundle
    step that will issue it; ``uploads`` maps a material's name to the file uploaded for it."""
    needed: list[MaterialStatus] = []
    optional: list[MaterialStatus] = []
    for r in requirements:
        status = _resolve(r, held, provided, produced_earlier, uploads or {})
        if r.required or status.status != "required":
            needed.append(status)
        else:
            optional.append(status)
    return needed, optional


def _resolve(
    r: MaterialRequirement,
    found: Mapping[str, Held],
    provided: Sequence[str],
    produced_earlier: dict[str, str],
    uploads: Mapping[str, UploadRef],
) -> MaterialStatus:
    need = r.need
    if need == MaterialNeed.GENERATED:
        return MaterialStatus(
            r.name,
            "registry",
            _("Generated by the platform from the data it holds; print and sign."),
            r.required,
            need=need,
        )
    if need == MaterialNeed.UNLESS_HELD:
        held = _held(r, found, produced_earlier)
        if held is not None:
            return held
    upload = uploads.get(r.name)
    if r.name in provided:
        status, evidence = "provided", _("Checked at the window")
    elif upload is not None:
        status = "uploaded"
        evidence = _("Uploaded on %(date)s: %(kind)s, %(size)s") % {
            "date": f"{timezone.localtime(upload.uploaded_at):%Y-%m-%d}",
            "kind": FILE_KIND_NAMES.get(upload.content_type, upload.content_type),
            "size": file_size(upload.size),
        }
    elif need == MaterialNeed.UNLESS_HELD:
        status = "required"
        evidence = r.note or _("The system does not hold it for you: bring it or upload it.")
    else:
        status = "required"
        evidence = r.note or _("Not held by any registry: bring it or upload it.")
    return MaterialStatus(
        r.name, status, evidence, r.required, r.licence_type, need, r.template, upload
    )


def _held(
    r: MaterialRequirement, found: Mapping[str, Held], produced_earlier: dict[str, str]
) -> MaterialStatus | None:
    """The material as the system holds it for this person, or None if it does not."""
    if r.licence_type:
        item = found.get(f"licence.{r.licence_type}")
        label = (
            str(LicenceType(r.licence_type).label)
            if r.licence_type in LicenceType.values
            else r.licence_type
        )
        if item is not None:
            until = item.value.get("valid_until") or _("long-term")
            evidence = _(
                "E-licence %(licence)s no. %(number)s, %(issuer)s, valid until %(until)s"
            ) % {
                "licence": label,
                "number": _mask_tail(str(item.value.get("number", ""))),
                "issuer": item.value.get("issuer", ""),
                "until": until,
            }
            return MaterialStatus(
                r.name, "licence", evidence, r.required, r.licence_type, need=r.need
            )
        if r.licence_type in produced_earlier:
            evidence = _("Issued as an e-licence by an earlier step of this bundle: %(step)s") % {
                "step": produced_earlier[r.licence_type]
            }
            return MaterialStatus(
                r.name, "licence", evidence, r.required, r.licence_type, need=r.need
            )
    if r.elements and all(found.get(key) is not None for key in r.elements):
        sources = sorted(set().union(*(_source_names(key, found) for key in r.elements)))
        evidence = _("Read from the registry (%(sources)s)") % {
            "sources": pgettext("list separator", ", ").join(sources)
        }
        return MaterialStatus(r.name, "registry", evidence, r.required, r.licence_type, need=r.need)
    return None


#: What a person calls each kind of file that may be uploaded.
FILE_KIND_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF"}


def file_size(size: int) -> str:
    """``2.4 MB``, ``310 KB``: a size as people read it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


#: Where a value that no registry holds came from, as the evidence names it.
SOURCE_KIND_NAMES: dict[str, Promise] = {
    "captured": gettext_lazy("captured earlier"),
    "typed": gettext_lazy("typed in this application"),
    "derived": gettext_lazy("computed from registry data"),
}


def _source_names(key: str, found: Mapping[str, Held]) -> set[str]:
    """The registries a value was read from, by the names the screen shows; for a computed
    value, those of the values it is computed from."""
    item = found[key]
    source = item.source
    if source == "derived":
        names = set().union(*(_source_names(i, found) for i in item.inputs if i in found))
        return names or {str(SOURCE_KIND_NAMES["derived"])}
    origin = item.origin
    code = str(origin or source) if source in {"registry", "licence"} else source
    if code in Source.values:
        return {str(Source(code).label)}
    return {str(SOURCE_KIND_NAMES.get(code, _("another source")))}


def _mask_tail(number: str) -> str:
    if len(number) <= 4:
        return number
    return "*" * (len(number) - 4) + number[-4:]
