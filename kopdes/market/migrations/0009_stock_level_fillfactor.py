"""PostgreSQL: the stock rows' pages keep room for a sale's update, like the listings' totals
(migration 0008, ADR 14). Pages written before keep what they hold until their rows move (or a
`VACUUM FULL market_stocklevel`); new and moved rows are written with the room."""

from django.db import migrations

FILLFACTOR = 50


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE market_stocklevel SET (fillfactor = {FILLFACTOR})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ALTER TABLE market_stocklevel RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("market", "0008_listing_totals")]

    operations = [migrations.RunPython(forward, backward)]
