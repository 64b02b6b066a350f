"""Write .env.example from the settings' declared environment variables."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdesk.settings")
    import django

    django.setup()
    from govdesk.common.env import DECLARED

    lines = [
        "# govdesk configuration. Copy to .env (read at start-up) or set in the environment.",
        "# Every variable is optional for the demo; set the keys and hosts in production.",
        "",
    ]
    for var in DECLARED.values():
        lines += ["# " + line for line in textwrap.wrap(var.help, 96)]
        hidden = var.secret or var.name in {"GOVDESK_VAR_DIR", "DATABASE_URL"}
        default = "" if hidden else var.default
        lines += [f"# {var.name}={default}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        current = (ROOT / ".env.example").read_text(encoding="utf-8")
        sys.exit(0 if current == text else 1)
    (ROOT / ".env.example").write_text(text, encoding="utf-8")
