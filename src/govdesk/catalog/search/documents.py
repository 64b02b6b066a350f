"""What search finds and returns: :class:`SearchDoc` (one catalogue entry as plain data) and
:class:`Hit` (a document with its score and reasons), and :func:`docs_from_yaml`, which reads
the documents and synonym groups straight from a catalogue data folder (tests, benchmarks;
the running site builds its documents from the database in ``catalog.selectors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

Kind = Literal["matter", "bundle", "certificate", "forbidden"]


@dataclass(frozen=True)
class SearchDoc:
    """One searchable catalogue entry (plain data, no models)."""

    key: str
    kind: Kind
    code: str
    name: str
    aliases: tuple[str, ...]
    department: str
    text: str  # summary / conditions / purpose: matched with low weight
    popularity: float = 0.0


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    reasons: tuple[str, ...]


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    return [str(value)]


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def docs_from_yaml(folder: Path) -> tuple[list[SearchDoc], list[list[str]]]:
    """SearchDocs and synonym groups from a catalogue data folder (see SCHEMA.md).

    Matters (with their department code), bundles, certificates a community may issue
    (kind "certificate") and those it must not (kind "forbidden"); synonyms from aliases.yaml.
    Short names and English names count as aliases. Popularity is 0.
    """
    docs: list[SearchDoc] = []
    departments: dict[str, list[str]] = {}
    for dep in _read_yaml(folder / "departments.yaml") or []:
        if isinstance(dep, dict) and dep.get("code"):
            departments[str(dep["code"])] = _strings([dep.get("name"), dep.get("short_name")])

    def en_name(entry: dict[str, Any]) -> list[str]:
        en = entry.get("en")
        names = _strings(entry.get("name_en"))
        if isinstance(en, dict):
            names += _strings(en.get("name"))
        return names

    def aliases_of(entry: dict[str, Any]) -> tuple[str, ...]:
        raw = [*_strings(entry.get("short_name")), *_strings(entry.get("aliases")), *en_name(entry)]
        name = str(entry.get("name", ""))
        return tuple(a for a in dict.fromkeys(raw) if a and a != name)

    for path in sorted((folder / "matters").glob("*.yaml")):
        data = _read_yaml(path) or {}
        dept = str(data.get("department", path.stem))
        for m in data.get("matters") or []:
            if not isinstance(m, dict) or not m.get("name"):
                continue
            text = " ".join(
                [
                    *_strings(m.get("summary")),
                    *_strings(m.get("category")),
                    *_strings(m.get("life_events")),
                    *_strings(m.get("audience")),
                    *_strings(m.get("conditions")),
                    *departments.get(dept, []),
                ]
            )
            docs.append(
                SearchDoc(
                    key=f"matter:{m.get('code', m['name'])}",
                    kind="matter",
                    code=str(m.get("code", "")),
                    name=str(m["name"]),
                    aliases=aliases_of(m),
                    department=dept,
                    text=text,
                )
            )

    for b in _read_yaml(folder / "bundles.yaml") or []:
        if not isinstance(b, dict) or not b.get("name"):
            continue
        steps = [str(s.get("matter", "")) for s in b.get("steps") or [] if isinstance(s, dict)]
        text = " ".join(
            [
                *_strings(b.get("summary")),
                *_strings(b.get("life_events")),
                *steps,
                *_strings(b.get("outside_parties")),
            ]
        )
        docs.append(
            SearchDoc(
                key=f"bundle:{b.get('code', b['name'])}",
                kind="bundle",
                code=str(b.get("code", "")),
                name=str(b["name"]),
                aliases=aliases_of(b),
                department="",
                text=text,
            )
        )

    certificates = _read_yaml(folder / "certificates.yaml") or {}
    for c in certificates.get("allowed") or []:
        if not isinstance(c, dict) or not c.get("name"):
            continue
        docs.append(
            SearchDoc(
                key=f"certificate:{c.get('code', c['name'])}",
                kind="certificate",
                code=str(c.get("code", "")),
                name=str(c["name"]),
                aliases=aliases_of(c),
                department=str(c.get("department", "")),
                text=" ".join(_strings(c.get("purpose"))),
            )
        )
    for f in certificates.get("forbidden") or []:
        if not isinstance(f, dict) or not f.get("name"):
            continue
        docs.append(
            SearchDoc(
                key=f"forbidden:{f.get('code') or f['name']}",
                kind="forbidden",
                code=str(f.get("code", "")),
                name=str(f["name"]),
                aliases=aliases_of(f),
                department=str(f.get("instead_department", "")),
                text=" ".join(_strings(f.get("instead"))),
            )
        )

    aliases = _read_yaml(folder / "aliases.yaml") or {}
    synonyms = [
        [str(w) for w in group]
        for group in aliases.get("synonyms") or []
        if isinstance(group, list) and len(group) >= 2
    ]
    return docs, synonyms
