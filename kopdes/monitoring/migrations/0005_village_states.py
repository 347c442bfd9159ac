"""A village's RegionStat row keeps, of the folded states, only what its pages read there (ADR 13,
"A village keeps what is read there"): products ready and curated, and the money of orders sold.
Its other folded states (products by line and stars, potential, orders by status, money of
orders not sold) are removed: the fold no longer moves them, so they would go stale.

The lists are those of `kopdes.monitoring.measures` when this was written, frozen here. Going
back leaves the rows out; `manage.py rebuild_rollups` after going back writes them again.
"""

from django.db import migrations

VILLAGE = 13
FOLDED_STATE_PREFIXES = ("products:", "products_line:", "products_stars:", "potential:", "orders:", "gmv:")
KEPT = (
    "products:ready",
    "products:curated",
    "gmv:paid",
    "gmv:processing",
    "gmv:shipped",
    "gmv:received",
    "gmv:completed",
)


def forwards(apps, schema_editor) -> None:
    table = schema_editor.quote_name(apps.get_model("monitoring", "RegionStat")._meta.db_table)
    folded = " OR ".join(f"substr(measure, 1, {len(p)}) = '{p}'" for p in FOLDED_STATE_PREFIXES)
    kept = ", ".join(f"'{m}'" for m in KEPT)
    schema_editor.execute(
        f"DELETE FROM {table} WHERE length(region_code) = {VILLAGE} AND ({folded}) "  # noqa: S608  (constants)
        f"AND measure NOT IN ({kept})"
    )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_rollup_storage")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
