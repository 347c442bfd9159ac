# ruff: noqa: S608  (every name in these statements is ours: tables from the models, fixed measures)
"""The rollups as set-based SQL: the same statements on PostgreSQL and SQLite.

Millions of rows never pass through Python. The rebuild reads each table of facts once per kind
(`INSERT … SELECT … GROUP BY`, several measures from one read), writing the district-month rows
into a temporary months table and the villages' states into another; each level above the
district is grouped from the one below (village → district → regency → province → nation); then
the difference is applied to the rollup tables (delete what is gone, update what changed, insert
what is new: nothing at all when the subscribers kept them right). The fold adds the pending
deltas up by district once, then into every level with one statement each (`MERGE` on
PostgreSQL, `INSERT … SELECT … ON CONFLICT DO UPDATE` on SQLite).

A row holds a value and an amount: the amount is the money of a count that has some
(`measures.MONEY_OF`: the row "orders:paid" holds the paid orders and their rupiah), 0 elsewhere.

Region codes have a fixed width per level (Kemendagri): "53", "53.07", "53.07.01",
"53.07.01.2001", so a region's ancestor at a level is a prefix of its code of that length.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from .measures import FOLDED_STATE_PREFIXES, PRODUCT_STATES, SOLD_MEASURES, VILLAGE_STATES

logger = logging.getLogger(__name__)

# Code length of each level: nation, province, regency, district, village.
NATION, PROVINCE, REGENCY, DISTRICT, VILLAGE = 0, 2, 5, 8, 13
# MonthStat keeps every level above the village (a village reads its cooperative's facts);
# RegionStat keeps states at every level, the village too (of the folded states, a village keeps
# only `VILLAGE_STATES`).
MONTH_LEVELS = (DISTRICT, REGENCY, PROVINCE, NATION)
STATE_LEVELS = (VILLAGE, DISTRICT, REGENCY, PROVINCE, NATION)

MONTHS = "monitoring_rebuild_months"
STATES = "monitoring_rebuild_states"
VILLAGES = "monitoring_rebuild_villages"  # the villages' states
RAW = -1  # a fact seated above the district waits in MONTHS at level RAW - its code's length
# A row counts while its value or its amount (the money of a count) is not 0.
ZERO = "(value = 0 AND amount = 0)"
NONZERO = "(SUM(value) <> 0 OR SUM(amount) <> 0)"


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
    minutes = _offset_minutes()
    if _pg():
        # A fixed offset rather than the zone's name: no time-zone rules looked up per row.
        sign, (hours, rest) = ("-" if minutes < 0 else "+"), divmod(abs(minutes), 60)
        return f"(date_trunc('month', {column} AT TIME ZONE INTERVAL '{sign}{hours:02d}:{rest:02d}'))::date"
    # SQLite keeps a moment as UTC text, "2026-11-23 21:34:30.123456"; date() works in
    # milliseconds and rounds, so 23:59:59.9999 on a month's last day would be the next month.
    # The seconds are enough.
    return f"date(substr({column}, 1, 19), '{minutes:+d} minutes', 'start of month')"


def month_of_day(column: str) -> str:
    """SQL for the first day of the month of a date column."""
    if _pg():
        return f"(date_trunc('month', {column}))::date"
    return f"date({column}, 'start of month')"


def starts_with(column: str, prefixes: Iterable[str]) -> str:
    return "(" + " OR ".join(f"substr({column}, 1, {len(p)}) = '{p}'" for p in prefixes) + ")"


def one_of(column: str, values: Iterable[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


def after_colon(measures: Iterable[str]) -> list[str]:
    """ "gmv:paid" -> "paid": the values of a fact's column that these measures count."""
    return [m.partition(":")[2] for m in measures]


def folded_state(column: str) -> str:
    """The measures the fold also keeps in RegionStat (states other than coverage's own)."""
    return starts_with(column, FOLDED_STATE_PREFIXES)


