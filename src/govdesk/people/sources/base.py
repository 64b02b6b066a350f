"""The registry source interface: what every source answers, the data elements it knows, the
error it raises when it cannot answer, and the factory that picks the configured source.

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
from django.utils.translation import gettext as _

from govdesk.common.adapters import adapter_class, adapter_problems
from govdesk.common.errors import ErrorCode, Unavailable
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
    one call; a subject or element the source does not know is simply absent. A source that
    cannot answer at all (unreachable, too slow, a broken answer) raises
    :class:`RegistryUnavailable`."""

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup: ...

    def check_config(self) -> list[str]:
        """What is wrong with this source's configuration (empty when nothing is); quick, with
        no network or database access. ``govdesk check`` reports it."""
        ...


class RegistryUnavailable(Unavailable):
    """The registry cannot answer right now (unreachable, too slow, or an answer that is not
    the protocol's); trying again later may work. The message names no internal address."""

    code = ErrorCode.REGISTRY_UNAVAILABLE

    def __init__(self, message: str = "", **extra: Any) -> None:
        super().__init__(
            message
            or _(
                "The registry cannot be reached right now, so this information cannot be "
                "read. Please try again in a few minutes."
            ),
            **extra,
        )


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
# 低保, as the civil affairs registry holds it: ``dibao.status`` is a ``DibaoStatus`` value and
# is answered for every person the registry knows (``none`` without a record); ``dibao.since``
# and ``dibao.until`` (ISO dates) only when there is a record.
DIBAO_ELEMENTS = {"dibao.status", "dibao.since", "dibao.until"}
# Disability, as the disabled persons' federation holds it: category and grade are
# ``DisabilityCategory`` / ``DisabilityGrade`` values, answered for every person (``none``
# without a record); the certificate number only with a record.
DISABILITY_ELEMENTS = {"disability.category", "disability.grade", "disability.certificate_number"}
# Other values registries hold (``RegistryFact`` rows in the embedded registry).
FACT_ELEMENTS = {
    "insurance.pension_status",
    "insurance.medical_status",
    "veteran.status",
    "low_income.status",
    "income.household_monthly",
    "death.date",
}
LICENCE_PREFIX = "licence."
KNOWN_LICENCES = {f"{LICENCE_PREFIX}{value}" for value in LicenceType.values}
#: Every data element a registry source answers: what rules on registry facts (the catalogue's
#: offers) may test. Elements computed from these (``person.age`` …) belong to the forms app.
REGISTRY_ELEMENTS = frozenset(
    {
        *PERSON_FIELDS,
        *HOUSEHOLD_ELEMENTS,
        *EMPLOYMENT_ELEMENTS,
        *BANK_ELEMENTS,
        *DIBAO_ELEMENTS,
        *DISABILITY_ELEMENTS,
        *FACT_ELEMENTS,
        *KNOWN_LICENCES,
    }
)

#: What ``GOVDESK_REGISTRY`` may say, for messages.
EXPECTED = "'local', an http(s):// URL or the dotted path of a registry source class"
#: The settings the factory reads: a change of any (tests) forgets the source it made.
SETTINGS = frozenset(
    {"REGISTRY_SOURCE", "REGISTRY_TOKEN", "REGISTRY_CONNECT_TIMEOUT", "REGISTRY_READ_TIMEOUT"}
)


def _local() -> RegistrySource:
    from govdesk.people.sources.local import LocalRegistry

    return LocalRegistry()


def source_for(setting: str) -> RegistrySource:
    """A new source as ``setting`` (the value of ``GOVDESK_REGISTRY``) names it: ``local``, the
    base URL of an HTTP registry, or the dotted path of a class taking no arguments. Raises
    ``ImportError`` if it names none."""
    if setting.startswith(("http://", "https://")):
        from govdesk.people.sources.http import HttpRegistry

        return HttpRegistry(setting, settings.REGISTRY_TOKEN)
    source: RegistrySource = adapter_class(setting, {"local": _local})()
    return source


@lru_cache(maxsize=1)
def registry() -> RegistrySource:
    """The configured registry source (``GOVDESK_REGISTRY`` in settings), made once."""
    return source_for(settings.REGISTRY_SOURCE)


def check_config() -> list[str]:
    """What is wrong with the configured registry source: a ``GOVDESK_REGISTRY`` that names
    no source, or the problems the source's own ``check_config()`` finds."""
    setting: str = settings.REGISTRY_SOURCE
    return adapter_problems("GOVDESK_REGISTRY", setting, EXPECTED, lambda: source_for(setting))


def forget_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver: a test that overrides the registry settings gets a source
    made from them."""
    if setting in SETTINGS:
        registry.cache_clear()
