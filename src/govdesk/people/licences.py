"""Issuing e-licences into the library: what each kind of licence records when a decision
grants it.

This app knows nothing of applications. A decision reaches it as a :class:`LicenceGrant` of
plain facts; ``ISSUERS`` says, per licence type, how to issue it. The application lifecycle
(``applications.licences``) calls the issuer of the licence a matter's form declares it
``produces`` once an application of that matter is approved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils import timezone

from govdesk.organisations.models import Region
from govdesk.people.models import Licence, LicenceType, Person
from govdesk.people.services import licence_upsert


@dataclass(frozen=True)
class LicenceGrant:
    """A decision that grants a licence: to whom, by whom, where, and the decision's number."""

    person: Person
    issuer: str  # the deciding department, as the licence names it
    region: Region  # where the decision was made
    reference: str  # the decision's number (the application number)
    serial: str  # unique text a new licence's number is made from (the reference without prefix)


LicenceIssuer = Callable[[LicenceGrant], Licence]


def employment_card_issue(grant: LicenceGrant) -> Licence:
    """失业登记 granted: the person holds a 就业创业证 that records the registration (the card
    they already hold, updated, or a new one numbered after the region and the decision)."""
    held = (
        Licence.objects.filter(person=grant.person, type=LicenceType.EMPLOYMENT_CARD, revoked=False)
        .order_by("-issued_on")
        .first()
    )
    today = timezone.localdate()
    return licence_upsert(
        person=grant.person,
        type=LicenceType.EMPLOYMENT_CARD,
        number=held.number if held else f"{grant.region.code[:6]}{grant.serial}",
        issuer=grant.issuer,
        issued_on=held.issued_on if held else today,
        valid_until=None,
        data={
            **(held.data if held else {}),
            "employment_status": "失业",
            "unemployment_registered_on": today.isoformat(),
            "registered_at": grant.region.name,
            "application": grant.reference,
        },
    )


#: The licences a decision can issue here, by type. A form may declare that its matter
#: ``produces`` only one of these (the forms loader checks).
ISSUERS: Mapping[str, LicenceIssuer] = {
    LicenceType.EMPLOYMENT_CARD.value: employment_card_issue,
}