def execute(sql: str, params: list | tuple = ()) -> int:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = max(cursor.rowcount, 0)
    # Each step's time, for whoever tunes the rebuild (logger kopdes.monitoring.rollup_sql).
    logger.debug("%.2f s, %d rows: %s", time.perf_counter() - started, count, " ".join(sql.split())[:160])
    return count


# --- The facts, from the tables ---------------------------------------------------------------


def fact_selects() -> tuple[list[tuple[str, str]], list[str]]:
    """The statements that read the facts: ([(kind, monthly)], [village]).

    A monthly statement selects (region, month, measure, value, amount) rows with the region cut
    to its district (MonthStat starts there); a village statement selects (village, measure,
    value, amount) for the states a village keeps (`VILLAGE_STATES`), summed over their months.
    Either is a SELECT, or a WITH … SELECT that reads its table once for several measures. Kind
    "s" is a state, keyed to the month of its last change; "f" a flow, counted in the month it
    happened. The same contributions as `facts.py` records as they happen."""
    from kopdes.cooperatives.models import Cooperative
    from kopdes.market.models import DisplayPoint, DisplaySale, Order, OrderLine
    from kopdes.products.models import CurationRound, FeaturedProduct, Licence, Potential, Product

    product, potential = table_of(Product), table_of(Potential)
    rounds, licence, featured = table_of(CurationRound), table_of(Licence), table_of(FeaturedProduct)
    order, line, cooperative = table_of(Order), table_of(OrderLine), table_of(Cooperative)
    sale, point = table_of(DisplaySale), table_of(DisplayPoint)
    m, d = month_of_moment, month_of_day
    seller = f"{order} o JOIN {cooperative} c ON c.id = o.cooperative_id"
    paid = f"{seller} WHERE o.paid_at IS NOT NULL"
    district = prefix("c.village_id", DISTRICT)
    # SQLite joins in the order written after CROSS JOIN: the orders read in a row, each one's
    # lines found by the index (its own choice, cooperative by cooperative, takes twice as long).
    in_order = "JOIN" if _pg() else "CROSS JOIN"

    def once(select: str, *parts: str) -> str:
        # A table read once (its grouped rows materialised as g), its measures taken from g.
        return f"WITH g AS MATERIALIZED ({select})\n" + " UNION ALL ".join(parts)

    # The three product states from one read of the table, by district-month.
    products = once(
        f"SELECT {prefix('village_id', DISTRICT)} AS r, {m('updated_at')} AS mo, status, line, stars, "
        f"COUNT(*) AS n FROM {product} GROUP BY 1, 2, 3, 4, 5",
        "SELECT r, mo, 'products:' || status, SUM(n), 0 FROM g GROUP BY 1, 2, 3",
        "SELECT r, mo, 'products_line:' || line, SUM(n), 0 FROM g GROUP BY 1, 2, 3",
        "SELECT r, mo, 'products_stars:' || stars, SUM(n), 0 FROM g WHERE stars > 0 GROUP BY 1, 2, 3",
    )

    monthly = [
        ("s", products),
        (
            "s",
            f"SELECT {prefix('village_id', DISTRICT)} AS r, {m('created_at')}, 'potential:' || sector, "
            f"COUNT(*), 0 FROM {potential} GROUP BY 1, 2, 3",
        ),
        (
            "f",
            once(
                f"SELECT {prefix('p.village_id', DISTRICT)} AS r, {m('r.decided_at')} AS mo, "
                f"r.decision AS decision, COUNT(*) AS n FROM {rounds} r "
                f"JOIN {product} p ON p.id = r.product_id "
                "WHERE r.status = 'decided' AND r.decided_at IS NOT NULL GROUP BY 1, 2, 3",
                "SELECT r, mo, 'curation_decided', SUM(n), 0 FROM g GROUP BY 1, 2",
                "SELECT r, mo, 'curation:' || decision, SUM(n), 0 FROM g WHERE decision <> '' "
                "GROUP BY 1, 2, 3",
            ),
        ),
        ("f", f"SELECT regency_id AS r, {d('month')}, 'featured', COUNT(*), 0 FROM {featured} GROUP BY 1, 2"),
        # A count and its money in one row (`measures.MONEY_OF`).
        (
            "s",
            f"SELECT {district} AS r, {m('o.status_changed_at')}, 'orders:' || o.status, COUNT(*), "
            f"SUM(o.total) FROM {seller} GROUP BY 1, 2, 3",
        ),
        (
            "f",
            f"SELECT {district} AS r, {m('o.created_at')}, 'orders_created', COUNT(*), SUM(o.total) "
            f"FROM {seller} GROUP BY 1, 2",
        ),
        (
            "f",
            f"SELECT {district} AS r, {m('o.paid_at')}, 'orders_paid', COUNT(*), SUM(o.total) "
            f"FROM {paid} GROUP BY 1, 2",
        ),
        (
            "f",
            f"SELECT {district} AS r, {m('o.paid_at')}, 'units_paid', SUM(ol.quantity), 0 FROM {order} o "
            f"{in_order} {line} ol ON ol.order_id = o.id "
            f"{in_order} {cooperative} c ON c.id = o.cooperative_id "
            "WHERE o.paid_at IS NOT NULL GROUP BY 1, 2",
        ),
        (
            "f",
            f"SELECT {prefix('dp.region_id', DISTRICT)} AS r, {m('s.sold_at')}, 'display_sales_count', "
            f"COUNT(*), SUM(s.total) FROM {sale} s JOIN {point} dp ON dp.id = s.display_point_id "
            "GROUP BY 1, 2",
        ),
    ]
    for field, measure in (("issued_on", "licences_issued"), ("expires_on", "licences_expiring")):
        monthly.append(
            (
                "f",
                f"SELECT {prefix('p.village_id', DISTRICT)} AS r, {d(f'l.{field}')}, '{measure}', "
                f"COUNT(*), 0 FROM {licence} l JOIN {product} p ON p.id = l.product_id "
                f"WHERE l.status = 'issued' AND l.{field} IS NOT NULL GROUP BY 1, 2",
            )
        )
    village = [
        f"SELECT village_id, 'products:' || status, COUNT(*), 0 FROM {product} "
        f"WHERE {one_of('status', after_colon(PRODUCT_STATES))} GROUP BY 1, 2",
        f"SELECT c.village_id, 'orders:' || o.status, COUNT(*), SUM(o.total) FROM {seller} "
        f"WHERE {one_of('o.status', after_colon(SOLD_MEASURES))} GROUP BY 1, 2",
    ]
    return monthly, village


