"""Real concurrency against the database (SQLite and PostgreSQL): a retried or doubled request
never acts twice, and two clerks editing one version never lose each other's work silently.

Each request runs in its own thread with its own ``django.test.Client`` and so its own database
connection; a ``threading.Barrier`` releases them together. These tests commit for real
(``transaction=True``), so the data the session set-up loaded may have been flushed by an
earlier transactional test: every test loads what it needs itself.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.applications.models import Application, ApplicationEvent, BundleRun, Status
from govdesk.forms.models import CapturedFact

pytestmark = pytest.mark.django_db(transaction=True)

LI = "320205197405120027"
BUNDLE = "BUNDLE-EMPLOYMENT-DIFFICULTY"
SUBMITTERS = 50


@dataclass
class Reply:
    status: int
    body: Any


def _call(
    client: Client, method: str, path: str, token: str, body: Any = None, **headers: str
) -> Reply:
    response = client.generic(
        method,
        path,
        data=json.dumps(body or {}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", **headers},
    )
    try:
        payload: Any = response.json()
    except ValueError:
        payload = response.content.decode(errors="replace")
    return Reply(response.status_code, payload)


def _race(count: int, request: Callable[[Client, int], Reply]) -> list[Reply]:
    """Run ``request`` from ``count`` threads released at the same instant; every thread has
    its own client and database connection, closed at the end."""
    barrier = threading.Barrier(count)
    replies: list[Reply | None] = [None] * count
    crashes: list[str] = []

    def worker(index: int) -> None:
        try:
            client = Client(raise_request_exception=False)
            barrier.wait(timeout=20)
            replies[index] = request(client, index)
        except BaseException as exc:
            crashes.append(f"thread {index}: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung"
    assert not crashes, crashes
    done = [r for r in replies if r is not None]
    assert len(done) == count
    return done


def _events(application_id: str, action: str) -> int:
    return ApplicationEvent.objects.filter(application_id=application_id, action=action).count()


@pytest.fixture
def clerk(loaded: None) -> str:
    return token_create(user=User.objects.get(username="clerk.chunlei"))


def _start_bundle(clerk: str) -> list[dict[str, Any]]:
    reply = _call(Client(), "POST", f"/api/v1/bundles/{BUNDLE}/start", clerk, {"applicant": LI})
    assert reply.status == 201, reply.body
    steps: list[dict[str, Any]] = reply.body["steps"]
    assert all(s["application"] for s in steps)
    return steps


def test_concurrent_submits_with_one_key_create_one_submission(clerk: str) -> None:
    steps = _start_bundle(clerk)
    application_id = steps[0]["application"]  # 失业登记: nothing is left to type
    before = Application.objects.get(pk=application_id)
    assert before.status == Status.DRAFT
    url = f"/api/v1/applications/{application_id}/submit"

    started = time.perf_counter()
    replies = _race(
        SUBMITTERS,
        lambda client, _i: _call(client, "POST", url, clerk, Idempotency_Key="double-click-1"),
    )
    elapsed = time.perf_counter() - started

    statuses = sorted({r.status for r in replies})
    assert statuses == [200], [(r.status, r.body) for r in replies if r.status != 200][:3]
    assert {r.body["version"] for r in replies} == {before.version + 1}
    assert {r.body["status"] for r in replies} == {"submitted"}
    assert {r.body["id"] for r in replies} == {application_id}
    after = Application.objects.get(pk=application_id)
    assert after.status == Status.SUBMITTED
    assert after.version == before.version + 1
    assert _events(application_id, "submit") == 1
    assert elapsed < 25, f"{SUBMITTERS} submits took {elapsed:.1f} s"

    # A retry later, with the same key, still gets the first answer and changes nothing.
    again = _call(Client(), "POST", url, clerk, Idempotency_Key="double-click-1")
    assert again.status == 200 and again.body["version"] == before.version + 1
    # Without a key, a second submit is refused as a state conflict, never a second submission.
    fresh = _call(Client(), "POST", url, clerk)
    assert fresh.status == 409 and fresh.body["status"] == "submitted"
    assert _events(application_id, "submit") == 1


def test_two_concurrent_edits_of_one_version_give_exactly_one_409(clerk: str) -> None:
    steps = _start_bundle(clerk)
    application_id = steps[2]["application"]  # 灵活就业人员参保登记: two fields to type
    url = f"/api/v1/applications/{application_id}"
    version = _call(Client(), "GET", url, clerk).body["version"]
    edits = [
        {"insurance.contribution_grade": "60%"},
        {"employment.flexible_type": "个体经营"},
    ]

    replies = _race(
        2,
        lambda client, i: _call(
            client, "PATCH", url, clerk, {"fields": edits[i], "version": version}
        ),
    )

    assert sorted(r.status for r in replies) == [200, 409], [(r.status, r.body) for r in replies]
    won = next(r for r in replies if r.status == 200)
    lost = next(r for r in replies if r.status == 409)
    assert won.body["version"] == version + 1
    assert lost.body["your_version"] == version
    assert lost.body["current_version"] == version + 1
    assert lost.body["detail"]
    stored = Application.objects.get(pk=application_id)
    assert stored.version == version + 1
    assert _events(application_id, "edit") == 1
    # The winner's value is kept; the loser's was not written behind anyone's back.
    captured = CapturedFact.objects.filter(person__id_number=LI, application_ref=application_id)
    assert [(f.element, f.value) for f in captured] in [list(edit.items()) for edit in edits]
    fields = {f["key"]: f for f in won.body["fields"]}
    assert all(fields[k]["value"] == v for k, v in captured.values_list("element", "value"))


def test_double_click_on_bundle_start_starts_one_bundle(clerk: str) -> None:
    path = f"/api/v1/bundles/{BUNDLE}/start"
    replies = _race(
        2,
        lambda client, _i: _call(
            client, "POST", path, clerk, {"applicant": LI}, Idempotency_Key="start-once"
        ),
    )

    assert [r.status for r in replies] == [201, 201], [(r.status, r.body) for r in replies]
    assert replies[0].body == replies[1].body
    assert BundleRun.objects.filter(bundle__code=BUNDLE, applicant__id_number=LI).count() == 1
    run_id = replies[0].body["id"]
    assert Application.objects.filter(bundle_run_id=run_id).count() == len(
        [s for s in replies[0].body["steps"] if s["application"]]
    )
