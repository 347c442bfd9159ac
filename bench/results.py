"""One place for every bench's figures: `var/bench/results.json` (a list of entries) and a table.

    from results import record, since, table
    record("monitoring.rebuild", 41.2, "s", target="<= 60", ok=True, db="sqlite", scale="national")
    print(table(since(started, prefix="monitoring.")))

An entry: {name, value, unit, baseline?, ratio?, target?, ok?, db?, scale?, at} (`at`: UTC, ISO).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path

PATH = Path(
    os.environ.get("BENCH_RESULTS", Path(__file__).resolve().parent.parent / "var/bench/results.json")
)
KEEP = 5000  # the newest entries kept: the file stays small however often benches run


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def record(name: str, value: float, unit: str, **extra) -> dict:
    """Append one entry (extra: baseline, ratio, target, ok, db, scale; None values are left out)."""
    entry = {"name": name, "value": value, "unit": unit, **{k: v for k, v in extra.items() if v is not None}}
    entry["at"] = now()
    PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(PATH.with_suffix(".lock"), "w") as lock:  # benches in parallel append one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = load()
        entries.append(entry)
        tmp = PATH.with_suffix(".tmp")
        tmp.write_text(json.dumps(entries[-KEEP:], indent=1, ensure_ascii=False))
        tmp.replace(PATH)
    return entry


def load() -> list[dict]:
    try:
        return json.loads(PATH.read_text())
    except (FileNotFoundError, ValueError):
        return []


def since(started: str, prefix: str = "") -> list[dict]:
    return [e for e in load() if e.get("at", "") >= started and e["name"].startswith(prefix)]


def _num(value) -> str:
    if not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def table(entries: list[dict]) -> str:
    head = ("measure", "db", "scale", "value", "unit", "baseline", "ratio", "target", "")
    rows = [head] + [
        (
            e["name"],
            e.get("db", ""),
            e.get("scale", ""),
            _num(e["value"]),
            e["unit"],
            _num(e["baseline"]) if "baseline" in e else "",
            f"{e['ratio']:,.0f}x" if "ratio" in e else "",
            e.get("target", ""),
            {True: "ok", False: "MISSED"}.get(e.get("ok"), ""),
        )
        for e in entries
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    right = {3, 5, 6}
    return "\n".join(
        "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )
