"""The application read as one hand-written query (ADR 7, ADR 14): the application with its
matter, department, applicant, region and bundle, then its timeline and its current uploads.

Every read of an application starts here (the API, the workbench, the portal), so the ORM's
compilation of a six-table join, which costs more CPU than the database's work, is paid once
per process instead of once per request. The instances are the ORM's own (``rawsql.from_row``)
with their relations filled in, as ``select_related`` would leave them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Model

from govdesk.applications.models import Application, ApplicationEvent, BundleRun, MaterialUpload
from govdesk.catalog.models import Bundle, Matter
from govdesk.common import rawsql
from govdesk.organisations.models import Department, Region
from govdesk.people.models import Person

_JOINED: tuple[type[Model], ...] = (
    Application,
    Matter,
    Department,
    Person,
    Region,
    BundleRun,
    Bundle,
)


def _split(row: Sequence[Any]) -> list[Model | None]:
    objects: list[Model | None] = []
    start = 0
    for model in _JOINED:
        end = start + rawsql.width(model)
        objects.append(rawsql.from_row(model, row[start:end]))
        start = end
    return objects


def application_by_id(application_id: UUID) -> Application | None:
    """The application with its matter (and department), applicant, region and bundle run
    (and bundle), or None."""
    sql = (
        f"SELECT {rawsql.columns(Application, 'a')}, {rawsql.columns(Matter, 'm')}, "  # noqa: S608
        f"{rawsql.columns(Department, 'd')}, {rawsql.columns(Person, 'p')}, "
        f"{rawsql.columns(Region, 'r')}, {rawsql.columns(BundleRun, 'br')}, "
        f"{rawsql.columns(Bundle, 'b')} "
        f"FROM {rawsql.table(Application)} a "
        f"JOIN {rawsql.table(Matter)} m ON m.id = a.matter_id "
        f"JOIN {rawsql.table(Department)} d ON d.id = m.department_id "
        f"JOIN {rawsql.table(Person)} p ON p.id = a.applicant_id "
        f"JOIN {rawsql.table(Region)} r ON r.id = a.region_id "
        f"LEFT JOIN {rawsql.table(BundleRun)} br ON br.id = a.bundle_run_id "
        f"LEFT JOIN {rawsql.table(Bundle)} b ON b.id = br.bundle_id "
        "WHERE a.id = %s"
    )
    pk = application_id.hex if connection.vendor == "sqlite" else application_id
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    application, matter, department, applicant, region, run, bundle = _split(row)
    assert isinstance(application, Application) and isinstance(matter, Matter)
    assert isinstance(department, Department) and isinstance(applicant, Person)
    assert isinstance(region, Region)
    matter.department = department
    application.matter = matter
    application.applicant = applicant
    application.region = region
    if isinstance(run, BundleRun):
        if isinstance(bundle, Bundle):
            run.bundle = bundle
        application.bundle_run = run
    return application


def events_of(application: Application) -> list[ApplicationEvent]:
    """The application's timeline, oldest first (the model's order)."""
    sql = (
        f"SELECT {rawsql.columns(ApplicationEvent, 'e')} "  # noqa: S608
        f"FROM {rawsql.table(ApplicationEvent)} e WHERE e.application_id = %s "
        "ORDER BY e.at, e.id"
    )
    return _rows(ApplicationEvent, sql, application)


def current_uploads_of(application: Application) -> list[MaterialUpload]:
    """The files uploaded for the application that no later file replaced."""
    sql = (
        f"SELECT {rawsql.columns(MaterialUpload, 'u')} "  # noqa: S608
        f"FROM {rawsql.table(MaterialUpload)} u "
        "WHERE u.application_id = %s AND u.replaced_at IS NULL"
    )
    return _rows(MaterialUpload, sql, application)


def _rows(model: type[Any], sql: str, application: Application) -> list[Any]:
    pk = application.pk.hex if connection.vendor == "sqlite" else application.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        found = [rawsql.from_row(model, row) for row in cursor.fetchall()]
    return [item for item in found if item is not None]