def _create_temp(name: str, columns: str) -> None:
    if _pg():
        # Codes and measures compared byte by byte: grouping millions of them by the database's
        # linguistic collation costs several times more, and these are ASCII keys.
        columns = columns.replace("varchar(13)", 'varchar(13) COLLATE "C"')
        columns = columns.replace("varchar(40)", 'varchar(40) COLLATE "C"')
    execute(f"DROP TABLE IF EXISTS {name}")
    execute(f"CREATE TEMPORARY TABLE {name} ({columns})")


def _analyze(name: str) -> None:
    if _pg():
        execute(f"ANALYZE {name}")  # a temporary table has no statistics until asked


def _insert_select(table: str, columns: str, select: str, extra: str = "") -> int:
    # A WITH clause goes before the INSERT (where both databases take it); `once` ends it with a
    # line break, which no other statement here has.
    with_clause, _, select = select.rpartition("\n")
    return execute(f"{with_clause} INSERT INTO {table} ({columns}) SELECT t.*{extra} FROM ({select}) t")


def _copy(table: str, columns: str, rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        if _pg():
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def facts_fill(coverage_rows: Iterable[tuple[str, dt.date, str, int]]) -> None:
    """The temporary tables of facts: the months table's district rows, and the villages' states.
    `coverage_rows` are the cooperatives' measures per (village, month, measure).

    Each statement groups its rows by (district, month, measure) and no two statements share a
    measure, so the district rows need no grouping again (were one ever duplicated, the unique
    index of MonthStat refuses it loudly). A fact seated above the district (a regency's featured
    products) is kept aside at level RAW - length and joins its level in `months_fill`."""
    _create_temp(
        MONTHS,
        "level smallint, region_code varchar(13), month date, measure varchar(40), kind char(1), "
        "value bigint, amount bigint",
    )
    _create_temp(VILLAGES, "region_code varchar(13), measure varchar(40), value bigint, amount bigint")
    monthly, village = fact_selects()
    level = f"CASE WHEN length(t.r) >= {DISTRICT} THEN {DISTRICT} ELSE {RAW} - length(t.r) END"
    for kind, select in monthly:
        _insert_select(
            MONTHS, "region_code, month, measure, value, amount, kind, level", select, f", '{kind}', {level}"
        )
    for select in village:
        _insert_select(VILLAGES, "region_code, measure, value, amount", select)
    by_district: dict[tuple[str, str, str], int] = defaultdict(int)
    by_village: dict[tuple[str, str], int] = defaultdict(int)
    for code, month, measure, value in coverage_rows:
        by_district[code[:DISTRICT], month.isoformat(), measure] += value
        by_village[code, measure] += value
    _copy(
        MONTHS,
        "region_code, month, measure, value, amount, kind, level",
        [(*k, v, 0, "s", DISTRICT) for k, v in by_district.items()],
    )
    _copy(VILLAGES, "region_code, measure, value, amount", [(*k, v, 0) for k, v in by_village.items()])
    _analyze(MONTHS)


def months_fill() -> None:
    """The months table's levels above the district, each from the one below it and the facts
    seated at that level itself; then the facts kept aside and the rows at 0 are dropped."""
    for level in MONTH_LEVELS[1:]:
        execute(
            f"INSERT INTO {MONTHS} (level, region_code, month, measure, kind, value, amount) "
            f"SELECT {level}, {prefix('region_code', level)}, month, measure, kind, SUM(value), SUM(amount) "
            f"FROM {MONTHS} WHERE level IN ({_finer(level)}, {RAW - level}) GROUP BY 2, 3, 4, 5 "
            f"HAVING {NONZERO}"
        )
        _analyze(MONTHS)  # the next level's grouping sized from what this one wrote
    execute(f"DELETE FROM {MONTHS} WHERE level < 0 OR {ZERO}")


def _finer(level: int) -> int:
    return MONTH_LEVELS[MONTH_LEVELS.index(level) - 1]


def states_fill() -> None:
    """The temporary states table: the villages' states, and every state summed over its months
    at every level above.

    The villages' table becomes the states table as it is: each of its statements groups by
    (village, measure) and no two share a measure, so it holds each key once, as the months
    table's district rows do (a first rebuild's unique index, and the tests comparing the
    rollups with the raw figures, would show a key there twice). Copying its million and a half
    rows through a grouping again cost seconds for nothing."""
    execute(f"DROP TABLE IF EXISTS {STATES}")
    execute(f"ALTER TABLE {VILLAGES} RENAME TO {STATES}")
    execute(f"DELETE FROM {STATES} WHERE {ZERO}")
    execute(
        f"INSERT INTO {STATES} (region_code, measure, value, amount) "
        f"SELECT region_code, measure, SUM(value), SUM(amount) FROM {MONTHS} WHERE kind = 's' "
        f"GROUP BY 1, 2 HAVING {NONZERO}"
    )


# --- Applying a computed table ----------------------------------------------------------------


def apply(model, source: str, keys: tuple[str, ...], cluster: tuple[str, ...]) -> tuple[int, int, int]:
    """Make `model`'s table hold exactly `source`'s rows, writing only what differs:
    (created, updated, deleted). Rows at 0 are removed without being counted.

    New rows are written in `cluster` order: rows that change together (a month's, a measure's)
    then share pages, and a fold rewrites a few pages rather than one in every few."""
    target = table_of(model)
    columns = ", ".join(keys)
    order = ", ".join(cluster)
    if _pg():
        # Statistics for the planner: the temporary table has none, the target may have stale ones
        # (a planner that believes a table empty picks a nested loop over millions of rows).
        execute(f"ANALYZE {source}")
        execute(f"ANALYZE {target}")
    if not model.objects.exists():
        return _fill_empty(model, source, columns, order), 0, 0
    match = " AND ".join(f"s.{k} = {target}.{k}" for k in keys)
    differs = f"({target}.value <> s.value OR {target}.amount <> s.amount)"
    if _pg():
        # The common case, tables the subscribers kept right: one pass of a hash join finds
        # nothing to do, rather than three (delete, update, insert) finding nothing each.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {target} FULL JOIN {source} s ON {match} "
                f"WHERE {target}.id IS NULL OR s.{keys[0]} IS NULL OR {differs} LIMIT 1"
            )
            if cursor.fetchone() is None:
                return 0, 0, 0
    else:
        # The common case again, in one pass: each source row is looked up by the target's
        # unique index; with none missing or different, equal counts leave no target row over
        # (neither table holds a key twice). Rather than three passes finding nothing each.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT COUNT(*) FROM {target}) = (SELECT COUNT(*) FROM {source}) "
                f"AND NOT EXISTS (SELECT 1 FROM {source} s LEFT JOIN {target} ON {match} "
                f"WHERE {target}.id IS NULL OR {differs})"
            )
            if cursor.fetchone()[0]:
                return 0, 0, 0
        # SQLite probes the source once per target row: give it an index to probe.
        execute(f"CREATE INDEX {source}_keys ON {source} ({columns})")
    execute(f"DELETE FROM {target} WHERE {ZERO}")
    deleted = execute(f"DELETE FROM {target} WHERE NOT EXISTS (SELECT 1 FROM {source} s WHERE {match})")
    updated = execute(
        f"UPDATE {target} SET value = s.value, amount = s.amount FROM {source} s WHERE {match} AND {differs}"
    )
    # What is left to write is new. In key order, so the unique index grows at its end rather than
    # all over; a key twice in the source would be refused by that index, never dropped quietly.
    created = execute(
        f"INSERT INTO {target} ({columns}, value, amount) SELECT {columns}, value, amount FROM {source} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {match}) ORDER BY {order}"
    )
    if _pg() and created + updated + deleted > 10_000:
        execute(f"ANALYZE {target}")  # fresh statistics for the dashboards' queries at once
    return created, updated, deleted


