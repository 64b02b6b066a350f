"""The registry source interface: what every source answers, the data elements it knows and
the factory that picks the configured source.

A subject is a resident ID number. A value comes back with the source that holds it and the
time that source last changed it, so every screen can say where a value came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from govdesk.people.models import LicenceType


@dataclass(frozen=True)
class SourcedValue:
    value: Any
    source: str
    as_of: datetime

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "as_of": self.as_of.isoformat()}


Lookup = dict[str, dict[str, SourcedValue]]


class RegistrySource(Protocol):
    """A source of facts about people. ``lookup`` answers for all subjects and all elements in
    one call; a subject or element the source does not know is simply absent."""

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup: ...


PERSON_FIELDS = {
    "person.name": "name",
    "person.former_name": "former_name",
    "person.sex": "sex",
    "person.birth_date": "birth_date",
    "person.id_number": "id_number",
    "person.ethnicity": "ethnicity",
    "person.phone": "phone",
    "person.hukou_type": "hukou_type",
    "person.education": "education",
    "person.marital_status": "marital_status",
    "person.occupation": "occupation",
}
# The employment status of every living member of the subject's household, {id_number: status}:
# what "zero-employment household" is derived from, served in the same pass as the members.
MEMBERS_EMPLOYMENT = "household.members_employment"
HOUSEHOLD_ELEMENTS = {
    "household.number",
    "household.address",
    "household.region",
    "household.region_code",
    "household.relation",
    "household.size",
    "household.head",
    "household.members",
    MEMBERS_EMPLOYMENT,
}
EMPLOYMENT_ELEMENTS = {
    "employment.records",
    "employment.status",
    "employment.last_employer",
    "employment.start_date",
    "employment.end_date",
    "employment.end_reason",
    "employment.unemployed_since",
}
BANK_ELEMENTS = {"bank.account", "bank.name"}
LICENCE_PREFIX = "licence."
KNOWN_LICENCES = {f"{LICENCE_PREFIX}{value}" for value in LicenceType.values}


@lru_cache(maxsize=1)
def registry() -> RegistrySource:
    """The configured registry source (``GOVDESK_REGISTRY`` in settings)."""
    path: str = settings.REGISTRY_SOURCE
    if path == "local":
        from govdesk.people.sources.local import LocalRegistry

        return LocalRegistry()
    if path.startswith(("http://", "https://")):
        from govdesk.people.sources.http import HttpRegistry

        return HttpRegistry(path, settings.REGISTRY_TOKEN)
    source: RegistrySource = import_string(path)()
    return source
