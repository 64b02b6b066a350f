"""Fill the Traditional Chinese catalogue from the Simplified Chinese one.

Every entry of ``zh_Hant/LC_MESSAGES/django.po`` whose ``msgstr`` is empty or marked fuzzy
gets the ``zh_Hans`` translation of the same (``msgctxt``, ``msgid``), converted with OpenCC
(``s2twp``), and loses its fuzzy flag. Entries that already hold a non-fuzzy translation, the
header and obsolete (``#~``) entries are never touched. A ``zh_Hans`` translation that is
itself empty or fuzzy is not used; but where the ``msgid`` is itself Chinese (the Simplified
text shown when ``zh_Hans`` leaves it untranslated), the ``msgid`` is converted instead.

``s2twp`` also swaps mainland IT words for Taiwanese ones (窗口 → 視窗, 社区 → 社群,
代码 → 程式碼, 审核 → 稽核, 注销 → 登出, 通过 → 透過 …), which is right for software words
but wrong for the terms of government services. The conversion is therefore the catalogue's
own, ``govdesk.catalog.i18n.to_traditional``: its ``KEEP_TERMS`` are converted character by
character only (``s2tw``), and the rest of each string with ``s2twp``.

Only the ``msgstr`` lines, the flags line and the ``#|`` previous-string lines of a filled
entry are rewritten; every other line of the file is kept byte for byte.

Run from anywhere: ``.venv/bin/python scripts/po_hant.py [--dry-run]``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from govdesk.catalog.i18n import to_traditional

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "govdesk" / "locale"
HANS = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
HANT = LOCALE / "zh_Hant" / "LC_MESSAGES" / "django.po"

Key = tuple[str | None, str]

_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}
_ESCAPES |= {"f": "\f", "v": "\v"}
_PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifgeExXor%]|%[sdifr]|\{[^{}]*\}")
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")


class PoError(ValueError):
    """A .po file this parser cannot read."""


@dataclass
class Entry:
    """One message: its strings, flags and where its lines are in the file."""

    start: int
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    flags_line: int | None = None
    previous_lines: list[int] = field(default_factory=list)
    msgstr_start: int | None = None
    end: int = 0

    @property
    def key(self) -> Key:
        return (self.msgctxt, self.msgid or "")

    @property
    def is_header(self) -> bool:
        return self.msgctxt is None and self.msgid == ""

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and not self.fuzzy


def unquote(token: str, where: str) -> str:
    """The value of one C-style quoted string (``"..."``)."""
    token = token.strip()
    if len(token) < 2 or not token.startswith('"') or not token.endswith('"'):
        raise PoError(f"{where}: expected a quoted string, got {token!r}")
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == '"':
            raise PoError(f"{where}: unescaped quote in {token!r}")
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(body):
            raise PoError(f"{where}: dangling backslash in {token!r}")
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert digits is not None
            out.append(chr(int(digits.group(0), 8)))
            i += 1 + len(digits.group(0))
        else:
            raise PoError(f"{where}: unknown escape \\{nxt} in {token!r}")
    return "".join(out)


def quote(value: str) -> str:
    """``value`` as a C-style quoted string."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    return f'"{escaped}"'


def parse(lines: list[str], name: str) -> list[Entry]:
    """The entries of a .po file given as lines without their line endings.

    Obsolete (``#~``) entries are treated as comments and not returned.
    """
    entries: list[Entry] = []
    current: Entry | None = None
    # The field the next continuation line ("...") belongs to.
    target: tuple[str, int] | None = None
    parts: dict[tuple[str, int], list[str]] = {}

    def finish(entry: Entry | None, end: int) -> None:
        if entry is None:
            return
        if entry.msgid is None and not parts:
            return  # comments only (file trailer)
        for (kind, index), chunks in parts.items():
            value = "".join(chunks)
            if kind == "msgctxt":
                entry.msgctxt = value
            elif kind == "msgid":
                entry.msgid = value
            elif kind == "msgid_plural":
                entry.msgid_plural = value
            else:
                entry.msgstr[index] = value
        if entry.msgid is None or not entry.msgstr:
            raise PoError(f"{name}:{entry.start + 1}: entry without msgid or msgstr")
        if entry.msgid_plural is None and set(entry.msgstr) != {0}:
            raise PoError(f"{name}:{entry.start + 1}: msgstr[n] without msgid_plural")
        if entry.msgid_plural is not None and set(entry.msgstr) != set(range(len(entry.msgstr))):
            raise PoError(f"{name}:{entry.start + 1}: plural entry needs msgstr[0], msgstr[1] …")
        entry.end = end
        entries.append(entry)

    for number, raw in enumerate(lines):
        line = raw.strip()
        where = f"{name}:{number + 1}"
        if not line or line.startswith("#~"):
            if current is not None and current.msgstr_start is not None:
                finish(current, number)
                current, target, parts = None, None, {}
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr_start is not None:
                finish(current, number)
                current, target, parts = None, None, {}
            if current is None:
                current = Entry(start=number)
            if line.startswith("#,"):
                current.flags += [f.strip() for f in line[2:].split(",") if f.strip()]
                current.flags_line = number
            elif line.startswith("#|"):
                current.previous_lines.append(number)
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise PoError(f"{where}: string continuation outside an entry")
            parts[target].append(unquote(line, where))
            continue
        match = _KEYWORD.match(line)
        if match is None:
            raise PoError(f"{where}: cannot read {line!r}")
        keyword, index_text, rest = match.groups()
        kind = "msgstr" if keyword.startswith("msgstr") else keyword
        index = int(index_text) if index_text is not None else 0
        if (
            kind in ("msgctxt", "msgid")
            and current is not None
            and current.msgstr_start is not None
        ):
            finish(current, number)
            current, target, parts = None, None, {}
        if current is None:
            current = Entry(start=number)
        if kind == "msgstr" and current.msgstr_start is None:
            current.msgstr_start = number
        target = (kind, index)
        if target in parts:
            raise PoError(f"{where}: {keyword} given twice")
        parts[target] = [unquote(rest, where)]
    if current is not None:
        finish(current, len(lines))
    return entries


