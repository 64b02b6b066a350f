"""What every benchmark prints first: the machine it ran on, and how busy it was."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    return _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"


def ram_gib() -> float:
    total = _proc_field("/proc/meminfo", "MemTotal")
    return int(total.split()[0]) / 1024 / 1024 if total else 0.0


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "?"
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


def machine_rows() -> list[tuple[str, str]]:
    """(label, value) pairs: CPU, cores, RAM, OS, Python, load."""
    return [
        ("CPU", cpu_model()),
        ("cores", str(os.cpu_count())),
        ("RAM", f"{ram_gib():.1f} GiB"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("load", load_average()),
    ]


def machine_line() -> str:
    return "; ".join(f"{label}: {value}" for label, value in machine_rows())
