"""docs/security.md carries the roles × permissions table that ``govdesk security-table``
computes from the code: a policy that changes without the document fails here."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
START, END = "<!-- security-table:start -->", "<!-- security-table:end -->"


def _command_output() -> str:
    out = StringIO()
    call_command("security-table", stdout=out)
    return out.getvalue()


def test_the_documents_table_is_the_commands_output() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.S)
    assert found, f"docs/security.md has no {START} … {END} block"
    assert found.group(1).strip() == _command_output().strip(), (
        "docs/security.md's roles × permissions table differs from the code: paste the output "
        "of `govdesk security-table` between its markers"
    )


def test_the_table_reads_the_policies() -> None:
    rows = {line.split(" | ")[0].lstrip("| "): line for line in _command_output().splitlines()}
    attest = rows["Attest materials as checked at the window"]
    # resident, clerk, reviewer, approver …: only window staff attest (hardening item 5).
    assert attest.split(" | ")[1:4] == ["—", "✓", "—"]
    final = rows["`approve`: reviewed → approved (city or district matters)"]
    assert final.split(" | ")[1:5] == ["—", "—", "—", "✓"]
    assert "accounts.manage_security" in rows[next(k for k in rows if "数据局 security" in k)]
