"""More than one machine, on this one (issue 11, item 5): ``bench/cluster.py --checks-only``
against this test database.

The script starts a streaming replica of the test database's cluster (``pg_basebackup``, port
5442), Redis database 13 as the shared cache, two gunicorn app nodes behind HAProxy and two
pairs of task workers, then checks that sessions, bearer tokens, token revocation, rate limits,
idempotency keys and certificate numbering behave across nodes as on one, that public
catalogue reads come from the replica while a browser that wrote reads the primary, that no
task runs twice, and that stopping or killing a node under load (wrk) loses no request that
the load balancer can retry. It stops all of it in ``finally``. About 45 s; PostgreSQL only,
and skipped (saying why) where HAProxy, wrk, Redis or the PostgreSQL server binaries are
missing. ``-m cluster`` selects it; it runs in the normal suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from govdesk.accounts.models import User
from tests.conftest import PASSPHRASE, PASSWORD

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "cluster.py"
#: The whole run, replica and processes included; the script itself needs about 40 s.
TIMEOUT = 150


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{quote(db['USER'])}{password}@{host}:{port}/{db['NAME']}"


def test_two_nodes_a_replica_and_two_workers_behave_as_one(
    loaded: None, pki_dir: Path, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the cluster check needs PostgreSQL (a streaming replica of it)")
    for tool in ("haproxy", "wrk"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make setup installs it)")
    # The app nodes check passwords with the production hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    clerk = User.objects.get(username="clerk.chunlei")
    clerk.set_password(PASSWORD)
    clerk.save(update_fields=["password"])
    connection.close()  # the script's processes are the only users from here on
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVDESK_", "DATABASE_"))}
    env.update(
        {
            # The keys this test database's audit trail and signing keys were made with.
            "GOVDESK_SECRET_KEY": django_settings.SECRET_KEY,
            "GOVDESK_AUDIT_KEY": django_settings.AUDIT_KEY,
            "GOVDESK_AUDIT_CHECKPOINT_KEY": django_settings.AUDIT_CHECKPOINT_KEY,
            "GOVDESK_PKI_DIR": str(pki_dir),
            "GOVDESK_SIGNING_KEY_PASSPHRASE": PASSPHRASE,
        }
    )
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(SCRIPT),
            "--checks-only",
            "--database-url",
            _database_url(),
            "--staff-password",
            PASSWORD,
            "--kill-seconds",
            "5",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = done.stdout + done.stderr
    print(f"\n{output}\n({time.monotonic() - started:.0f} s)")
    if done.returncode == 3:
        reason = next((line for line in output.splitlines() if line.startswith("skip:")), output)
        pytest.skip(reason)
    assert done.returncode == 0, output
