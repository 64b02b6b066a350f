from __future__ import annotations

import re
from pathlib import Path

from govdesk.common.env import DECLARED

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_variable() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^# ([A-Z_]+)=", text, flags=re.M))
    assert set(DECLARED) <= listed, sorted(set(DECLARED) - listed)


def test_every_variable_has_help() -> None:
    assert all(len(var.help) > 10 for var in DECLARED.values())
