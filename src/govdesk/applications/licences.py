"""The e-licences that follow an approval, keyed on data: a matter whose form declares
``produces: <licence type>`` (``forms/data/forms.yaml``) issues that licence when an application
of it is approved, through the issuer the people app keeps for that type
(``people.licences.ISSUERS``).

The outcome is named after the licence type (``employment_card``) and answers
``{"licence": type, "number": …}``. This module is the only place that knows both an
application and the e-licence library; ``people`` stays below ``applications`` and never
imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govdesk.applications import outcomes
from govdesk.applications.models import Application
from govdesk.forms.models import FormDefinition
from govdesk.people.licences import ISSUERS, LicenceGrant, LicenceIssuer


@dataclass(frozen=True)
class LicenceOutcome:
    licence_type: str
    issue: LicenceIssuer

    def applies(self, application: Application) -> bool:
        return FormDefinition.objects.filter(
            matter_id=application.matter_id, produces=self.licence_type
        ).exists()

    def __call__(self, application: Application) -> dict[str, Any]:
        licence = self.issue(
            LicenceGrant(
                person=application.applicant,
                issuer=application.matter.department.name,
                region=application.region,
                reference=application.number,
                serial=application.number[2:],  # GD20261208… without "GD"
            )
        )
        return {"licence": self.licence_type, "number": licence.number}


#: One outcome per licence the people app can issue, made once (so registering again is a no-op).
OUTCOMES = tuple(LicenceOutcome(kind, issue) for kind, issue in ISSUERS.items())


def register_all() -> None:
    for outcome in OUTCOMES:
        outcomes.register(outcome.licence_type, outcome.applies, outcome)
