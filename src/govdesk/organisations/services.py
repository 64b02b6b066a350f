"""State changes for regions, departments and service points."""

from __future__ import annotations

from django.db import transaction

from govdesk.organisations.models import PATH_SEPARATOR, Department, Region, ServicePoint


@transaction.atomic
def region_upsert(*, code: str, name: str, level: str, parent: Region | None) -> Region:
    path = f"{parent.path}{PATH_SEPARATOR}{code}" if parent else code
    region, _ = Region.objects.update_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "path": path}
    )
    return region


@transaction.atomic
def department_upsert(
    *, code: str, name: str, short_name: str, region: Region | None = None
) -> Department:
    department, _ = Department.objects.update_or_create(
        code=code, defaults={"name": name, "short_name": short_name, "region": region}
    )
    return department


@transaction.atomic
def service_point_upsert(
    *,
    code: str,
    name: str,
    region: Region,
    address: str = "",
    phone: str = "",
    opening_hours: str = "",
) -> ServicePoint:
    point, _ = ServicePoint.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "region": region,
            "address": address,
            "phone": phone,
            "opening_hours": opening_hours,
        },
    )
    return point
