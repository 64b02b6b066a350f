from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.demo.loader import catalogue_load, personas_load, regions_load, staff_load
from govdesk.organisations.models import Region

PASSWORD = "test-password-123"


def staff_client(username: str) -> Client:
    """A browser session of this member of staff, reading English."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(User.objects.get(username=username))
    return client


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