def _fill_empty(model, source: str, columns: str, order: str) -> int:
    """An empty table (a first rebuild): nothing to compare, every row is new.

    SQLite takes the rows in `order` too, then in key order; its unique index (which SQLite
    cannot drop: it is the table's own constraint) is kept up row by row. In key order the index
    grew at its end and the fill took 7 to 8 s rather than 11 s (MonthStat, national), but the rows a
    fold moves, the current month's, were then one in 25 on every page of the table, and the
    fold's commit wrote them all out: 2.0 to 2.9 s for a fold of 10,000 orders, 0.7 to 0.8 s with the
    month's rows together (1.3 to 1.9 s for the first fold after a rebuild). PostgreSQL keeping its
    indexes up row by row costs more than writing the rows, so the unique index and the primary
    key are dropped and built once after the rows are in (readers wait for the rebuild's commit
    meanwhile; they had no rows to read anyway), and the ids are numbered in the statement, the
    sequence moved once."""
    table = table_of(model)
    if not _pg():
        return execute(
            f"INSERT INTO {table} ({columns}, value, amount) SELECT {columns}, value, amount FROM {source} "
            f"ORDER BY {', '.join(dict.fromkeys([*order.split(', '), *columns.split(', ')]))}"
        )
    constraints = [c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    with connection.schema_editor(atomic=False) as editor:
        for constraint in constraints:
            editor.remove_constraint(model, constraint)
    with connection.cursor() as cursor:
        # The primary key's index too: kept up row by row it costs more than the rows themselves.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'p'",
            [model._meta.db_table],
        )
        primary = cursor.fetchone()
        if primary:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {q(primary[0])}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        base = cursor.fetchone()[0] - 1
    created = execute(
        f"INSERT INTO {table} (id, {columns}, value, amount) "
        f"SELECT %s + row_number() OVER (ORDER BY {order}), {columns}, value, amount FROM {source} "
        f"ORDER BY {order}",
        [base],
    )
    if created:
        execute("SELECT setval(%s, %s)", [sequence, base + created])
    # Statistics first: PostgreSQL sizes an index build's parallel workers by the table's size
    # as last recorded, which for a table emptied before the rebuild is none (one process alone
    # takes half as long again).
    execute(f"ANALYZE {table}")
    started = time.perf_counter()
    if primary:
        execute(f"ALTER TABLE {table} ADD CONSTRAINT {q(primary[0])} {primary[1]}")
    with connection.schema_editor(atomic=False) as editor:
        for constraint in constraints:
            editor.add_constraint(model, constraint)
    logger.debug("%.2f s: the unique index of %s built again", time.perf_counter() - started, model.__name__)
    return created


