from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.applications.models import Application, Channel, Status
from govdesk.catalog.models import Matter
from govdesk.common.idnumbers import make
from govdesk.demo.loader import (
    CHUNLEI,
    catalogue_load,
    personas_load,
    regions_load,
    staff_load,
)
from govdesk.organisations.models import Region
from govdesk.people.models import Person
from govdesk.people.services import (
    dibao_record_set,
    disability_record_set,
    household_upsert,
    person_upsert,
)

PASSWORD = "test-password-123"
#: Encrypts the session's signing keys (``pki_dir``).
PASSPHRASE = "test-signing-passphrase"


def staff_client(username: str) -> Client:
    """A browser session of this member of staff, reading English."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(User.objects.get(username=username))
    return client


def chunlei_resident(sequence: int, name: str, flat: int | None = None) -> Person:
    """A 春雷社区 resident born in 1960, head of a household of one (sequence 0–999)."""
    person = person_upsert(id_number=make("320205", date(1960, 1, 1), sequence), name=name)
    household_upsert(
        number=f"320205005001{sequence}",
        address=f"无锡市锡山区云林街道春雷苑9幢9单元{flat or sequence}室",
        region=Region.objects.get(code=CHUNLEI),
        members=[(person, "head", date(2000, 1, 1))],
    )
    return person


CERTIFICATE_MATTER = "CERT-RESIDENT-POPULATION"


def accepted_certificate_application(applicant: Person, number: str) -> Application:
    """A 常住人口信息证明 application of ``applicant``, accepted by the 春雷 window and waiting
    for the subdistrict's reviewer to approve it."""
    return Application.objects.create(
        number=number,
        matter=Matter.objects.get(code=CERTIFICATE_MATTER),
        applicant=applicant,
        region=Region.objects.get(code=CHUNLEI),
        channel=Channel.WINDOW,
        status=Status.ACCEPTED,
        created_by="test",
        snapshot={
            "certificate.purpose": {
                "value": "用于申请调整阶梯水、电、气价人口基数",
                "source": "default",
                "origin": "",
                "as_of": None,
                "conflict": None,
            }
        },
    )


