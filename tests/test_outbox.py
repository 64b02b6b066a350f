"""What follows an approval cannot be lost (ADR 13): the approval writes an outcome intent in its
own transaction; the dispatcher claims due intents with a lease, runs the outcomes, and marks
each done or defers it with back-off; a claim whose worker died is taken over; the workbench
shows what is overdue. Workers killed for real: tests/test_outbox_kill.py.

Here the nudge that an approval queues on commit is discarded, as if the web process had died
between the commit and the enqueue: only the intent row is left to go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from govdesk.accounts.models import User
from govdesk.applications.models import Application, OutcomeIntent, Status
from govdesk.applications.selectors import outcomes_overdue_list
from govdesk.applications.services import application_act, outcome_intents_dispatch
from govdesk.applications.tasks import dispatch_outcome_intents
from govdesk.certificates.models import Certificate
from govdesk.common import outbox
from govdesk.common.principal import Principal
from govdesk.organisations.models import Region
from govdesk.people.models import Person
from govdesk.people.services import person_upsert
from tests.conftest import (
    PASSPHRASE,
    accepted_certificate_application,
    chunlei_resident,
    staff_client,
)

WANG = "320205196803090017"
NONE_DUE = outbox.Report()


@pytest.fixture(autouse=True)
def _signing(settings: Any, pki_dir: Path) -> Iterator[None]:
    settings.PKI_DIR = pki_dir
    settings.SIGNING_KEY_PASSPHRASE = PASSPHRASE
    settings.OUTBOX_RETRY_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    settings.OUTBOX_LEASE_SECONDS = 60
    settings.OUTCOME_OVERDUE_MINUTES = 5
    yield


def _staff(username: str) -> Principal:
    return Principal(kind="staff", user=User.objects.get(username=username))


def _approved_without_nudge(
    applicant: Person, number: str, capture: Any
) -> tuple[Application, OutcomeIntent]:
    """Approve; the process then "dies" before it enqueues anything (the nudge is dropped)."""
    application = accepted_certificate_application(applicant, number)
    with capture(execute=False) as nudges:
        application_act(
            principal=_staff("reviewer.yunlin"), application_id=application.pk, action="approve"
        )
    assert len(nudges) == 1
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    return application, OutcomeIntent.objects.get(application=application)


@pytest.fixture
def approved(
    world: dict[str, Region], django_capture_on_commit_callbacks: Any
) -> tuple[Application, OutcomeIntent]:
    """王建国's 常住人口信息证明, approved by the reviewer; the nudge was dropped."""
    wang = Person.objects.get(id_number=WANG)
    return _approved_without_nudge(wang, "GD-TEST-OUTBOX-1", django_capture_on_commit_callbacks)


def test_the_approval_writes_its_intent_and_the_dispatcher_issues_the_certificate(
    approved: tuple[Application, OutcomeIntent],
) -> None:
    application, intent = approved
    assert intent.done_at is None and intent.attempts == 0 and intent.claimed_until is None
    assert application.outcome == {}
    assert not Certificate.objects.filter(application=application).exists()

    assert outcome_intents_dispatch() == outbox.Report(done=1)

    certificate = Certificate.objects.get(application=application)
    application.refresh_from_db()
    assert application.outcome["certificate"]["number"] == certificate.number
    intent.refresh_from_db()
    assert intent.done_at is not None and intent.attempts == 1
    assert intent.claimed_until is None and intent.last_error == ""
    assert outcome_intents_dispatch() == NONE_DUE  # done once, never again
    assert Certificate.objects.filter(application=application).count() == 1


