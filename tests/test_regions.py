"""Region containment by path with its separator: a region whose path is a string prefix of
another's (…/3202050050 and …/32020500501) does not contain it, in Python or in a query."""

from __future__ import annotations

import pytest
from django.utils import timezone

from govdesk.accounts.models import User
from govdesk.applications import selectors as application_selectors
from govdesk.applications.models import Application, Channel, Status
from govdesk.catalog.models import CertificateType, Matter
from govdesk.certificates import selectors as certificate_selectors
from govdesk.certificates.models import Certificate
from govdesk.common.principal import Principal
from govdesk.common.roles import Role
from govdesk.organisations.models import Region, RegionLevel
from govdesk.organisations.services import region_upsert
from govdesk.people.models import Person

CITY = "320200000000"
WANG = "320205196803090017"


@pytest.fixture
def twins(world: dict[str, Region]) -> tuple[Region, Region, Region]:
    """``short``, ``longer`` (whose path starts with short's path, without the separator) and
    ``child`` (truly inside short)."""
    city = world[CITY]
    short = region_upsert(code="3202050050", name="短", level=RegionLevel.DISTRICT, parent=city)
    longer = region_upsert(code="32020500501", name="长", level=RegionLevel.DISTRICT, parent=city)
    child = region_upsert(
        code="3202050050-1", name="子", level=RegionLevel.SUBDISTRICT, parent=short
    )
    assert longer.path.startswith(short.path) and not longer.path.startswith(short.path + "/")
    return short, longer, child


def _clerk_of(region: Region) -> Principal:
    user = User.objects.create_user(username=f"clerk-{region.code}", role=Role.CLERK)
    user.jurisdiction = region
    user.save()
    return Principal(kind="staff", user=user)


def _application(region: Region, number: str) -> Application:
    return Application.objects.create(
        number=number,
        matter=Matter.objects.get(code="CERT-RESIDENT-POPULATION"),
        applicant=Person.objects.get(id_number=WANG),
        region=region,
        channel=Channel.WINDOW,
        status=Status.SUBMITTED,
        created_by="test",
    )


def test_contains_needs_the_separator(twins: tuple[Region, Region, Region]) -> None:
    short, longer, child = twins
    assert short.contains(short) and short.contains(child)
    assert not short.contains(longer)


def test_subtree_query_needs_the_separator(twins: tuple[Region, Region, Region]) -> None:
    short, longer, child = twins
    inside = set(Region.objects.filter(short.subtree_q()).values_list("code", flat=True))
    assert inside == {short.code, child.code}
    assert longer.code not in inside
    assert set(Region.objects.filter(longer.subtree_q())) == {longer}


def test_queue_leaves_out_a_region_with_a_longer_code(
    twins: tuple[Region, Region, Region],
) -> None:
    short, longer, child = twins
    mine = _application(short, "GD-TEST-REGION-1")
    below = _application(child, "GD-TEST-REGION-2")
    other = _application(longer, "GD-TEST-REGION-3")
    page = application_selectors.application_page(principal=_clerk_of(short), limit=200)
    queue = {a.id for a in page.results}
    assert {mine.id, below.id} <= queue
    assert other.id not in queue


def test_certificates_leave_out_a_region_with_a_longer_code(
    twins: tuple[Region, Region, Region],
) -> None:
    short, longer, _child = twins
    kind = CertificateType.objects.first()
    assert kind is not None

    def issue(region: Region, number: str) -> Certificate:
        return Certificate.objects.create(
            number=number,
            type=kind,
            application=_application(region, f"GD-{number}"),
            holder=Person.objects.get(id_number=WANG),
            issuer=region,
            issuer_name=region.name,
            issued_at=timezone.now(),
            valid_until=timezone.localdate(),
            token=number,
            pdf=b"",
            pdf_sha256="",
        )

    mine = issue(short, "TEST-REGION-CERT-1")
    other = issue(longer, "TEST-REGION-CERT-2")
    found = set(certificate_selectors.certificates_for(principal=_clerk_of(short)))
    assert mine in found
    assert other not in found
