"""PostgreSQL: the catalog's equality filters (category, line, province, regency, the halal and
BPOM flags) join the words in both full-text GIN indexes (btree_gin), so that a search with such a
filter is one index scan (kopdes/market/search.py, GIN_FILTERS)."""

from django.db import migrations

INDEXES = ("market_listing_search_idx", "market_listing_search_names_idx")
WORDS_ONLY = [
    "CREATE INDEX market_listing_search_idx ON market_listing USING gin (search_vector)"
    " WITH (gin_pending_list_limit = 128)",
    "CREATE INDEX market_listing_search_names_idx ON market_listing USING gin (search_name_vector)"
    " WITH (fastupdate = off)",
]


def _definitions(cursor) -> dict[str, str]:
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(INDEXES)])
    return dict(cursor.fetchall())


def forward(apps, schema_editor):
    from kopdes.market.search import search_schema_ensure

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, definition in _definitions(cursor).items():
            if "has_bpom" not in definition:
                cursor.execute(f"DROP INDEX {name}")  # made again below, with the filters
    search_schema_ensure(connection)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        present = _definitions(cursor)
        for name, sql in zip(INDEXES, WORDS_ONLY, strict=True):
            if name in present:
                cursor.execute(f"DROP INDEX {name}")
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("market", "0010_listing_words")]

    operations = [migrations.RunPython(forward, backward)]
