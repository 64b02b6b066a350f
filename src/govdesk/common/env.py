"""Settings from environment variables, through one helper that documents each of them.

Every variable is declared once with its help text; ``govdesk settings-help`` prints them and a
test checks that ``.env.example`` lists them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EnvVar:
    name: str
    default: str
    help: str
    secret: bool = False


DECLARED: dict[str, EnvVar] = {}


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from ``path`` into os.environ (existing variables win)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip().strip('"').strip("'")
        os.environ.setdefault(key.strip(), value)


def _declare(name: str, default: str, help: str, secret: bool) -> str:
    DECLARED[name] = EnvVar(name=name, default=default, help=help, secret=secret)
    return os.environ.get(name, default)


def env_str(name: str, default: str, help: str, *, secret: bool = False) -> str:
    return _declare(name, default, help, secret)


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def env_bool(name: str, default: bool, help: str) -> bool:
    return _parse_bool(name, _declare(name, "true" if default else "false", help, False))


def env_bool_or_none(name: str, help: str) -> bool | None:
    """A true/false variable whose default depends on others: None when it is unset or empty,
    for the settings to decide (the help text says how)."""
    raw = _declare(name, "", help, False)
    return _parse_bool(name, raw) if raw.strip() else None


def env_int(name: str, default: int, help: str) -> int:
    raw = _declare(name, str(default), help, False)
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, not {raw!r}") from exc


def env_float(name: str, default: float, help: str) -> float:
    raw = _declare(name, f"{default:g}", help, False)
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: list[str], help: str) -> list[str]:
    raw = _declare(name, ",".join(default), help, False)
    return [item.strip() for item in raw.split(",") if item.strip()]
