"""The registry source adapter: one interface, bulk look-up of many data elements for many
subjects at once. Everything outside this app reads the registry through ``registry()``.

``base`` holds the interface (``RegistrySource``, ``SourcedValue``, ``RegistryUnavailable``),
the data elements the sources know and the factory; ``local`` the embedded registry;
``http`` the adapter for a registry another department serves. docs/extending.md tells how to
add a source.
"""

from govdesk.people.sources.base import (
    BANK_ELEMENTS,
    DIBAO_ELEMENTS,
    DISABILITY_ELEMENTS,
    EMPLOYMENT_ELEMENTS,
    FACT_ELEMENTS,
    HOUSEHOLD_ELEMENTS,
    KNOWN_LICENCES,
    LICENCE_PREFIX,
    MEMBERS_EMPLOYMENT,
    PERSON_FIELDS,
    REGISTRY_ELEMENTS,
    Lookup,
    RegistrySource,
    RegistryUnavailable,
    SourcedValue,
    check_config,
    registry,
)
from govdesk.people.sources.http import HttpRegistry
from govdesk.people.sources.local import LocalRegistry

__all__ = [
    "BANK_ELEMENTS",
    "DIBAO_ELEMENTS",
    "DISABILITY_ELEMENTS",
    "EMPLOYMENT_ELEMENTS",
    "FACT_ELEMENTS",
    "HOUSEHOLD_ELEMENTS",
    "KNOWN_LICENCES",
    "LICENCE_PREFIX",
    "MEMBERS_EMPLOYMENT",
    "PERSON_FIELDS",
    "REGISTRY_ELEMENTS",
    "HttpRegistry",
    "LocalRegistry",
    "Lookup",
    "RegistrySource",
    "RegistryUnavailable",
    "SourcedValue",
    "check_config",
    "registry",
]
