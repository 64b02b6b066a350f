"""Adapters chosen by a setting: a built-in name (``local``) or the dotted path of a class.

The registry source, the SMS gateway and the identity provider are each chosen this way. A
factory turns the setting into an instance with :func:`adapter_class`; the app's system check
reports a setting that names nothing, or an adapter whose own ``check_config()`` finds a
problem, with :func:`adapter_problems` — so ``govdesk check`` says what is wrong before the first
request does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.utils.module_loading import import_string

T = TypeVar("T")


def adapter_class(value: str, builtin: Mapping[str, Callable[..., T]]) -> Callable[..., T]:
    """The class a setting names: one of ``builtin`` by its name, or a dotted path. Raises
    ``ImportError`` if it is neither."""
    found = builtin.get(value)
    if found is not None:
        return found
    if "." not in value:
        raise ImportError(f"{value!r} is neither a built-in name nor a dotted path")
    imported: Callable[..., T] = import_string(value)
    if not callable(imported):
        raise ImportError(f"{value!r} is not a class")
    return imported


def adapter_problems(
    setting: str, value: str, expected: str, build: Callable[[], Any]
) -> list[str]:
    """What is wrong with the adapter ``setting`` (an environment variable) chooses: it names
    nothing ``build`` can make, or the adapter's ``check_config()`` lists problems."""
    try:
        adapter = build()
    except Exception as exc:  # a check reports what is wrong; it does not crash
        return [f"{setting}={value!r} is not {expected} ({type(exc).__name__}: {exc})."]
    check = getattr(adapter, "check_config", None)
    if not callable(check):
        return []
    return [f"{setting}={value!r}: {problem}" for problem in check()]
