"""Certificate layouts: for a certificate type of the catalogue, the Typst template it is printed
with, the data elements its statement is bound to (read from the registry at issuance), how the
statement is worded from them, and its number format.

The catalogue (``catalog.CertificateType``) says who issues a type (its level), for how long it
is valid and why; the layout here says what it states. A type without a layout is listed and
can be applied for, but is not issued automatically: the outcome says so plainly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from govdesk.certificates.errors import NotIssuable
from govdesk.common.idnumbers import mask
from govdesk.people.models import RELATION_ZH

#: Region code (12 digits), year, sequence: 320205005001-2026-000001.
NUMBER_FORMAT = "{region}-{year}-{seq:06d}"


@dataclass(frozen=True)
class StatementInput:
    holder_name: str
    values: Mapping[str, Any]  # data element → value, as the registry holds it now
    purpose: str


Builder = Callable[[StatementInput], dict[str, Any]]


@dataclass(frozen=True)
class CertificateLayout:
    template: str
    elements: tuple[str, ...]
    build: Builder
    number_format: str = NUMBER_FORMAT

    def number(self, *, region: str, year: int, seq: int) -> str:
        return self.number_format.format(region=region, year=year, seq=seq)


def _missing(elements: list[str]) -> NotIssuable:
    return NotIssuable(
        _("The registry holds no %(elements)s for this person; nothing was issued.")
        % {"elements": ", ".join(elements)},
        code="missing_facts",
        elements=elements,
    )


def resident_population(given: StatementInput) -> dict[str, Any]:
    """常住人口信息证明: every living member of the holder's household, from the population
    registry, with relation to the head and a masked ID number."""
    members = given.values.get("household.members")
    address = given.values.get("household.address")
    missing = [
        k for k, v in (("household.members", members), ("household.address", address)) if not v
    ]
    if missing or not isinstance(members, list):
        raise _missing(missing or ["household.members"])
    rows = [
        {
            "name": str(m["name"]),
            "relation": RELATION_ZH.get(m.get("relation", ""), "其他"),
            "id_number_masked": mask(str(m["id_number"])),
        }
        for m in sorted(members, key=lambda m: m.get("relation") != "head")  # head first
    ]
    head = str(given.values.get("household.head") or given.holder_name)
    return {
        "holder": given.holder_name,
        "address": str(address),
        "members": rows,
        "count": len(rows),
        "purpose": given.purpose,
        "body": f"兹证明{head}户现居住于本社区，经核查人口库登记信息，该户常住人口情况如下：",
    }


LAYOUTS: dict[str, CertificateLayout] = {
    "CERT-RESIDENT-POPULATION": CertificateLayout(
        template="certificate",
        elements=("household.members", "household.address", "household.head"),
        build=resident_population,
    ),
}


def layout_for(code: str) -> CertificateLayout:
    layout = LAYOUTS.get(code)
    if layout is None:
        raise NotIssuable(
            _("No certificate layout is configured for this certificate type; nothing was issued."),
            code="no_layout",
        )
    return layout
