"""The only writers of the coverage rollups (`RegionStat`).

`region_stats_add` applies a change of a cooperative's measures to its village and every region
above it, inside the transaction of the service that changed the facts (see `subscribers.py`).
`rollups_rebuild` recomputes the whole table from the cooperative tables with a few aggregate
queries; `manage.py rebuild_rollups` runs it.
"""

from __future__ import annotations

import time
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import BigIntegerField, Case, F, Value, When

from kopdes.cooperatives.selectors import coverage_facts
from kopdes.core.audit import audit_record

from .measures import codes_up, is_coverage, is_state, month_codes, parent_code
from .models import RegionStat

# Every writer of RegionStat takes this lock first (PostgreSQL only; SQLite runs one writer at
# a time anyway). Without it, two transactions that each publish several events (an import, a
# bulk change) could lock the nation's rows of different measures in opposite orders and
# deadlock; with it they queue. The rebuild takes it too, so no event slips between the rebuild
# reading the facts and replacing the table.
_LOCK_KEY = zlib.crc32(b"kopdes.monitoring.region_stats")


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def region_stats_add(*, region_code: str, deltas: dict[str, int]) -> None:
    """Add `deltas` (measure → change) to a region and to every region above it, the nation too."""
    deltas = {measure: delta for measure, delta in deltas.items() if delta}
    if not deltas:
        return
    codes = codes_up(region_code)
    increment: Value | Case
    if len(set(deltas.values())) == 1:
        increment = Value(next(iter(deltas.values())), output_field=BigIntegerField())
    else:
        increment = Case(
            *[When(measure=measure, then=Value(delta)) for measure, delta in deltas.items()],
            default=Value(0),
            output_field=BigIntegerField(),
        )
    # No savepoint of its own: a failure here fails the service that published the event, whole.
    with transaction.atomic(savepoint=False):
        _lock()
        # Rows that do not exist yet are created at 0 (when another transaction creates the same
        # row first, ours is skipped), then every row moves by its delta in one
        # UPDATE … SET value = value + delta: no read-modify-write for a concurrent writer to undo.
        RegionStat.objects.bulk_create(
            [RegionStat(region_code=code, measure=m, value=0) for code in codes for m in sorted(deltas)],
            ignore_conflicts=True,
        )
        RegionStat.objects.filter(region_code__in=codes, measure__in=list(deltas)).update(
            value=F("value") + increment
        )