def test_an_approval_that_rolls_back_leaves_no_intent(world: dict[str, Region]) -> None:
    application = accepted_certificate_application(
        Person.objects.get(id_number=WANG), "GD-TEST-OUTBOX-2"
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        application_act(
            principal=_staff("reviewer.yunlin"), application_id=application.pk, action="approve"
        )
        assert OutcomeIntent.objects.filter(application=application).exists()
        raise RuntimeError("the approval's transaction fails after the intent was written")
    application.refresh_from_db()
    assert application.status == Status.ACCEPTED
    assert not OutcomeIntent.objects.filter(application=application).exists()


def test_a_failed_outcome_is_deferred_with_back_off_and_done_once_fixed(
    world: dict[str, Region], django_capture_on_commit_callbacks: Any
) -> None:
    person = chunlei_resident(981, "王\ue000")  # a character no font has: issuance fails
    application, intent = _approved_without_nudge(
        person, "GD-TEST-OUTBOX-3", django_capture_on_commit_callbacks
    )

    before = timezone.now()
    assert outcome_intents_dispatch() == outbox.Report(deferred=1)
    intent.refresh_from_db()
    assert intent.done_at is None and intent.attempts == 1 and intent.claimed_until is None
    assert intent.last_error.startswith("certificate: ") and "U+E000" in intent.last_error
    wait = (intent.next_attempt_at - before).total_seconds()
    assert 29 <= wait <= 31, wait
    assert outcome_intents_dispatch() == NONE_DUE  # not due again before the back-off
    assert not Certificate.objects.filter(application=application).exists()

    person_upsert(id_number=person.id_number, name="王建民")  # the registry's name corrected
    OutcomeIntent.objects.filter(pk=intent.pk).update(next_attempt_at=timezone.now())
    assert outcome_intents_dispatch() == outbox.Report(done=1)
    intent.refresh_from_db()
    assert intent.done_at is not None and intent.attempts == 2 and intent.last_error == ""
    assert Certificate.objects.filter(application=application).count() == 1


def test_back_off_doubles_up_to_its_cap(settings: Any) -> None:
    settings.OUTBOX_RETRY_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 30, 3600
    waits = [outbox.backoff(n).total_seconds() for n in range(9)]
    assert waits == [0, 30, 60, 120, 240, 480, 960, 1920, 3600]
    assert outbox.backoff(500).total_seconds() == 3600


def test_a_claim_whose_worker_died_is_taken_over_when_its_lease_expires(
    approved: tuple[Application, OutcomeIntent], monkeypatch: pytest.MonkeyPatch
) -> None:
    application, intent = approved
    dead = outbox.claim(OutcomeIntent.objects.all(), worker="dead-host:1")
    assert dead is not None and dead.pk == intent.pk and dead.attempts == 1
    assert outbox.claim(OutcomeIntent.objects.all(), worker="other:2") is None  # held
    assert outcome_intents_dispatch() == NONE_DUE
    # The dead worker's django-tasks result, left RUNNING by the database backend for good.
    long_ago = timezone.now() - timedelta(hours=1)
    stuck = DBTaskResult.objects.create(
        task_path=dispatch_outcome_intents.module_path,
        status="RUNNING",
        started_at=long_ago,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
        worker_ids=["dead-host"],
    )

    OutcomeIntent.objects.filter(pk=intent.pk).update(claimed_until=timezone.now())
    monkeypatch.setattr(outbox, "_CLOSED_AT", {})  # a dispatch just now looked (and found none)
    assert outcome_intents_dispatch(worker="alive:3") == outbox.Report(done=1)

    intent.refresh_from_db()
    assert intent.done_at is not None and intent.attempts == 2
    assert intent.claimed_by == "alive:3"
    assert Certificate.objects.filter(application=application).count() == 1
    stuck.refresh_from_db()
    assert stuck.status == "FAILED" and stuck.traceback == outbox.ABANDONED
    assert stuck.finished_at is not None


def test_the_workbench_shows_an_overdue_outcome_and_tries_it_again(
    approved: tuple[Application, OutcomeIntent],
) -> None:
    application, intent = approved
    page_url = f"/staff/applications/{application.pk}/"
    window = staff_client("clerk.chunlei")

    page = window.get(page_url).content.decode()
    assert 'data-outcomes="waiting"' in page and 'data-outcomes="overdue"' not in page
    assert 'data-list="outcomes-overdue"' not in window.get("/staff/").content.decode()

    OutcomeIntent.objects.filter(pk=intent.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    page = window.get(page_url).content.decode()
    assert 'data-outcomes="overdue"' in page and "Not done yet." in page
    assert f"{page_url}retry/" in page
    home = window.get("/staff/").content.decode()
    assert 'data-list="outcomes-overdue"' in home and application.number in home
    assert f"{page_url}retry/" in home
    # Staff of another community do not see it.
    assert application.number not in staff_client("clerk.dongting").get("/staff/").content.decode()

    response = window.post(f"{page_url}retry/")
    assert response.status_code == 302, response.content
    certificate = Certificate.objects.get(application=application)
    intent.refresh_from_db()
    assert intent.done_at is not None
    page = window.get(page_url).content.decode()
    assert certificate.number in page and 'data-outcomes="' not in page
    assert application.number not in window.get("/staff/").content.decode()


def test_the_overdue_list_takes_a_fixed_number_of_queries(world: dict[str, Region]) -> None:
    clerk = _staff("clerk.chunlei")
    wang = Person.objects.get(id_number=WANG)
    long_ago = timezone.now() - timedelta(minutes=30)

    def overdue(number: str) -> None:
        application = accepted_certificate_application(wang, number)
        Application.objects.filter(pk=application.pk).update(
            status=Status.APPROVED, decided_at=long_ago
        )
        OutcomeIntent.objects.create(application=application, created_at=long_ago)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            listed = outcomes_overdue_list(principal=clerk)
        assert all(row.decided_at == long_ago for row in listed)
        return len(captured)

    overdue("GD-TEST-OVERDUE-0")
    queries()  # warms what a process reads once (the region cache …)
    one = queries()
    for i in range(1, 6):
        overdue(f"GD-TEST-OVERDUE-{i}")
    assert len(outcomes_overdue_list(principal=clerk)) == 6
    assert queries() == one
    # Done ones, and those approved less than the setting's minutes ago, are not listed.
    OutcomeIntent.objects.filter(application__number="GD-TEST-OVERDUE-0").update(
        done_at=timezone.now()
    )
    OutcomeIntent.objects.filter(application__number="GD-TEST-OVERDUE-1").update(
        created_at=timezone.now()
    )
    numbers = {row.number for row in outcomes_overdue_list(principal=clerk)}
    assert numbers == {f"GD-TEST-OVERDUE-{i}" for i in range(2, 6)}
