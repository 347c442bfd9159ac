"""PostgreSQL: the full-text GIN indexes keep short pending lists (kopdes/market/search.py,
GIN_SETTINGS): every sale writes its listing's row again, and a search read the whole list."""

from django.db import migrations


def forward(apps, schema_editor):
    from kopdes.market.search import GIN_SETTINGS

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'market_listing_search_names_idx'")
        if cursor.fetchone()[0]:
            for sql in GIN_SETTINGS:
                cursor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER INDEX IF EXISTS market_listing_search_idx RESET (gin_pending_list_limit)")
        cursor.execute("ALTER INDEX IF EXISTS market_listing_search_names_idx RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("market", "0005_display_settlement_rate")]

    operations = [migrations.RunPython(forward, backward)]
