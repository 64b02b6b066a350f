"""Catalogue text in the reader's language, for templates.

``{{ matter|local_name }}``: a matter's (or bundle's, certificate type's) name — English from its
``en`` block, Traditional Chinese converted with opencc, Simplified as stored.
``{{ some_text|local_text }}``: a catalogue string (a name already copied elsewhere) in the
reader's script: converted for zh-Hant, unchanged otherwise.
"""

from __future__ import annotations

from typing import Any

from django import template

from govdesk.catalog.i18n import text

register = template.Library()


@register.filter
def local_name(entry: Any) -> str:
    if entry is None:
        return ""
    if isinstance(entry, dict):
        name = entry.get("name", "")
        en = entry.get("en") or {"name": entry.get("name_en", "")}
    else:
        name = entry.name
        en = getattr(entry, "en", None) or {"name": getattr(entry, "name_en", "")}
    return str(text(name, en, "name"))


@register.filter
def local_text(value: Any) -> str:
    if not isinstance(value, str):
        return "" if value is None else str(value)
    return str(text(value))
