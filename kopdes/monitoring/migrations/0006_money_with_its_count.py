"""A count and its money are one row (ADR 13, "A count and its money in one row"): the row of
"orders:paid" holds the paid orders in `value` and their rupiah in `amount`; the rows of the money
measures ("gmv:paid", "gmv_created", "display_sales", ...) are merged into their count's row.

A village kept the money of its sold orders but not their count: its count rows start at 0, and
`manage.py rebuild_rollups` (part of every deployment, see the README) writes the counts. No page
reads a village's count of orders. Going back splits the rows again.

The pairs are those of `kopdes.monitoring.measures.MONEY_OF` when this was written, frozen here.
"""

from django.db import migrations, models

STATUSES = ("created", "paid", "processing", "shipped", "received", "completed", "cancelled", "returned")
MONEY_OF = {
    **{f"orders:{s}": f"gmv:{s}" for s in STATUSES},
    "orders_created": "gmv_created",
    "orders_paid": "gmv_paid",
    "display_sales_count": "display_sales",
}


def _case(column: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in mapping.items())
    return f"CASE {column} {whens} END"


def _in(measures) -> str:
    return ", ".join(f"'{m}'" for m in measures)


def _tables(apps, schema_editor):
    for name, keys in (("RegionStat", ("region_code",)), ("MonthStat", ("region_code", "month"))):
        yield schema_editor.quote_name(apps.get_model("monitoring", name)._meta.db_table), keys


def forwards(apps, schema_editor) -> None:
    count_of = {money: count for count, money in MONEY_OF.items()}
    for table, keys in _tables(apps, schema_editor):
        columns = ", ".join(keys)
        same = " AND ".join(f"o.{k} = m.{k}" for k in keys)
        # Every money row gets its count's row (at 0 where there was none), which takes its value.
        schema_editor.execute(
            f"INSERT INTO {table} ({columns}, measure, value, amount) "  # noqa: S608  (constants)
            f"SELECT {', '.join(f'm.{k}' for k in keys)}, {_case('m.measure', count_of)}, 0, 0 "
            f"FROM {table} m WHERE m.measure IN ({_in(count_of)}) AND NOT EXISTS "
            f"(SELECT 1 FROM {table} o WHERE {same} AND o.measure = {_case('m.measure', count_of)})"
        )
        same = " AND ".join(f"m.{k} = {table}.{k}" for k in keys)
        schema_editor.execute(
            f"UPDATE {table} SET amount = COALESCE((SELECT m.value FROM {table} m "  # noqa: S608
            f"WHERE {same} AND m.measure = {_case(f'{table}.measure', MONEY_OF)}), 0) "
            f"WHERE measure IN ({_in(MONEY_OF)})"
        )
        schema_editor.execute(f"DELETE FROM {table} WHERE measure IN ({_in(count_of)})")  # noqa: S608
    deltas = schema_editor.quote_name(apps.get_model("monitoring", "RollupDelta")._meta.db_table)
    schema_editor.execute(
        f"UPDATE {deltas} SET measure = {_case('measure', count_of)}, amount = delta, delta = 0 "  # noqa: S608
        f"WHERE measure IN ({_in(count_of)})"
    )


def backwards(apps, schema_editor) -> None:
    tables = [(table, ", ".join(keys), "value") for table, keys in _tables(apps, schema_editor)]
    deltas = schema_editor.quote_name(apps.get_model("monitoring", "RollupDelta")._meta.db_table)
    tables.append((deltas, "region_code, month", "delta"))  # no unique key: split the same way
    for table, columns, value in tables:
        schema_editor.execute(
            f"INSERT INTO {table} ({columns}, measure, {value}, amount) "  # noqa: S608  (constants)
            f"SELECT {columns}, {_case('measure', MONEY_OF)}, amount, 0 FROM {table} "
            f"WHERE measure IN ({_in(MONEY_OF)}) AND amount <> 0"
        )
        schema_editor.execute(f"DELETE FROM {table} WHERE measure IN ({_in(MONEY_OF)}) AND {value} = 0")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0005_village_states")]

    operations = [
        migrations.AddField(
            model_name="monthstat",
            name="amount",
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="regionstat",
            name="amount",
            field=models.BigIntegerField(db_default=0, default=0, verbose_name="amount (rupiah)"),
        ),
        migrations.AddField(
            model_name="rollupdelta",
            name="amount",
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
