"""GET /api/v1/applications: pages by a cursor, filters, a fixed number of queries, one audit
row per page, and the same selector behind the workbench queue and the resident's list."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from govdesk.applications.models import Application, Channel, Status
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import subject_ref
from govdesk.catalog.models import Matter
from govdesk.demo.loader import CHUNLEI
from govdesk.organisations.models import Region
from govdesk.people.models import Person
from tests.conftest import chunlei_resident

WANG = "320205196803090017"
LI = "320205197405120027"
NUMBERS = count(1)


def _made(
    applicant: Person,
    matter: str = "CERT-RESIDENT-POPULATION",
    *,
    status: str = Status.SUBMITTED,
    channel: str = Channel.WINDOW,
    deadline: date | None = None,
    region: str = CHUNLEI,
) -> Application:
    return Application.objects.create(
        number=f"GD-LIST-{next(NUMBERS):06d}",
        matter=Matter.objects.get(code=matter),
        applicant=applicant,
        region=Region.objects.get(code=region),
        channel=channel,
        status=status,
        deadline=deadline,
        created_by="test",
    )


@pytest.fixture
def residents(world: Any) -> list[Person]:
    return [chunlei_resident(500 + i, f"测试{i}") for i in range(6)]


@pytest.fixture
def clerk(staff_token: Any) -> str:
    token: str = staff_token("clerk.chunlei")
    return token


def _pages(api: Any, token: str, url: str, between: Any = None) -> tuple[list[dict[str, Any]], int]:
    """Every row of the list, following ``next``; ``between`` runs after each page."""
    rows: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = api.get(url, token)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        pages += 1
        if between is not None:
            between()
        url = body["next"]
        if url:
            parts = urlsplit(url)
            assert parts.path == "/api/v1/applications"
            url = f"{parts.path}?{parts.query}"
    return rows, pages


def test_a_page_has_a_count_a_next_link_and_summary_rows(
    api: Any, clerk: str, residents: list[Person]
) -> None:
    made = [_made(p) for p in residents]
    first = api.get("/api/v1/applications?limit=4", clerk).json()
    assert set(first) == {"count", "next", "results"}
    assert first["count"] >= len(made)
    assert len(first["results"]) == 4
    assert first["next"] and "cursor=" in first["next"] and "limit=4" in first["next"]
    row = first["results"][0]
    newest = made[-1]
    assert row["id"] == str(newest.id)  # newest first
    assert row["number"] == newest.number
    assert row["matter"] == {
        "code": "CERT-RESIDENT-POPULATION",
        "name": newest.matter.name,
        "department": newest.matter.department.short_name,
    }
    assert row["applicant"]["name"] == "测试5"
    assert "*" in row["applicant"]["id_number"]  # masked, always
    assert row["status"] == "submitted" and row["holder"] == "clerk"
    assert row["url"] == f"/api/v1/applications/{newest.id}"
    assert "fields" not in row and "timeline" not in row


def test_paging_through_everything_while_others_are_created(
    api: Any, clerk: str, residents: list[Person]
) -> None:
    """No row twice, none that existed at the start skipped, while applications are created
    between the pages (and the count is the one of the first page)."""
    for person in residents:
        for _ in range(4):
            _made(person)
    existing = set(Application.objects.filter(region__code=CHUNLEI).values_list("id", flat=True))
    created: list[Application] = []
    rows, pages = _pages(
        api,
        clerk,
        "/api/v1/applications?limit=5",
        between=lambda: created.append(_made(residents[len(created) % len(residents)])),
    )
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a row was shown twice"
    assert {str(i) for i in existing} <= set(ids), "a row was skipped"
    assert not {str(a.id) for a in created} & set(ids)  # newer than the first page: not paged
    assert pages == -(-len(existing) // 5)


def test_paging_by_deadline(api: Any, clerk: str, residents: list[Person]) -> None:
    today = timezone.localdate()
    for i, person in enumerate(residents):
        _made(person, status=Status.ACCEPTED, deadline=today + timedelta(days=i % 3))
        _made(person, status=Status.ACCEPTED, deadline=None)
    rows, _pages_read = _pages(api, clerk, "/api/v1/applications?order=deadline&limit=3")
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    due = [r["deadline"] or "9999-12-31" for r in rows]
    assert due == sorted(due)  # nearest first, none last


def test_query_count_does_not_grow_with_the_page(
    api: Any, clerk: str, residents: list[Person], django_assert_max_num_queries: Any
) -> None:
    for person in residents:
        for _ in range(10):
            _made(person)
    first = api.get("/api/v1/applications?limit=5", clerk).json()
    # token, count, rows, the audit append (its savepoint, head, row, head, release)
    for limit in (5, 60):
        with django_assert_max_num_queries(8):
            assert len(api.get(f"/api/v1/applications?limit={limit}", clerk).json()["results"])
    # later pages carry the count: one query fewer
    with django_assert_max_num_queries(7):
        api.get(urlsplit(first["next"]).path + "?" + urlsplit(first["next"]).query, clerk)


def test_one_audit_row_per_page_names_the_people_shown(
    api: Any, clerk: str, residents: list[Person]
) -> None:
    for person in residents:
        _made(person)
    before = AuditEvent.objects.filter(action="application.list").count()
    body = api.get("/api/v1/applications?limit=3&matter=CERT-RESIDENT-POPULATION", clerk).json()
    rows = AuditEvent.objects.filter(action="application.list").order_by("-seq")
    assert rows.count() == before + 1
    row = rows.first()
    assert row is not None and row.actor == "clerk.chunlei"
    shown = {r["applicant"]["name"] for r in body["results"]}
    expected = {subject_ref(p.id_number) for p in residents if p.name in shown}
    assert set(row.detail["subjects"]) == expected
    assert row.detail["matter"] == "CERT-RESIDENT-POPULATION"


def test_filters(api: Any, clerk: str, residents: list[Person]) -> None:
    today = timezone.localdate()
    late = _made(residents[0], status=Status.ACCEPTED, deadline=today - timedelta(days=1))
    on_time = _made(residents[1], status=Status.ACCEPTED, deadline=today + timedelta(days=5))
    online = _made(residents[2], channel=Channel.ONLINE, status=Status.DRAFT)
    hrss = _made(residents[3], "HRSS-001")
    old = _made(residents[4])
    Application.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    def ids(query: str) -> set[str]:
        response = api.get(f"/api/v1/applications?limit=200&{query}", clerk)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert str(late.id) in ids("overdue=true")
    assert not {str(on_time.id), str(online.id)} & ids("overdue=true")
    assert str(on_time.id) in ids("overdue=false")
    overdue_row = next(
        r
        for r in api.get("/api/v1/applications?overdue=true", clerk).json()["results"]
        if r["id"] == str(late.id)
    )
    assert overdue_row["overdue"] is True and overdue_row["holder"] == "reviewer"
    assert ids("channel=online") >= {str(online.id)}
    assert str(late.id) not in ids("channel=online")
    assert ids("status=draft") >= {str(online.id)} and str(late.id) not in ids("status=draft")
    assert str(hrss.id) in ids("department=hrss") and str(late.id) not in ids("department=hrss")
    assert str(hrss.id) in ids("matter=HRSS-001") and str(late.id) not in ids("matter=HRSS-001")
    since = (today - timedelta(days=7)).isoformat()
    assert str(old.id) not in ids(f"created_from={since}") and str(late.id) in ids(
        f"created_from={since}"
    )
    assert str(old.id) in ids(f"created_to={since}") and str(late.id) not in ids(
        f"created_to={since}"
    )


@pytest.mark.parametrize(
    "query",
    ["cursor=not-a-cursor", "created_from=0", "created_to=2026-13-45", "limit=0", "limit=201"],
)
def test_bad_parameters_are_422_and_say_which(api: Any, clerk: str, world: Any, query: str) -> None:
    response = api.get(f"/api/v1/applications?{query}", clerk)
    assert response.status_code == 422, response.content
    assert query.split("=")[0] in response.content.decode()


def test_a_cursor_is_not_used_with_other_filters(
    api: Any, clerk: str, residents: list[Person]
) -> None:
    for person in residents:
        _made(person)
    first = api.get("/api/v1/applications?limit=2", clerk).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    response = api.get(f"/api/v1/applications?limit=2&status=draft&cursor={cursor}", clerk)
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"][0]["loc"]


def test_another_communitys_clerk_and_a_resident_see_only_theirs(
    api: Any, clerk: str, residents: list[Person], staff_token: Any
) -> None:
    mine = _made(residents[0])
    other = staff_token("clerk.dongting")
    rows, _ = _pages(api, other, "/api/v1/applications?limit=200")
    assert str(mine.id) not in {r["id"] for r in rows}
    wang = Person.objects.get(id_number=WANG)
    his = _made(wang)
    from govdesk.accounts.services import token_create

    token = token_create(resident=wang)
    rows, _ = _pages(api, token, "/api/v1/applications?limit=200")
    assert {r["id"] for r in rows} == {
        str(i) for i in Application.objects.filter(applicant=wang).values_list("id", flat=True)
    }
    assert str(his.id) in {r["id"] for r in rows}
    assert AuditEvent.objects.filter(action="application.list", actor_role="resident").count() == 0


def test_the_workbench_queue_and_my_applications_use_the_same_rows(
    api: Any, clerk: str, residents: list[Person]
) -> None:
    from tests.conftest import staff_client

    waiting = _made(residents[0])  # submitted: waits for the window
    page = staff_client("clerk.chunlei").get("/staff/")
    assert page.status_code == 200
    assert waiting.number in page.content.decode()
    api_rows = api.get("/api/v1/applications?waiting=true&order=deadline", clerk).json()
    assert str(waiting.id) in {r["id"] for r in api_rows["results"]}
