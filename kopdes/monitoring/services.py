"""The only writers of the rollups (`RegionStat`, `MonthStat`).

`region_stats_add` applies a change of a cooperative's measures to its village and every region
above it, inside the transaction of the service that changed the facts (see `subscribers.py`).
`rollups_fold` adds the pending `RollupDelta` rows into both tables. `rollups_rebuild`
recomputes both from the facts, set-based in the database (`rollup_sql.py`), writing only what
differs; `manage.py rebuild_rollups` and `fold_rollups` run them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zlib
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Min, Value, When

from kopdes.cooperatives.selectors import coverage_facts
from kopdes.core.audit import audit_record

from . import rollup_sql as sql
from .facts import month_of, rollups_touch, this_month
from .measures import codes_up
from .models import RegionStat

logger = logging.getLogger(__name__)

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
        rollups_touch()


def measure_deltas(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """after - before for every measure in either (a missing measure is 0)."""
    return {key: after.get(key, 0) - before.get(key, 0) for key in set(before) | set(after)}


# --- Rebuild ---------------------------------------------------------------------------------


def _coverage_rows() -> list[tuple[str, dt.date, str, int]]:
    """Each seat village's coverage measures (the cooperatives' own rule, `coverage_facts`),
    keyed to the month its first cooperative was registered."""
    from kopdes.cooperatives.models import Cooperative

    first = dict(
        Cooperative.objects.order_by()
        .values("village_id")
        .annotate(m=Min("created_at"))
        .values_list("village_id", "m")
    )
    today = this_month()
    rows: list[tuple[str, dt.date, str, int]] = []
    for village, counts in coverage_facts().items():
        month = month_of(first.get(village)) or today
        rows.extend((village, month, measure, value) for measure, value in counts.items() if value)
    return rows


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


def _step(name: str, started: float) -> None:
    logger.debug("rebuild: %s after %.1f s", name, time.perf_counter() - started)


def rollups_rebuild() -> RebuildResult:
    """Recompute every rollup (RegionStat and MonthStat) from the facts, set-based in the database
    (`rollup_sql`), and write only what differs from the tables the subscribers kept."""
    started = time.perf_counter()
    with transaction.atomic(), sql.rebuild_session():
        return _rebuild(started)


def _rebuild(started: float) -> RebuildResult:
    from .models import MonthStat

    _lock()
    rollups_touch()  # the dashboards kept in memory are read again once this commits
    # What is pending belongs in the tables already: fold it, so what differs below is a repair.
    _fold_pending()
    coverage = _coverage_rows()
    cooperatives = sum(value for _, _, measure, value in coverage if measure == "cooperatives")
    _step("coverage read", started)
    try:
        sql.facts_fill(coverage)
        del coverage
        _step("facts", started)
        sql.months_fill()
        sql.states_fill()
        _step("levels", started)
        # New rows go in by month (MonthStat) and by measure (RegionStat): what a fold moves
        # together shares pages. One key each: sorting millions of rows on the whole key took
        # PostgreSQL 11 s more than on the month alone (ADR 13).
        month_changes = sum(sql.apply(MonthStat, sql.MONTHS, ("region_code", "measure", "month"), ("month",)))
        created, updated, deleted = sql.apply(
            RegionStat, sql.STATES, ("region_code", "measure"), ("measure",)
        )
        _step("written", started)
        rows, regions, month_rows = sql.totals()
    finally:
        sql.drop_temps()
    if created or updated or deleted or month_changes:
        # Rollups the subscribers kept should need no repair: when a rebuild finds some, say so.
        changes = {"created": created, "updated": updated, "deleted": deleted}
        if month_changes:
            changes["monthly_rows_changed"] = month_changes
        audit_record(
            actor=None,
            action="monitoring.rollups.rebuild",
            object_type="monitoring.regionstat",
            object_repr="Coverage rollups",
            changes=changes,
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


def _fold_pending() -> tuple[int, int]:
    """Fold every pending delta (the caller holds the lock): (deltas, rows written)."""
    from .models import MonthStat, RollupDelta

    last = RollupDelta.objects.order_by("-id").values_list("id", flat=True).first()
    if last is None:
        return 0, 0
    pending = RollupDelta.objects.filter(id__lte=last)
    written = sql.fold_deltas(
        last, sql.table_of(MonthStat), sql.table_of(RegionStat), sql.table_of(RollupDelta)
    )
    count = pending._raw_delete(pending.db)  # plain rows with nothing pointing at them: one DELETE
    return count, written


def rollups_fold() -> FoldResult:
    """Add the pending RollupDelta rows into MonthStat (every level, nation too) and the folded
    states into RegionStat, then remove them: one transaction, under the rollup lock, a few
    set-based statements whatever the number of deltas."""
    started = time.perf_counter()
    with transaction.atomic():
        _lock()
        if connection.vendor == "postgresql":
            # The pending rows are grouped in memory (4 MB, the default, spilled 35,000 to disk).
            sql.execute("SET LOCAL work_mem = '64MB'")
        count, written = _fold_pending()
        if count:
            rollups_touch()
    return FoldResult(count, written, time.perf_counter() - started)