SQLITE_CACHE_KIB = 524_288  # the rebuild's page cache on SQLite (half a gigabyte, for its duration)


@contextlib.contextmanager
def rebuild_session() -> Iterator[None]:
    """Memory for the rebuild. SQLite: a large page cache, so the unique indexes take millions of
    rows in an order of their own without going to disk for each; the connection's own setting
    comes back afterwards. PostgreSQL (this transaction only): grouped rows hash in memory
    instead of spilling to disk in batches, and the temporary tables stay in the session's
    buffers."""
    if not _pg():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            before = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(before)}")
        return
    execute("SET LOCAL work_mem = '512MB'")
    execute("SET LOCAL maintenance_work_mem = '512MB'")
    try:
        with transaction.atomic():
            execute("SET LOCAL temp_buffers = '512MB'")
    except DatabaseError:
        pass  # only before the session's first temporary table: a second rebuild keeps the first's
    yield


def totals() -> tuple[int, int, int]:
    """(state rows, regions with a state, month rows) of what was just written: the tables now
    hold exactly the temporary ones' rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {STATES}), "
            f"(SELECT COUNT(*) FROM (SELECT region_code FROM {STATES} GROUP BY region_code) r), "
            f"(SELECT COUNT(*) FROM {MONTHS})"
        )
        rows, regions, months = cursor.fetchone()
    return rows, regions, months


def drop_temps() -> None:
    for name in (VILLAGES, MONTHS, STATES):
        execute(f"DROP TABLE IF EXISTS {name}")


# --- The fold ----------------------------------------------------------------------------------


PENDING = "monitoring_fold_pending"
PENDING_STATES = "monitoring_fold_pending_states"


def _add(table: str, keys: dict[str, str], source: str, where: str) -> int:
    """Add `source`'s rows that match `where`, grouped on `keys` (column: expression), into
    `table`'s rows of the same key, creating those missing; in the unique index's order.

    PostgreSQL takes a `MERGE`: the grouped rows are joined to the table by its unique index and
    each row found is updated, without the speculative insertion and row lock that `ON CONFLICT`
    takes for every row (the fold of 10,000 orders 0.81-1.09 s -> 0.72-0.81 s, ADR 13). It is
    safe here because every writer of the rollups holds the rollup lock (`services._lock`), so no
    other transaction inserts one of these keys meanwhile. SQLite, and PostgreSQL before 15, have
    no MERGE: an upsert."""
    columns = ", ".join(keys)
    groups = ", ".join(str(i) for i in range(1, len(keys) + 1))
    if getattr(connection.features, "is_postgresql_15", False):  # PostgreSQL 15 or later
        aliased = ", ".join(f"{expression} AS {column}" for column, expression in keys.items())
        on = " AND ".join(f"t.{column} = s.{column}" for column in keys)
        return execute(
            f"MERGE INTO {table} t USING (SELECT {aliased}, SUM(value) AS value, SUM(amount) AS amount "
            f"FROM {source} WHERE {where} GROUP BY {groups} HAVING {NONZERO} ORDER BY {groups}) s ON {on} "
            "WHEN MATCHED THEN UPDATE SET value = t.value + s.value, amount = t.amount + s.amount "
            f"WHEN NOT MATCHED THEN INSERT ({columns}, value, amount) "
            f"VALUES ({', '.join(f's.{column}' for column in keys)}, s.value, s.amount)"
        )
    return execute(
        f"INSERT INTO {table} ({columns}, value, amount) SELECT {', '.join(keys.values())}, SUM(value), "
        f"SUM(amount) FROM {source} WHERE {where} GROUP BY {groups} HAVING {NONZERO} ORDER BY {groups} "
        f"ON CONFLICT ({columns}) DO UPDATE SET value = {table}.value + excluded.value, "
        f"amount = {table}.amount + excluded.amount"
    )


def fold_deltas(last_id: int, month_table: str, state_table: str, delta_table: str) -> int:
    """Add the deltas up to `last_id` into every level of the month table and, for the folded
    states, of the state table. Returns the rows written.

    The deltas are read once: added up by district (by village for the states a village keeps,
    by the shorter code a fact seated above the district has) into a temporary table, whose
    folded states are added up once more, over their months, into a second one. Each level is
    then one statement from one of them (`_add`), its rows in the unique index's order so that
    each page of the index is visited once. Which measure is a state is decided once: filtering the
    pending rows for states at every level cost PostgreSQL 40 ms a level for 35,000 rows. The two
    temporary tables get no statistics (`ANALYZE`, 50-80 ms): PostgreSQL then expects few groups
    and joins them to the rollups by their unique index, which is what a fold wants."""
    _create_temp(
        PENDING, "region_code varchar(13), month date, measure varchar(40), value bigint, amount bigint"
    )
    execute(
        f"INSERT INTO {PENDING} (region_code, month, measure, value, amount) "
        f"SELECT CASE WHEN length(region_code) = {VILLAGE} AND {one_of('measure', VILLAGE_STATES)} "
        f"THEN region_code ELSE {prefix('region_code', DISTRICT)} END, month, measure, SUM(delta), "
        f"SUM(amount) FROM {delta_table} WHERE id <= %s GROUP BY 1, 2, 3",
        [last_id],
    )
    _create_temp(PENDING_STATES, "region_code varchar(13), measure varchar(40), value bigint, amount bigint")
    execute(
        f"INSERT INTO {PENDING_STATES} (region_code, measure, value, amount) "
        f"SELECT region_code, measure, SUM(value), SUM(amount) FROM {PENDING} "
        f"WHERE {folded_state('measure')} GROUP BY 1, 2"
    )
    written = 0

    for level in MONTH_LEVELS:
        # (region_code, measure, month): the order of MonthStat's unique index.
        keys = {"region_code": prefix("region_code", level), "measure": "measure", "month": "month"}
        written += _add(month_table, keys, PENDING, at_level("region_code", level))
    for level in STATE_LEVELS:
        # A village's rows in PENDING_STATES are the states it keeps, no others.
        where = f"length(region_code) = {VILLAGE}" if level == VILLAGE else at_level("region_code", level)
        keys = {"region_code": prefix("region_code", level), "measure": "measure"}
        written += _add(state_table, keys, PENDING_STATES, where)
    execute(f"DROP TABLE {PENDING}")
    execute(f"DROP TABLE {PENDING_STATES}")
    return written
