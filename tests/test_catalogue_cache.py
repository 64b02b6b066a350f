"""What a process keeps of the catalogue (``catalog.versioned``): read once, read again when
the data bureau changes it, in this process at once and in others within the check interval."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from govdesk.catalog.models import CatalogueVersion, MaterialRequirement, Matter
from govdesk.forms.models import DataElement
from govdesk.forms.schema import data_elements, form_for, matter_materials

MATTER = "CERT-RESIDENT-POPULATION"


def test_a_form_is_built_once_then_kept(world: Any) -> None:
    matter = Matter.objects.get(code=MATTER)
    form_for(matter)
    matter_materials(matter)
    with CaptureQueriesContext(connection) as ctx:
        again = form_for(matter)
        matter_materials(matter)
    assert len(ctx) == 0
    assert again.fields


def test_a_change_in_this_process_is_seen_at_once(world: Any) -> None:
    matter = Matter.objects.get(code=MATTER)
    before = [m.name for m in matter_materials(matter)]
    MaterialRequirement.objects.create(matter=matter, order=99, name="测试材料", required=False)
    assert [m.name for m in matter_materials(matter)] == [*before, "测试材料"]
    element = DataElement.objects.get(key="application.note")
    element.label_en = "A note, renamed"
    element.save()
    assert data_elements()["application.note"].label_en == "A note, renamed"


def test_a_change_by_another_process_is_seen_within_the_interval(world: Any, settings: Any) -> None:
    matter = Matter.objects.get(code=MATTER)
    first = len(matter_materials(matter))
    # Another process removes a material: the rows change and the version moves, but no
    # signal reaches this process.
    requirement = matter.materials.order_by("order").last()
    assert requirement is not None
    number = CatalogueVersion.objects.filter(pk=1).values_list("number", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalog_materialrequirement WHERE id = %s", [requirement.pk])
    CatalogueVersion.objects.update_or_create(pk=1, defaults={"number": number + 1})
    settings.CATALOGUE_CHECK_SECONDS = 3600
    from govdesk.catalog import versioned

    versioned._state["checked_at"] = time.monotonic()  # as if it had just looked
    assert len(matter_materials(matter)) == first  # within the interval: what it kept
    settings.CATALOGUE_CHECK_SECONDS = 0
    assert len(matter_materials(matter)) == first - 1  # the interval passed: read again