def pdf_text(document: bytes) -> str:
    """The text of a PDF as pdftotext (poppler-utils) extracts it."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (poppler-utils)")
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "form.pdf"
        file.write_bytes(document)
        done = subprocess.run(  # noqa: S603
            [tool, "-enc", "UTF-8", str(file), "-"], capture_output=True, check=True, timeout=60
        )
    return done.stdout.decode("utf-8")


@pytest.fixture
def demo_sms(settings: Any) -> None:
    """The resident sign-in code is shown on the page (the demo's flag)."""
    settings.DEMO_SMS_ON_SCREEN = True


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings: Any, tmp_path: Path) -> None:
    """Each test's trail starts empty, so each test gets its own checkpoint folder (and the
    suite never writes into var/). Checkpoints are queued only where a test asks for them
    (tests/test_audit.py), so that no test sees a task it did not expect."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    settings.AUDIT_CHECKPOINT_EVERY_ROWS = 0
    settings.AUDIT_CHECKPOINT_MINUTES = 0


@pytest.fixture(autouse=True)
def _uploads_per_test(settings: Any, tmp_path: Path) -> None:
    """Uploaded files go to the test's own folder, never into var/."""
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture(autouse=True)
def _fresh_region_cache() -> None:
    """Each test starts with an empty region cache (a rolled-back test may have filled it)."""
    from govdesk.organisations.selectors import region_cache_clear

    region_cache_clear()


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache() -> None:
    """Each test starts with nothing kept of the catalogue (a rolled-back test may have
    changed it)."""
    from govdesk.catalog.versioned import clear

    clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with no requests counted against any client address (the rate limits
    live in the cache, which outlives a test's rolled-back transaction)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _tokens_checked_every_time(settings: Any) -> None:
    """Tests revoke tokens and deactivate users and expect the next request to see it; the
    process-level token cache has its own test (test_accounts.py)."""
    from govdesk.accounts.services import token_cache_clear

    settings.API_TOKEN_CACHE_SECONDS = 0
    token_cache_clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On PostgreSQL, let the suite empty its own audit trail between transactional tests
    (the database refuses TRUNCATE of it otherwise; see audit migration 0003)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c govdesk.audit_truncate=allow".strip()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Load the catalogue, the demo city, its staff and the personas once per test session."""
    from django.conf import settings
    from django.db import connection

    with django_db_blocker.unblock():
        hashers = settings.PASSWORD_HASHERS
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        try:
            catalogue_load()
            regions = regions_load()
            staff_load(regions, PASSWORD)
            personas_load(regions)
        finally:
            settings.PASSWORD_HASHERS = hashers
    yield
    if connection.vendor == "postgresql":
        # A server thread (browser tests) or a worker thread may still hold a connection;
        # the test database can only be dropped once nobody else is connected to it.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(scope="session")
def pki_dir(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any
) -> Path:
    """A demo CA and a key per issuing organisation, made once for the session."""
    from django.test import override_settings

    from govdesk.certificates.services import demo_pki_load

    folder = tmp_path_factory.mktemp("pki")
    with (
        override_settings(PKI_DIR=folder, SIGNING_KEY_PASSPHRASE=PASSPHRASE),
        django_db_blocker.unblock(),
    ):
        regions_load()  # idempotent; a transactional test may have flushed them
        report = demo_pki_load()
    assert report.ca_created and "320205005001" in report.issuers_created
    return folder


@pytest.fixture
def loaded(transactional_db: None) -> None:
    """For tests that commit (``transaction=True``): what the session loaded, again, as an
    earlier such test may have flushed it (the loaders are idempotent)."""
    catalogue_load()
    regions = regions_load()
    staff_load(regions, PASSWORD)
    personas_load(regions)


@pytest.fixture
def regions(db: None) -> dict[str, Region]:
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture
def world(regions: dict[str, Region]) -> dict[str, Region]:
    """The demo city with its staff and the personas of PRODUCT.md (loaded once a session)."""
    return regions


@pytest.fixture
def staff_token(world: dict[str, Region]) -> Iterator[Any]:
    def make(username: str) -> str:
        return token_create(user=User.objects.get(username=username))

    yield make


@pytest.fixture
def api(client: Client) -> Any:
    class Api:
        def get(self, path: str, token: str | None = None, **headers: str) -> Any:
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return client.get(path, headers=headers)

        def send(
            self, method: str, path: str, token: str | None, body: Any = None, **headers: str
        ) -> Any:
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return client.generic(
                method,
                path,
                data=json.dumps(body or {}),
                content_type="application/json",
                headers=headers,
            )

        def post(self, path: str, token: str | None, body: Any = None, **headers: str) -> Any:
            return self.send("POST", path, token, body, **headers)

        def patch(self, path: str, token: str | None, body: Any = None, **headers: str) -> Any:
            return self.send("PATCH", path, token, body, **headers)

    return Api()


# A synthetic household the personas of PRODUCT.md do not cover: 低保 and a disability. -------

ZHAO_XIUYING = make("320205", date(1961, 4, 18), 246)  # woman, 65, physical disability grade 2
QIAN_GUOQIANG = make("320205", date(1958, 11, 2), 135)  # her husband, 68
DIBAO_SINCE = date(2024, 3, 1)


@pytest.fixture
def dibao_household(world: dict[str, Region]) -> dict[str, str]:
    """赵秀英 and 钱国强 of 春雷社区: a 低保 household since March 2024 (civil affairs), she
    with a grade 2 physical disability and its certificate (the federation, the e-licence
    library). Neither holds a senior citizen card. Returns their ID numbers by name."""
    zhao = person_upsert(id_number=ZHAO_XIUYING, name="赵秀英", education="小学")
    qian = person_upsert(id_number=QIAN_GUOQIANG, name="钱国强", education="初中")
    household_upsert(
        number="320205005001091",
        address="无锡市锡山区云林街道春雷新村12幢1单元102室",
        region=Region.objects.get(code=CHUNLEI),
        estate="春雷新村",
        members=[(qian, "head", date(1986, 5, 1)), (zhao, "spouse", date(1986, 5, 1))],
    )
    for person in (zhao, qian):
        dibao_record_set(person=person, since=DIBAO_SINCE)
    disability_record_set(
        person=zhao, category="physical", grade="2", assessed_on=date(2019, 5, 10)
    )
    return {"赵秀英": ZHAO_XIUYING, "钱国强": QIAN_GUOQIANG}