def nplurals(entries: list[Entry]) -> int:
    """The number of plural forms the header declares (1 when it declares none)."""
    for entry in entries:
        if entry.is_header:
            found = _NPLURALS.search(entry.msgstr.get(0, ""))
            return int(found.group(1)) if found else 1
    return 1


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def render_msgstr(value: str, keyword: str) -> list[str]:
    """``keyword "value"``, split after each embedded newline as gettext does."""
    if "\n" not in value.rstrip("\n"):
        return [f"{keyword} {quote(value)}"]
    chunks = value.splitlines(keepends=True)
    return [f'{keyword} ""', *(quote(chunk) for chunk in chunks)]


def fill(
    hans_text: str, hant_text: str, convert: Callable[[str], str] = to_traditional
) -> tuple[str, list[str]]:
    """The new zh_Hant text and a log of what was done."""
    hans_entries = parse(hans_text.splitlines(), "zh_Hans")
    hans = {entry.key: entry for entry in hans_entries}
    lines = hant_text.splitlines()
    entries = parse(lines, "zh_Hant")
    forms = nplurals(entries)
    log: list[str] = []
    # Replacements as (first line, end line, new lines); applied from the bottom up.
    edits: list[tuple[int, int, list[str]]] = []
    for entry in entries:
        if entry.is_header or entry.translated:
            continue
        source = hans.get(entry.key)
        label = repr(entry.msgid)
        if source is not None and source.translated:
            if (source.msgid_plural is None) != (entry.msgid_plural is None):
                log.append(f"singular/plural mismatch with zh_Hans, left as is: {label}")
                continue
            originals = [source.msgstr[i] for i in sorted(source.msgstr)]
        elif _CJK.search(entry.msgid or ""):
            # A Chinese msgid is its own Simplified text.
            originals = [entry.msgid or ""]
            if entry.msgid_plural is not None:
                originals.append(entry.msgid_plural)
        else:
            log.append(f"no zh_Hans translation, left as is: {label}")
            continue
        values = [convert(text) for text in originals]
        if any(placeholders(v) != placeholders(o) for v, o in zip(values, originals, strict=True)):
            log.append(f"conversion changed a placeholder, left as is: {label}")
            continue
        assert entry.msgstr_start is not None
        if entry.msgid_plural is None:
            new = render_msgstr(values[0], "msgstr")
        else:
            values = (values + [values[-1]] * forms)[:forms]
            new = [
                line
                for i, value in enumerate(values)
                for line in render_msgstr(value, f"msgstr[{i}]")
            ]
        edits.append((entry.msgstr_start, entry.end, new))
        if entry.fuzzy:
            assert entry.flags_line is not None
            rest = [flag for flag in entry.flags if flag != "fuzzy"]
            flags = ["#, " + ", ".join(rest)] if rest else []
            edits.append((entry.flags_line, entry.flags_line + 1, flags))
            edits += [(n, n + 1, []) for n in entry.previous_lines]
        log.append(f"filled: {label} -> {values[0]!r}")
    # msgstr blocks run to the entry's end; drop trailing blank lines from that span.
    for first, end, new in sorted(edits, reverse=True):
        while end > first and not lines[end - 1].strip():
            end -= 1
        lines[first:end] = new
    text = "\n".join(lines)
    if hant_text.endswith("\n"):
        text += "\n"
    return text, log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hans", type=Path, default=HANS, help="source zh_Hans .po file")
    parser.add_argument("--hant", type=Path, default=HANT, help="zh_Hant .po file to fill")
    parser.add_argument("--dry-run", action="store_true", help="report, do not write")
    args = parser.parse_args(argv)
    hans_path: Path = args.hans
    hant_path: Path = args.hant
    try:
        text, log = fill(
            hans_path.read_text(encoding="utf-8"),
            hant_path.read_text(encoding="utf-8"),
        )
    except PoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in log:
        print(line)
    filled = sum(line.startswith("filled:") for line in log)
    print(f"{filled} entries filled, {len(log) - filled} left as they were", file=sys.stderr)
    if not args.dry_run and filled:
        hant_path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
