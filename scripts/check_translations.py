#!/usr/bin/env python3
"""Fail when the Indonesian catalogue is incomplete or its compiled .mo is stale.

Usage: python scripts/check_translations.py [PO_FILE ...]
(default: kopdes/locale/id/LC_MESSAGES/django.po). Exit status 1, with the offending entries
listed, when a catalogue has an untranslated or fuzzy entry, when its .mo is missing or does not
match it (compiled before the .po last changed), or when `msgfmt -c` (if installed) rejects it.
Fix with `make messages`, translate, then compile again.

A .mo older than its .po fails only if its contents differ too: git does not keep file times, so
a fresh clone can give the .po a newer time than an up-to-date .mo.
"""

from __future__ import annotations

import ast
import gettext
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PO = ROOT / "kopdes" / "locale" / "id" / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def parse_po(path: Path) -> list[Entry]:
    """The catalogue's entries (obsolete `#~` ones left out), header included."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is None or target is not None:
                entry, target = Entry(line=number), None
                entries.append(entry)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        elif entry is None or (keyword in ("msgctxt", "msgid") and target and target[0] == "msgstr"):
            entry = Entry(line=number)
            entries.append(entry)
        if keyword:
            index = None
            if keyword.startswith("msgstr["):
                index = int(keyword[7:-1])
                keyword = "msgstr"
            elif keyword == "msgstr":
                index = 0
            target = (keyword, index)
            _set(entry, target, "")
        if target is None:
            raise SystemExit(f"{path}:{number}: cannot parse {raw!r}")
        _set(entry, target, _get(entry, target) + ast.literal_eval(rest))
    return entries


def _get(entry: Entry, target: tuple[str, int | None]) -> str:
    keyword, index = target
    if keyword == "msgstr":
        return entry.msgstr.get(index or 0, "")
    return getattr(entry, keyword) or ""


def _set(entry: Entry, target: tuple[str, int | None], value: str) -> None:
    keyword, index = target
    if keyword == "msgstr":
        entry.msgstr[index or 0] = value
    else:
        setattr(entry, keyword, value)


def _label(entry: Entry) -> str:
    text = entry.msgid if len(entry.msgid) <= 70 else entry.msgid[:67] + "..."
    return (f"[{entry.msgctxt}] " if entry.msgctxt else "") + repr(text)


def expected_catalog(entries: list[Entry]) -> dict:
    """What gettext should find in the compiled .mo: every translated, non-fuzzy entry."""
    catalog: dict = {}
    for e in entries:
        if "fuzzy" in e.flags and e.msgid:
            continue
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt is not None else e.msgid
        if e.msgid_plural is not None:
            if all(e.msgstr.values()):
                catalog.update({(key, i): s for i, s in e.msgstr.items()})
        elif e.msgstr.get(0):
            catalog[key] = e.msgstr[0]
    return catalog


def _comparable(catalog: dict) -> dict:
    """msgfmt leaves POT-Creation-Date out of the compiled header: compare without it."""
    header = "".join(line for line in catalog.get("", "").splitlines(True) if not line.startswith("POT-"))
    return {**catalog, "": header}


def check(po: Path) -> list[str]:
    try:
        rel = po.relative_to(ROOT)
    except ValueError:
        rel = po
    if not po.is_file():
        return [f"{rel}: missing"]
    problems: list[str] = []
    entries = parse_po(po)
    for e in entries:
        if not e.msgid:
            if "fuzzy" in e.flags:
                problems.append(f"{rel}:{e.line}: the header is marked fuzzy")
            continue
        if "fuzzy" in e.flags:
            problems.append(f"{rel}:{e.line}: fuzzy: {_label(e)}")
        elif not e.msgstr or not all(e.msgstr.values()):
            problems.append(f"{rel}:{e.line}: untranslated: {_label(e)}")

    msgfmt = shutil.which("msgfmt")
    if msgfmt:
        result = subprocess.run(  # noqa: S603 (our own catalogue, a fixed command)
            [msgfmt, "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
        )
        if result.returncode != 0:
            problems.extend(f"msgfmt: {line}" for line in result.stderr.splitlines() if line)

    mo = po.with_suffix(".mo")
    if not mo.is_file():
        problems.append(f"{mo.relative_to(ROOT) if mo.is_relative_to(ROOT) else mo}: missing")
    else:
        with mo.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)._catalog
        if _comparable(compiled) != _comparable(expected_catalog(entries)):
            older = mo.stat().st_mtime < po.stat().st_mtime
            problems.append(
                f"{rel}: the compiled .mo does not match the .po"
                + (" (the .mo is older)" if older else "")
                + "; run compilemessages"
            )
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(arg).resolve() for arg in argv] or [DEFAULT_PO]
    problems = [problem for po in paths for problem in check(po)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} translation problem(s).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
