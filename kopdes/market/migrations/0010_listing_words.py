"""PostgreSQL: the names' words, a B-tree of each word of a sellable listing's name with what a
search ranks by, kept by triggers on the listings (kopdes/market/search.py, POSTGRES_WORDS)."""

from django.db import migrations


def forward(apps, schema_editor):
    from kopdes.market.search import search_schema_ensure

    if schema_editor.connection.vendor == "postgresql":
        search_schema_ensure(schema_editor.connection)  # makes the words and fills them


def backward(apps, schema_editor):
    from kopdes.market.search import POSTGRES_WORDS_DROP

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in POSTGRES_WORDS_DROP:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("market", "0009_stock_level_fillfactor")]

    operations = [migrations.RunPython(forward, backward)]