def measure_deltas(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """after - before for every measure in either (a missing measure is 0)."""
    return {key: after.get(key, 0) - before.get(key, 0) for key in set(before) | set(after)}


# --- Rebuild ---------------------------------------------------------------------------------


def village_measures() -> dict[str, dict[str, int]]:
    """Each seat village's measures, summed over its cooperatives (a few aggregate queries)."""
    return coverage_facts()


def roll_up(by_village: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Village sums added up into districts, regencies, provinces and the nation ("")."""
    table: dict[str, dict[str, int]] = dict(by_village)
    level = by_village
    for _ in range(4):  # village → district → regency → province → nation
        above: dict[str, dict[str, int]] = defaultdict(dict)
        for code, counts in level.items():
            sums = above[parent_code(code)]
            for measure, value in counts.items():
                sums[measure] = sums.get(measure, 0) + value
        table.update(above)
        level = above
    return table


def _rows(table: dict[str, dict[str, int]]) -> Iterator[tuple[str, str, int]]:
    # In index order: the unique index grows at its end instead of all over the tree.
    for code in sorted(table):
        counts = table[code]
        for measure in sorted(counts):
            if counts[measure]:
                yield code, measure, counts[measure]


def _insert(rows: Iterable[tuple[str, str, int]]) -> int:
    # Up to half a million plain rows: a prepared INSERT (COPY on PostgreSQL), no model
    # instances, as the region loader does.
    quote = connection.ops.quote_name
    table = quote(RegionStat._meta.db_table)
    columns = ", ".join(quote(name) for name in ("region_code", "measure", "value"))
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s)"  # noqa: S608
        batch: list[tuple[str, str, int]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


@dataclass
class RebuildResult:
    cooperatives: int
    regions: int
    rows: int
    created: int
    updated: int
    deleted: int
    seconds: float
    month_rows: int = 0


def _replace(table: dict[str, dict[str, int]]) -> tuple[int, int, int]:
    """Make RegionStat hold exactly `table`'s non-zero values, writing only what differs.

    The common case, a table the subscribers kept right, writes nothing: no rewrite of half a
    million rows, no dead rows for PostgreSQL to vacuum. `table` is consumed.
    """
    quote = connection.ops.quote_name
    name = quote(RegionStat._meta.db_table)
    updates: list[tuple[int, int]] = []
    deletes: list[int] = []
    # A server-side cursor on PostgreSQL: the current rows stream in, never all in memory at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT id, region_code, measure, value FROM {name}")  # noqa: S608
        while chunk := cursor.fetchmany(10_000):
            for pk, code, measure, value in chunk:
                wanted = table.get(code, {}).pop(measure, 0)
                if not wanted:
                    deletes.append(pk)
                elif wanted != value:
                    updates.append((wanted, pk))
    with connection.cursor() as cursor:
        for start in range(0, len(deletes), 1000):
            ids = deletes[start : start + 1000]
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(f"DELETE FROM {name} WHERE id IN ({marks})", ids)  # noqa: S608
        if updates:
            cursor.executemany(f"UPDATE {name} SET value = %s WHERE id = %s", updates)  # noqa: S608
    created = _insert(_rows(table))  # what is left: rows the table did not have
    changed = created + len(updates) + len(deletes)
    if connection.vendor == "postgresql" and changed > 10_000:
        # Fresh statistics at once: a planner that still believes the table empty scans all of it
        # for the nation's 39 codes (50 ms instead of 0.5) until autovacuum gets round to it.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {name}")
    return created, len(updates), len(deletes)


def _monthly_tables() -> tuple[dict[tuple[str, object, str], int], dict[tuple[str, str], int]]:
    """From the facts: MonthStat's rows (district and above) and the folded states (every level)."""
    from .facts import monthly_facts

    monthly: dict[tuple[str, object, str], int] = defaultdict(int)
    states: dict[tuple[str, str], int] = defaultdict(int)
    for (code, month, measure), value in monthly_facts().items():
        for up in month_codes(code):
            monthly[up, month, measure] += value
        if is_state(measure) and not is_coverage(measure):
            for up in codes_up(code):
                states[up, measure] += value
    return monthly, states


def _replace_months(monthly: dict[tuple[str, object, str], int]) -> int:
    """Make MonthStat hold exactly `monthly` (a few hundred thousand rows at most: rewritten), and
    drop the pending deltas, which the facts already include."""
    from .models import MonthStat, RollupDelta

    RollupDelta.objects.all().delete()
    MonthStat.objects.all().delete()
    rows: list[Any] = [
        (code, month, measure, value) for (code, month, measure), value in sorted(monthly.items()) if value
    ]
    quote = connection.ops.quote_name
    table = quote(MonthStat._meta.db_table)
    columns = ", ".join(quote(name) for name in ("region_code", "month", "measure", "value"))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608
            for start in range(0, len(rows), 10_000):
                cursor.executemany(sql, rows[start : start + 10_000])
    return len(rows)


@transaction.atomic
def rollups_rebuild() -> RebuildResult:
    """Recompute every region's coverage measures from the cooperative tables; replace the table."""
    started = time.perf_counter()
    _lock()
    by_village = village_measures()
    cooperatives = sum(c["cooperatives"] for c in by_village.values())
    table = roll_up(by_village)
    monthly, states = _monthly_tables()
    for (code, measure), value in states.items():
        counts = table.setdefault(code, {})
        counts[measure] = counts.get(measure, 0) + value
    month_rows = _replace_months(monthly)
    regions = sum(1 for counts in table.values() if any(counts.values()))
    rows = sum(1 for counts in table.values() for value in counts.values() if value)
    created, updated, deleted = _replace(table)
    if created or updated or deleted:
        # Rollups the subscribers kept should need no repair: when a rebuild finds some, say so.
        audit_record(
            actor=None,
            action="monitoring.rollups.rebuild",
            object_type="monitoring.regionstat",
            object_repr="Coverage rollups",
            changes={"created": created, "updated": updated, "deleted": deleted},
        )
    return RebuildResult(
        cooperatives=cooperatives,
        regions=regions,
        rows=rows,
        month_rows=month_rows,
        created=created,
        updated=updated,
        deleted=deleted,
        seconds=time.perf_counter() - started,
    )


# --- Monthly rollups: the fold ----------------------------------------------------------------


@dataclass
class FoldResult:
    deltas: int
    rows: int
    seconds: float


def _upsert(table_model, keys: tuple[str, ...], rows: list[tuple]) -> None:
    """Add each row's last value to the row with its key, creating it at that value if missing."""
    quote = connection.ops.quote_name
    table = quote(table_model._meta.db_table)
    columns = ", ".join(quote(k) for k in (*keys, "value"))
    conflict = ", ".join(quote(k) for k in keys)
    marks = ", ".join(["%s"] * (len(keys) + 1))
    value = quote("value")
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608  (names are ours)
        f"ON CONFLICT ({conflict}) DO UPDATE SET {value} = {table}.{value} + excluded.{value}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def rollups_fold() -> FoldResult:
    """Add the pending RollupDelta rows into MonthStat (every level, nation too) and the folded
    states into RegionStat, then remove them: one transaction, under the rollup lock."""
    from .models import MonthStat, RollupDelta

    started = time.perf_counter()
    with transaction.atomic():
        _lock()
        last = RollupDelta.objects.order_by("-id").values_list("id", flat=True).first()
        if last is None:
            return FoldResult(0, 0, time.perf_counter() - started)
        pending = RollupDelta.objects.filter(id__lte=last)
        count = pending.count()
        grouped = (
            pending.order_by()
            .values_list("region_code", "month", "measure")
            .annotate(total=models.Sum("delta"))
        )
        monthly: dict[tuple[str, object, str], int] = defaultdict(int)
        states: dict[tuple[str, str], int] = defaultdict(int)
        for code, month, measure, total in grouped:
            if not total:
                continue
            state = is_state(measure) and not is_coverage(measure)
            for up in month_codes(code):
                monthly[up, month, measure] += total
            if state:
                for up in codes_up(code):
                    states[up, measure] += total
        month_rows = [(c, mo, m, v) for (c, mo, m), v in sorted(monthly.items()) if v]
        state_rows = [(c, m, v) for (c, m), v in sorted(states.items()) if v]
        _upsert(MonthStat, ("region_code", "month", "measure"), month_rows)
        _upsert(RegionStat, ("region_code", "measure"), state_rows)
        pending.delete()
    return FoldResult(count, len(month_rows) + len(state_rows), time.perf_counter() - started)
