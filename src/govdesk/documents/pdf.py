"""Printable documents (application forms, certificates) rendered from data as PDF with Typst.

Pure: no database, no Django settings needed to import. ``render(template, data)`` checks first
that every character of ``data`` can be printed with the fonts the templates name, so that no
document with a missing glyph (a tofu box in a resident's name) is ever issued.

Fonts come from ``GOVDESK_FONT_PATHS`` (colon-separated folders or font files) or else the Debian
packages fonts-noto-cjk and fonts-hanazono. The templates ask for these families, in this order of
fallback; the coverage check reads exactly these families' character maps.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: The families the templates name (``serif`` and ``sans`` in application_form.typ).
FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "HanaMinA", "HanaMinB")
#: Without these no Chinese text can be printed at all.
REQUIRED_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")
DEBIAN_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/noto"),  # fonts-noto-cjk
    Path("/usr/share/fonts/truetype/hanazono"),  # fonts-hanazono
)
FONT_PATHS_VAR = "GOVDESK_FONT_PATHS"
FONT_SUFFIXES = frozenset({".ttf", ".otf", ".ttc", ".otc"})
COLLECTION_SUFFIXES = frozenset({".ttc", ".otc"})

#: Keys whose values are image payloads embedded as pictures, not text set in a font.
IMAGE_KEYS = frozenset({"qr_svg"})

_TEMPLATE_NAME = re.compile(r"[a-z][a-z0-9_]*")


def gettext_noop(message: str) -> str:
    """Mark ``message`` for makemessages; unlike Django's, usable without settings."""
    return message


_UNCOVERED = gettext_noop(
    "These characters cannot be printed with the installed fonts: {characters}. Nothing was issued."
)


class UncoveredCharacters(ValueError):
    """Some characters of the data have no glyph in any font the templates use."""

    def __init__(self, characters: Iterable[str]) -> None:
        self.characters: list[str] = list(dict.fromkeys(characters))
        self.code_points: list[int] = [ord(c) for c in self.characters]
        self.listing = "、".join(f"{c} (U+{ord(c):04X})" for c in self.characters)
        self.message = format_lazy(gettext_lazy(_UNCOVERED), characters=self.listing)
        super().__init__(self.listing)

    def __str__(self) -> str:
        try:
            return str(self.message)
        except (ImproperlyConfigured, AppRegistryNotReady):  # no Django translation available
            return _UNCOVERED.format(characters=self.listing)


class FontsMissing(RuntimeError):
    """The fonts the templates need are not installed (an operator's problem, not a user's)."""


def font_paths() -> list[Path]:
    """Folders (or font files) to take fonts from: GOVDESK_FONT_PATHS, else the Debian ones."""
    raw = os.environ.get(FONT_PATHS_VAR, "")
    configured = [Path(p).expanduser() for p in raw.split(":") if p.strip()]
    candidates = configured or list(DEBIAN_FONT_PATHS)
    existing = [p for p in candidates if p.exists()]
    if not existing:
        where = (
            f"{FONT_PATHS_VAR}={raw!r}"
            if configured
            else ", ".join(str(p) for p in DEBIAN_FONT_PATHS)
        )
        raise FontsMissing(
            f"No fonts for printing documents: none of {where} exists. Install the Debian "
            f"packages fonts-noto-cjk and fonts-hanazono (apt-get install fonts-noto-cjk "
            f"fonts-hanazono) or set {FONT_PATHS_VAR} to folders holding the families "
            f"{', '.join(FONT_FAMILIES)}."
        )
    return existing


def _font_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in FONT_SUFFIXES))
        elif path.suffix.lower() in FONT_SUFFIXES:
            files.append(path)
    return files


def _family(font: Any) -> str:
    name = font["name"]
    return str(name.getDebugName(16) or name.getDebugName(1) or "")


@lru_cache(maxsize=4)
def _coverage(paths: tuple[Path, ...]) -> tuple[frozenset[int], frozenset[str]]:
    from fontTools.ttLib import TTCollection, TTFont

    covered: set[int] = set()
    found: set[str] = set()
    for file in _font_files(paths):
        collection = file.suffix.lower() in COLLECTION_SUFFIXES
        opener: Any = TTCollection if collection else TTFont
        with opener(str(file), lazy=True) as font:
            for face in font.fonts if collection else [font]:
                family = _family(face)
                if family in FONT_FAMILIES:
                    found.add(family)
                    covered.update(face.getBestCmap() or {})
    return frozenset(covered), frozenset(found)


def coverage() -> frozenset[int]:
    """Code points printable with the template fonts (cached: ~1 s the first time, then free)."""
    paths = tuple(font_paths())
    covered, found = _coverage(paths)
    if not found.intersection(REQUIRED_FAMILIES):
        raise FontsMissing(
            f"The fonts {', '.join(REQUIRED_FAMILIES)} were not found in "
            f"{', '.join(str(p) for p in paths)}. Install the Debian packages fonts-noto-cjk "
            f"and fonts-hanazono, or point {FONT_PATHS_VAR} at folders holding them."
        )
    return covered


def _ignorable(char: str) -> bool:
    """Whitespace, control and format characters and variation selectors need no glyph."""
    if char.isspace():
        return True
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True
    return unicodedata.category(char) in {"Cc", "Cf", "Zs", "Zl", "Zp"}


def check_coverage(texts: Iterable[str]) -> None:
    """Raise UncoveredCharacters if any character of ``texts`` has no glyph in the fonts."""
    covered = coverage()
    missing: dict[str, None] = {}
    for text in texts:
        for char in text:
            if ord(char) not in covered and char not in missing and not _ignorable(char):
                missing[char] = None
    if missing:
        raise UncoveredCharacters(missing)


def strings(data: Any) -> Iterator[str]:
    """Every string in ``data`` that may be printed: values and keys, recursively."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str):
                yield key
                if key in IMAGE_KEYS:
                    continue
            yield from strings(value)
    elif isinstance(data, list | tuple | set | frozenset):
        for item in data:
            yield from strings(item)


def template_path(template: str) -> Path:
    if not _TEMPLATE_NAME.fullmatch(template):
        raise ValueError(f"Not a template name: {template!r}")
    path = TEMPLATES_DIR / f"{template}.typ"
    if not path.is_file():
        raise ValueError(f"No such template: {template!r} (looked for {path})")
    return path


def _typst_font_dirs(paths: Iterable[Path]) -> list[str]:
    """Typst takes folders only: a font file given alone stands for its folder."""
    dirs = [p if p.is_dir() else p.parent for p in paths]
    return [str(d) for d in dict.fromkeys(dirs)]


@lru_cache(maxsize=4)
def _fonts(paths: tuple[Path, ...]) -> Any:
    import typst

    return typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=False,
        font_paths=_typst_font_dirs(paths),
    )


_compilers: dict[tuple[str, tuple[Path, ...]], tuple[Any, threading.Lock]] = {}
_compilers_lock = threading.Lock()


def _compiler(template: str, paths: tuple[Path, ...]) -> tuple[Any, threading.Lock]:
    """One Typst compiler per template, kept: fonts are parsed once, then reused."""
    key = (template, paths)
    with _compilers_lock:
        if key not in _compilers:
            import typst

            compiler = typst.Compiler(
                input=str(template_path(template)),
                root=str(TEMPLATES_DIR),
                font_paths=_fonts(paths),
                ignore_system_fonts=True,
            )
            _compilers[key] = (compiler, threading.Lock())
        return _compilers[key]


def render(template: str, data: Mapping[str, Any]) -> bytes:
    """Render ``templates/<template>.typ`` with ``data`` to PDF bytes.

    Raises UncoveredCharacters, before anything is compiled, if a character of ``data`` cannot be
    printed; TypeError if ``data`` is not JSON-serialisable.
    """
    template_path(template)
    check_coverage(strings(data))
    payload = json.dumps(data, ensure_ascii=False)
    compiler, lock = _compiler(template, tuple(font_paths()))
    with lock:
        pdf = compiler.compile(format="pdf", sys_inputs={"data": payload})
    if not isinstance(pdf, bytes):
        raise TypeError(f"Typst returned {type(pdf).__name__} for {template!r}, not PDF bytes")
    return pdf
