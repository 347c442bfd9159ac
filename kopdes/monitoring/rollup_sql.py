# ruff: noqa: S608  (every name in these statements is ours: tables from the models, fixed measures)
"""The rollups as set-based SQL: the same statements on PostgreSQL and SQLite.

Millions of rows never pass through Python. The rebuild fills a temporary table of facts
(region, month, measure, value) with one aggregate `INSERT … SELECT` per kind of fact, adds them
up level by level (village → district → regency → province → nation) into a second temporary
table, and applies the difference to the rollup tables with three statements (delete what is
gone, update what changed, insert what is new). The fold adds the pending deltas into every level
with one `INSERT … SELECT … ON CONFLICT DO UPDATE` per level.

Region codes have a fixed width per level (Kemendagri): "53", "53.07", "53.07.01",
"53.07.01.2001", so a region's ancestor at a level is a prefix of its code of that length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .measures import FOLDED_STATE_PREFIXES

# Code length of each level: nation, province, regency, district, village.
NATION, PROVINCE, REGENCY, DISTRICT, VILLAGE = 0, 2, 5, 8, 13
# MonthStat keeps every level above the village (a village reads its cooperative's facts);
# RegionStat keeps states at every level, the village too.
MONTH_LEVELS = (DISTRICT, REGENCY, PROVINCE, NATION)
STATE_LEVELS = (VILLAGE, DISTRICT, REGENCY, PROVINCE, NATION)

FACTS = "monitoring_rebuild_facts"
MONTHS = "monitoring_rebuild_months"
STATES = "monitoring_rebuild_states"


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def table_of(model) -> str:
    return q(model._meta.db_table)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def prefix(column: str, length: int) -> str:
    """The code of the ancestor at a level (`length` characters of the code; "" the nation)."""
    return "''" if length == NATION else f"substr({column}, 1, {length})"


def at_level(column: str, length: int) -> str:
    """Codes with an ancestor at that level: every code is below the nation."""
    return "1 = 1" if length == NATION else f"length({column}) >= {length}"


def _offset_minutes() -> int:
    # Indonesia's zones (WIB, WITA, WIT) keep one offset all year: the month of a UTC timestamp
    # in local time is a fixed shift away, the same answer as Django's TruncMonth.
    offset = timezone.get_current_timezone().utcoffset(dt.datetime(2026, 1, 1))
    return int(offset.total_seconds() // 60) if offset else 0


def month_of_moment(column: str) -> str:
    """SQL for the first day of the local month of a timestamp column."""
    if _pg():
        return f"(date_trunc('month', {column} AT TIME ZONE '{settings.TIME_ZONE}'))::date"
    return f"date({column}, '{_offset_minutes():+d} minutes', 'start of month')"


def month_of_day(column: str) -> str:
    """SQL for the first day of the month of a date column."""
    if _pg():
        return f"(date_trunc('month', {column}))::date"
    return f"date({column}, 'start of month')"


def starts_with(column: str, prefixes: Iterable[str]) -> str:
    return "(" + " OR ".join(f"substr({column}, 1, {len(p)}) = '{p}'" for p in prefixes) + ")"


def folded_state(column: str) -> str:
    """The measures the fold also keeps in RegionStat (states other than coverage's own)."""
    return starts_with(column, FOLDED_STATE_PREFIXES)


def execute(sql: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# --- The facts, from the tables ---------------------------------------------------------------


def fact_selects() -> list[tuple[str, str]]:
    """(kind, SELECT region, month, measure, value) for every kind of fact; kind "s" is a state
    (counted where it stands, keyed to the month of its last change), "f" a flow (counted in
    the month it happened). The same contributions as `facts.py` records as they happen."""
    from kopdes.cooperatives.models import Cooperative
    from kopdes.market.models import DisplayPoint, DisplaySale, Order, OrderLine
    from kopdes.products.models import CurationRound, FeaturedProduct, Licence, Potential, Product

    product, potential = table_of(Product), table_of(Potential)
    rounds, licence, featured = table_of(CurationRound), table_of(Licence), table_of(FeaturedProduct)
    order, line, cooperative = table_of(Order), table_of(OrderLine), table_of(Cooperative)
    sale, point = table_of(DisplaySale), table_of(DisplayPoint)
    m, d = month_of_moment, month_of_day
    seller = f"{order} o JOIN {cooperative} c ON c.id = o.cooperative_id"
    decided = (
        f"{rounds} r JOIN {product} p ON p.id = r.product_id "
        "WHERE r.status = 'decided' AND r.decided_at IS NOT NULL"
    )

    def by(region: str, month: str, measure: str, value: str, source: str) -> str:
        # Grouped by region, month and (when it varies with the row) the measure.
        groups = "1, 2, 3" if "||" in measure else "1, 2"
        return f"SELECT {region}, {month}, {measure}, {value} FROM {source} GROUP BY {groups}"

    selects = [
        ("s", by("village_id", m("updated_at"), "'products:' || status", "COUNT(*)", product)),
        ("s", by("village_id", m("updated_at"), "'products_line:' || line", "COUNT(*)", product)),
        (
            "s",
            by(
                "village_id",
                m("updated_at"),
                "'products_stars:' || stars",
                "COUNT(*)",
                f"{product} WHERE stars > 0",
            ),
        ),
        ("s", by("village_id", m("created_at"), "'potential:' || sector", "COUNT(*)", potential)),
        ("f", by("p.village_id", m("r.decided_at"), "'curation_decided'", "COUNT(*)", decided)),
        (
            "f",
            by(
                "p.village_id",
                m("r.decided_at"),
                "'curation:' || r.decision",
                "COUNT(*)",
                f"{decided} AND r.decision <> ''",
            ),
        ),
        ("f", by("regency_id", d("month"), "'featured'", "COUNT(*)", featured)),
        ("s", by("c.village_id", m("o.status_changed_at"), "'orders:' || o.status", "COUNT(*)", seller)),
        ("s", by("c.village_id", m("o.status_changed_at"), "'gmv:' || o.status", "SUM(o.total)", seller)),
        ("f", by("c.village_id", m("o.created_at"), "'orders_created'", "COUNT(*)", seller)),
        ("f", by("c.village_id", m("o.created_at"), "'gmv_created'", "SUM(o.total)", seller)),
        (
            "f",
            by(
                "c.village_id",
                m("o.paid_at"),
                "'orders_paid'",
                "COUNT(*)",
                f"{seller} WHERE o.paid_at IS NOT NULL",
            ),
        ),
        (
            "f",
            by(
                "c.village_id",
                m("o.paid_at"),
                "'gmv_paid'",
                "SUM(o.total)",
                f"{seller} WHERE o.paid_at IS NOT NULL",
            ),
        ),
        (
            "f",
            by(
                "c.village_id",
                m("o.paid_at"),
                "'units_paid'",
                "SUM(ol.quantity)",
                f"{line} ol JOIN {order} o ON o.id = ol.order_id "
                f"JOIN {cooperative} c ON c.id = o.cooperative_id "
                "WHERE o.paid_at IS NOT NULL",
            ),
        ),
    ]
    for field, measure in (("issued_on", "licences_issued"), ("expires_on", "licences_expiring")):
        source = (
            f"{licence} l JOIN {product} p ON p.id = l.product_id "
            f"WHERE l.status = 'issued' AND l.{field} IS NOT NULL"
        )
        selects.append(("f", by("p.village_id", d(f"l.{field}"), f"'{measure}'", "COUNT(*)", source)))
    points = f"{sale} s JOIN {point} dp ON dp.id = s.display_point_id"
    selects.append(("f", by("dp.region_id", m("s.sold_at"), "'display_sales'", "SUM(s.total)", points)))
    selects.append(("f", by("dp.region_id", m("s.sold_at"), "'display_sales_count'", "COUNT(*)", points)))
    return selects


def _create_temp(name: str, columns: str) -> None:
    execute(f"DROP TABLE IF EXISTS {name}")
    execute(f"CREATE TEMPORARY TABLE {name} ({columns})")


def facts_fill(coverage_rows: Iterable[tuple[str, dt.date, str, int]]) -> int:
    """The temporary facts table: every fact's contribution per (region, month, measure)."""
    _create_temp(
        FACTS, "region_code varchar(13), month date, measure varchar(40), kind char(1), value bigint"
    )
    count = 0
    for kind, select in fact_selects():
        count += execute(
            f"INSERT INTO {FACTS} (region_code, month, measure, value, kind) "
            f"SELECT t.*, '{kind}' FROM ({select}) t"
        )
    rows = [(code, month.isoformat(), measure, "s", value) for code, month, measure, value in coverage_rows]
    sql = f"INSERT INTO {FACTS} (region_code, month, measure, kind, value) VALUES (%s, %s, %s, %s, %s)"
    with connection.cursor() as cursor:
        if _pg():
            with cursor.cursor.copy(
                f"COPY {FACTS} (region_code, month, measure, kind, value) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, rows)
    return count + len(rows)


ROW = "region_code, month, measure, kind, value"


def months_fill() -> None:
    """The temporary months table: the facts added up at every level from the district to the
    nation, each level from the one below it (and the facts recorded at that level itself)."""
    _create_temp(
        MONTHS,
        "level smallint, region_code varchar(13), month date, measure varchar(40), kind char(1), "
        "value bigint",
    )
    below = f"SELECT {ROW} FROM {FACTS} WHERE length(region_code) >= {DISTRICT}"
    for level in MONTH_LEVELS:
        if level != DISTRICT:
            below = (
                f"SELECT {ROW} FROM {MONTHS} WHERE level = {_finer(level)} "
                f"UNION ALL SELECT {ROW} FROM {FACTS} "
                f"WHERE length(region_code) = {level}"
            )
        execute(
            f"INSERT INTO {MONTHS} (level, region_code, month, measure, kind, value) "
            f"SELECT {level}, {prefix('region_code', level)}, month, measure, kind, SUM(value) "
            f"FROM ({below}) b "
            f"GROUP BY 2, 3, 4, 5 HAVING SUM(value) <> 0"
        )


def _finer(level: int) -> int:
    return MONTH_LEVELS[MONTH_LEVELS.index(level) - 1]


def states_fill() -> None:
    """The temporary states table: every state summed over its months, at every level."""
    _create_temp(STATES, "region_code varchar(13), measure varchar(40), value bigint")
    for source, where in ((FACTS, f"length(region_code) = {VILLAGE}"), (MONTHS, "1 = 1")):
        execute(
            f"INSERT INTO {STATES} (region_code, measure, value) "
            f"SELECT region_code, measure, SUM(value) FROM {source} WHERE kind = 's' AND {where} "
            "GROUP BY 1, 2 HAVING SUM(value) <> 0"
        )


# --- Applying a computed table ----------------------------------------------------------------


def apply(target: str, source: str, keys: tuple[str, ...]) -> tuple[int, int, int]:
    """Make `target` hold exactly `source`'s rows, writing only what
    differs: (created, updated, deleted). Rows at 0 are removed without being counted."""
    if not _pg():
        # SQLite probes the source once per target row: give it an index to probe.
        execute(f"CREATE INDEX {source}_keys ON {source} ({', '.join(keys)})")
    match = " AND ".join(f"s.{k} = {target}.{k}" for k in keys)
    execute(f"DELETE FROM {target} WHERE value = 0")
    deleted = execute(f"DELETE FROM {target} WHERE NOT EXISTS (SELECT 1 FROM {source} s WHERE {match})")
    updated = execute(
        f"UPDATE {target} SET value = s.value FROM {source} s WHERE {match} AND {target}.value <> s.value"
    )
    columns = ", ".join(keys)
    created = execute(
        f"INSERT INTO {target} ({columns}, value) SELECT {', '.join('s.' + k for k in keys)}, s.value "
        f"FROM {source} s WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {match})"
    )
    if _pg() and created + updated + deleted > 10_000:
        # Fresh statistics at once: a planner that still believes the table empty scans all of it
        # for the nation's few rows until autovacuum gets round to it.
        execute(f"ANALYZE {target}")
    return created, updated, deleted


def drop_temps() -> None:
    for name in (FACTS, MONTHS, STATES):
        execute(f"DROP TABLE IF EXISTS {name}")


# --- The fold ----------------------------------------------------------------------------------


def fold_deltas(last_id: int, month_table: str, state_table: str, delta_table: str) -> int:
    """Add the deltas up to `last_id` into every level of the month table and, for the folded
    states, of the state table: one upsert per level. Returns the rows written."""
    written = 0
    for table, levels, keys in (
        (month_table, MONTH_LEVELS, ("region_code", "month", "measure")),
        (state_table, STATE_LEVELS, ("region_code", "measure")),
    ):
        states_only = f" AND {folded_state('measure')}" if table == state_table else ""
        columns = ", ".join(keys)
        for level in levels:
            select = ", ".join(prefix(k, level) if k == "region_code" else k for k in keys)
            written += execute(
                f"INSERT INTO {table} ({columns}, value) "
                f"SELECT {select}, SUM(delta) FROM {delta_table} "
                f"WHERE id <= %s AND {at_level('region_code', level)}{states_only} "
                f"GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))} HAVING SUM(delta) <> 0 "
                f"ON CONFLICT ({columns}) DO UPDATE SET value = {table}.value + excluded.value",
                [last_id],
            )
    return written
